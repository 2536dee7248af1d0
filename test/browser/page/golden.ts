// Runs in Chromium (bundled by chromium.test.ts with esbuild; `attn` below is the built dist/browser/index.js,
// loaded by URL): PyTorch golden cases of several kinds on the backend initWasm installed, fetched from the test
// server as safetensors, each output and gradient compared to float32 tolerance as test/helpers/close.ts does;
// a matrix product on wasm against the in-page JavaScript reference; and a tiny translation model trained a few
// steps, then decoded. Every function returns plain data for the test to assert on.
import * as attn from '../../../src/browser/index.js';

type Tensor = attn.Tensor;

/** One compared tensor: the largest |a − e| − (atol + rtol·|e|) over its elements (≤ 0 passes). */
export interface Comparison {
  name: string;
  excess: number;
  shape: string;
}

export interface CaseResult {
  name: string;
  op: string;
  comparisons: Comparison[];
  /** Parameter names of the module that the fixture does not have, or the reverse. */
  nameMismatch: string[];
  backend: string;
}

const ATOL = 1e-5;
const RTOL = 1e-4;

function compare(actual: Tensor | null | undefined, expected: Tensor, name: string): Comparison {
  if (!actual) return { name, excess: Infinity, shape: 'missing' };
  if (actual.shape.join(',') !== expected.shape.join(','))
    return { name, excess: Infinity, shape: `[${actual.shape}] vs [${expected.shape}]` };
  let excess = -Infinity;
  for (let i = 0; i < expected.size; i++) {
    const a = Number(actual.data[i]);
    const e = Number(expected.data[i]);
    const x = Math.abs(a - e) - (ATOL + RTOL * Math.abs(e));
    excess = Number.isNaN(x) ? Infinity : Math.max(excess, x);
  }
  return { name, excess, shape: `[${expected.shape}]` };
}

class GoldenCase {
  readonly op: string;
  readonly config: Record<string, unknown>;
  private readonly tensors: Map<string, Tensor>;
  readonly comparisons: Comparison[] = [];
  readonly nameMismatch: string[] = [];

  constructor(
    readonly name: string,
    bytes: Uint8Array,
  ) {
    const { tensors, metadata } = attn.parseSafetensors(bytes, name);
    const meta = JSON.parse(metadata.case ?? '{}') as { op?: string; config?: Record<string, unknown> };
    this.tensors = tensors;
    this.op = meta.op ?? '';
    this.config = meta.config ?? {};
  }

  get(key: string): Tensor {
    const t = this.tensors.get(key);
    if (!t) throw new Error(`golden case ${this.name} has no tensor ${key}`);
    return t;
  }
  has(key: string): boolean {
    return this.tensors.has(key);
  }
  maybe(key: string): Tensor | null {
    return this.tensors.get(key) ?? null;
  }
  names(prefix: string): string[] {
    return [...this.tensors.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }
  input(key: string): Tensor {
    return this.get(`input.${key}`).clone().requireGrad();
  }
  check(actual: Tensor | null | undefined, key: string): void {
    this.comparisons.push(compare(actual, this.get(key), key));
  }

  /** Loads param.* into `module` (recording names that differ) and switches it to evaluation. */
  load(module: attn.Module): void {
    const names = this.names('param.');
    const own = module.namedParameters().map(([n]) => n);
    this.nameMismatch.push(
      ...own.filter((n) => !names.includes(n)),
      ...names.filter((n) => !own.includes(n)),
    );
    module.loadStateDict(new Map(names.map((n) => [n, this.get(`param.${n}`)])));
    module.eval();
  }

  /**
   * Checks every output.o, backpropagates L = Σ_o Σ output.o ⊙ input.upstream_o (the fixtures' loss) and checks
   * the gradients of `inputs` and of the module's parameters.
   */
  outputsAndGradients(outputs: Record<string, Tensor>, inputs: Record<string, Tensor>, module?: attn.Module) {
    let loss: Tensor | null = null;
    for (const o of this.names('output.')) {
      this.check(outputs[o], `output.${o}`);
      const term = attn.sum(attn.mul(outputs[o]!, this.get(`input.upstream_${o}`)));
      loss = loss ? attn.add(loss, term) : term;
    }
    loss!.backward();
    for (const n of this.names('grad.input.')) this.check(inputs[n]?.grad, `grad.input.${n}`);
    if (!module) return;
    const params = new Map(module.namedParameters());
    for (const n of this.names('grad.param.')) this.check(params.get(n)?.grad, `grad.param.${n}`);
  }
}

/** The runners, by the fixture's op (as test/golden/*.test.ts run them in Node). */
function run(c: GoldenCase): void {
  const cfg = c.config;
  switch (c.op) {
    case 'scaled_dot_product_attention':
    case 'sdpa': {
      const [q, k, v] = [c.input('q'), c.input('k'), c.input('v')];
      const { output, weights } = attn.scaledDotProductAttention(q, k, v, {
        causal: cfg.causal as boolean,
        keyPaddingMask: c.maybe('input.key_padding_mask'),
      });
      c.outputsAndGradients({ out: output, weights }, { q, k, v });
      return;
    }
    case 'GRU':
    case 'LSTM': {
      const Layer = c.op === 'LSTM' ? attn.LSTM : attn.GRU;
      const rnn = new Layer(cfg.input_size as number, cfg.hidden_size as number, {
        numLayers: cfg.num_layers as number,
        bidirectional: cfg.bidirectional as boolean,
        batchFirst: cfg.batch_first as boolean,
      });
      c.load(rnn);
      const [x, h0] = [c.input('x'), c.input('h0')];
      if (rnn instanceof attn.LSTM) {
        const c0 = c.input('c0');
        const r = rnn.forward(x, { h: h0, c: c0 });
        c.outputsAndGradients({ out: r.output, h_n: r.hN, c_n: r.cN }, { x, h0, c0 }, rnn);
      } else {
        const r = rnn.forward(x, h0);
        c.outputsAndGradients({ out: r.output, h_n: r.hN }, { x, h0 }, rnn);
      }
      return;
    }
    case 'TransformerEncoderLayer':
    case 'TransformerDecoderLayer': {
      const options: attn.TransformerLayerOptions = {
        dModel: cfg.d_model as number,
        nhead: cfg.nhead as number,
        dimFeedforward: cfg.dim_feedforward as number,
        dropout: cfg.dropout as number,
        activation: cfg.activation as 'relu' | 'gelu',
        layerNormEps: cfg.layer_norm_eps as number,
        batchFirst: cfg.batch_first as boolean,
        normFirst: cfg.norm_first as boolean,
      };
      const x = c.input('x');
      if (c.op === 'TransformerEncoderLayer') {
        const layer = new attn.TransformerEncoderLayer(options);
        c.load(layer);
        const { output } = layer.forwardWithWeights(x, {
          srcKeyPaddingMask: c.maybe('input.src_key_padding_mask'),
        });
        c.outputsAndGradients({ out: output }, { x }, layer);
      } else {
        const layer = new attn.TransformerDecoderLayer(options);
        c.load(layer);
        const memory = c.input('memory');
        const { output } = layer.forwardWithWeights(x, memory, {
          tgtMask: c.maybe('input.tgt_mask'),
          memoryKeyPaddingMask: c.maybe('input.memory_key_padding_mask'),
        });
        c.outputsAndGradients({ out: output }, { x, memory }, layer);
      }
      return;
    }
    case 'MultiheadAttention': {
      const mha = new attn.MultiHeadAttention({
        embedDim: cfg.embed_dim as number,
        numHeads: cfg.num_heads as number,
        kdim: cfg.kdim as number,
        vdim: cfg.vdim as number,
        bias: cfg.bias as boolean,
        batchFirst: cfg.batch_first as boolean,
        dropout: cfg.dropout as number,
      });
      c.load(mha);
      const [query, key, value] = [c.input('query'), c.input('key'), c.input('value')];
      const { output, weights } = mha.forward(query, key, value, {
        keyPaddingMask: c.maybe('input.key_padding_mask'),
        attnMask: c.maybe('input.attn_mask'),
        needWeights: cfg.need_weights as boolean,
        averageAttnWeights: cfg.average_attn_weights as boolean,
      });
      c.outputsAndGradients({ out: output, weights: weights! }, { query, key, value }, mha);
      return;
    }
    case 'LayerNorm': {
      const x = c.input('x');
      const weight = c.get('param.weight').clone().requireGrad();
      const bias = c.get('param.bias').clone().requireGrad();
      const out = attn.layerNorm(x, cfg.normalized_shape as number, weight, bias, cfg.eps as number);
      c.check(out, 'output.out');
      out.backward(c.get('input.upstream_out'));
      c.check(x.grad, 'grad.input.x');
      c.check(weight.grad, 'grad.param.weight');
      c.check(bias.grad, 'grad.param.bias');
      return;
    }
    case 'cross_entropy': {
      const logits = c.input('logits');
      const loss = attn.crossEntropy(logits, c.get('input.target'), {
        ignoreIndex: cfg.ignore_index as number,
        labelSmoothing: cfg.label_smoothing as number,
        reduction: 'mean',
      });
      c.check(loss.reshape([1]), 'output.loss');
      loss.backward(attn.tensor(1));
      c.check(logits.grad, 'grad.input.logits');
      return;
    }
    default:
      throw new Error(`golden case ${c.name}: no runner in the page for op '${c.op}'`);
  }
}

/** Loads the wasm backend from beside the bundle (dist/browser/: the module this page can run). */
export async function init(): Promise<attn.BackendInfo> {
  attn.setKernelChecks(true);
  return attn.initWasm();
}

/** Fetches and runs each case from `base` (a URL ending in /) on the current backend. */
export async function golden(base: string, names: readonly string[]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const name of names) {
    const response = await fetch(`${base}${name}.safetensors`);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    const c = new GoldenCase(name, new Uint8Array(await response.arrayBuffer()));
    run(c);
    results.push({
      name,
      op: c.op,
      comparisons: c.comparisons,
      nameMismatch: c.nameMismatch,
      backend: attn.backendInfo().name,
    });
  }
  return results;
}

/** The largest |wasm − js| of a product of random [m, k] and [k, n] matrices (and of the transposed form). */
export function matmulAgainstReference(m: number, k: number, n: number): { wasm: string; maxDiff: number } {
  const g = new attn.Generator(7);
  const a = attn.randn([m, k], { generator: g });
  const b = attn.randn([k, n], { generator: g });
  const onWasm = attn.matmul(a, b).data;
  const onWasmT = attn.matmul(b.transpose(0, 1), a.transpose(0, 1)).data;
  const wasm = attn.backendInfo().name;
  attn.useBackend('js');
  const onJs = attn.matmul(a, b).data;
  attn.useBackend('wasm');
  let maxDiff = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(onWasm[i * n + j]! - onJs[i * n + j]!));
      maxDiff = Math.max(maxDiff, Math.abs(onWasmT[j * m + i]! - onJs[i * n + j]!));
    }
  return { wasm, maxDiff };
}

/**
 * Trains a tiny GRU + Bahdanau model on the reversal task for `steps` steps with Adam, then greedy-decodes a
 * training source: the losses of the steps and the decoded tokens.
 */
export async function trainAndDecode(steps: number): Promise<{
  backend: string;
  losses: number[];
  decoded: number[];
  vocabulary: number;
}> {
  const task = attn.reversalTask({ count: 64, seed: 5, minLength: 2, maxLength: 6, vocabSize: 6 });
  const tok = task.sourceTokenizer;
  const train = task.pairs.map((p) => ({ source: tok.encode(p.source), target: tok.encode(p.target) }));
  const generator = new attn.Generator(3);
  const config = attn.validateConfig(
    'gru-bahdanau',
    { embeddingDim: 8, hiddenSize: 16, dropout: 0 },
    'model',
  );
  const sizes = { srcVocabSize: tok.vocabulary.size, tgtVocabSize: tok.vocabulary.size };
  const built = attn.buildModel('gru-bahdanau', config, sizes, generator);
  if (built.task !== 'translate') throw new Error('expected a translation model');
  const losses: number[] = [];
  await new attn.Trainer({
    task: new attn.TranslationTask({
      model: built.model,
      train,
      batching: { batchSize: 16, sourceEos: true },
    }),
    optimizer: new attn.Adam(built.model.parameters(), { lr: 0.02 }),
    generators: { model: generator },
    maxSteps: steps,
    evalEveryEpoch: false,
    onStep: (info: attn.StepInfo) => losses.push(info.loss),
  }).fit();
  const source = tok.encode(task.pairs[0]!.source, { eos: true });
  const src = attn.tensor([source], { dtype: 'int32' });
  const [hypothesis] = attn.greedyDecode(built.model.stepper(src, null), {
    sos: attn.SOS_ID,
    eos: attn.EOS_ID,
    maxLength: 12,
  });
  return {
    backend: attn.backendInfo().name,
    losses,
    decoded: hypothesis!.tokens,
    vocabulary: tok.vocabulary.size,
  };
}
