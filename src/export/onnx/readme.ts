/**
 * README.md of an ONNX export: the files, every graph's inputs and outputs with their dims, the opset, and how
 * to run the model in ONNX Runtime (Node and Python): one forward for a classifier, greedy decoding with the
 * step graph for a translation model.
 */
import type { OnnxExportConfig } from './index.js';

const dims = (d: (string | number)[]) => `[${d.join(', ')}]`;

function table(config: OnnxExportConfig): string {
  const rows: string[] = [];
  for (const [file, sig] of Object.entries(config.graphs)) {
    rows.push(`### ${file}`, '', '| | name | dims |', '|---|---|---|');
    for (const [name, d] of Object.entries(sig.inputs)) rows.push(`| input | \`${name}\` | ${dims(d)} |`);
    for (const [name, d] of Object.entries(sig.outputs)) rows.push(`| output | \`${name}\` | ${dims(d)} |`);
    rows.push('');
  }
  return rows.join('\n');
}

const CLASSIFY_NODE = `\`\`\`js
import * as ort from 'onnxruntime-node';
const session = await ort.InferenceSession.create('model.onnx');
// ids: one row per text, right-padded with 0 (the tokenizer in tokenizers.json gives the ids).
const ids = [[4, 9, 7], [5, 6, 0]];
const [B, T] = [ids.length, ids[0].length];
const int64 = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [B, T]);
const out = await session.run({ input_ids: int64(ids), attention_mask: int64(ids.map((r) => r.map((id) => (id === 0 ? 0 : 1)))) });
console.log(out.probabilities.data, out.attention_weights.data);
\`\`\``;

const CLASSIFY_PYTHON = `\`\`\`python
import numpy as np, onnxruntime as ort
session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
# ids: one row per text, right-padded with 0 (the tokenizer in tokenizers.json gives the ids).
ids = np.array([[4, 9, 7], [5, 6, 0]], dtype=np.int64)
probabilities, attention_weights = session.run(["probabilities", "attention_weights"],
                                               {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)})
print(probabilities, attention_weights)
\`\`\``;

/** What the snippets' decoding loop depends on: the Transformer's KV cache shape, or Luong's input feeding. */
function decoderShape(config: OnnxExportConfig): {
  transformer: boolean;
  feeding: boolean;
  layers: number;
  heads: number;
  headDim: number;
} {
  const transformer = config.architecture === 'transformer';
  const feeding = config.architecture === 'gru-luong' && config.model.inputFeeding !== false;
  const layers = Number(config.model.numDecoderLayers ?? 0);
  const heads = Number(config.model.nhead ?? 0);
  const headDim = transformer ? Number(config.model.dModel) / heads : 0;
  return { transformer, feeding, layers, heads, headDim };
}

/** Two example sources of the snippets, ids as the model was trained on them: with <eos> = 2 when sourceEos. */
function exampleSource(config: OnnxExportConfig): string {
  return config.sourceEos ? '[[5, 8, 4, 2], [6, 7, 2, 0]]' : '[[5, 8, 4], [6, 7, 0]]';
}

function translateNode(config: OnnxExportConfig): string {
  const { transformer, feeding, layers, heads, headDim } = decoderShape(config);
  const start = transformer
    ? `// Self-attention past: [batch, heads, 0, head_dim] at the first step; cross-attention keys/values from the encoder.
let feeds = {};
for (let i = 0; i < ${layers}; i++) {
  for (const kv of ['key', 'value']) {
    feeds[\`past_key_values.\${i}.decoder.\${kv}\`] = new ort.Tensor('float32', new Float32Array(0), [B, ${heads}, 0, ${headDim}]);
    feeds[\`past_key_values.\${i}.encoder.\${kv}\`] = enc[\`present.\${i}.encoder.\${kv}\`];
  }
}`
    : `let feeds = {
  encoder_hidden_states: enc.last_hidden_state,
  attention_keys: enc.attention_keys,
  past_hidden_state: enc.hidden_state,${feeding ? `\n  past_attentional_state: new ort.Tensor('float32', new Float32Array(B * ${Number(config.model.hiddenSize)}), [B, ${Number(config.model.hiddenSize)}]),` : ''}
};`;
  const next = transformer
    ? `for (let i = 0; i < ${layers}; i++)
    for (const kv of ['key', 'value']) feeds[\`past_key_values.\${i}.decoder.\${kv}\`] = out[\`present.\${i}.decoder.\${kv}\`];`
    : `feeds.past_hidden_state = out.present_hidden_state;${feeding ? '\n  feeds.past_attentional_state = out.present_attentional_state;' : ''}`;
  return `\`\`\`js
import * as ort from 'onnxruntime-node';
const encoder = await ort.InferenceSession.create('encoder.onnx');
const step = await ort.InferenceSession.create('decoder_step.onnx');
// src: one row per sentence, right-padded with 0${config.sourceEos ? ', each ending with <eos> = 2' : ''}.
const src = ${exampleSource(config)};
const [B, S] = [src.length, src[0].length];
const int64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
const mask = int64(src.flat().map((id) => (id === 0 ? 0 : 1)), [B, S]);
const enc = await encoder.run({ input_ids: int64(src.flat(), [B, S]), attention_mask: mask });
${start}
feeds.encoder_attention_mask = mask;
let tokens = Array(B).fill(${config.sosId}); // <sos>
const output = src.map(() => []);
const done = Array(B).fill(false);
for (let t = 0; t < ${config.maxDecodeLength ?? 50} && !done.every(Boolean); t++) {
  const out = await step.run({ ...feeds, input_ids: int64(tokens, [B, 1]) });
  const lp = out.log_probs.data, vocab = lp.length / B;
  tokens = tokens.map((_, b) => {
    let best = 0;
    for (let v = 1; v < vocab; v++) if (lp[b * vocab + v] > lp[b * vocab + best]) best = v;
    return best;
  });
  tokens.forEach((id, b) => { if (!done[b]) { if (id === ${config.eosId}) done[b] = true; else output[b].push(id); } });
  ${next}
}
console.log(output); // target ids: decode them with the target tokenizer of tokenizers.json
\`\`\``;
}

function translatePython(config: OnnxExportConfig): string {
  const { transformer, feeding, layers, heads, headDim } = decoderShape(config);
  const start = transformer
    ? `feeds = {}
for i in range(${layers}):
    for kv in ("key", "value"):
        feeds[f"past_key_values.{i}.decoder.{kv}"] = np.zeros((B, ${heads}, 0, ${headDim}), np.float32)
        feeds[f"past_key_values.{i}.encoder.{kv}"] = enc[f"present.{i}.encoder.{kv}"]`
    : `feeds = {"encoder_hidden_states": enc["last_hidden_state"], "attention_keys": enc["attention_keys"],
         "past_hidden_state": enc["hidden_state"]}${feeding ? `\nfeeds["past_attentional_state"] = np.zeros((B, ${Number(config.model.hiddenSize)}), np.float32)` : ''}`;
  const next = transformer
    ? `    for i in range(${layers}):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{i}.decoder.{kv}"] = out[f"present.{i}.decoder.{kv}"]`
    : `    feeds["past_hidden_state"] = out["present_hidden_state"]${feeding ? '\n    feeds["past_attentional_state"] = out["present_attentional_state"]' : ''}`;
  return `\`\`\`python
import numpy as np, onnxruntime as ort
encoder = ort.InferenceSession("encoder.onnx", providers=["CPUExecutionProvider"])
step = ort.InferenceSession("decoder_step.onnx", providers=["CPUExecutionProvider"])
# src: one row per sentence, right-padded with 0${config.sourceEos ? ', each ending with <eos> = 2' : ''}.
src = np.array(${exampleSource(config)}, dtype=np.int64)
B = src.shape[0]
mask = (src != 0).astype(np.int64)
names = [o.name for o in encoder.get_outputs()]
enc = dict(zip(names, encoder.run(None, {"input_ids": src, "attention_mask": mask})))
${start}
feeds["encoder_attention_mask"] = mask
tokens = np.full((B, 1), ${config.sosId}, np.int64)
output, done = [[] for _ in range(B)], np.zeros(B, bool)
step_names = [o.name for o in step.get_outputs()]
for t in range(${config.maxDecodeLength ?? 50}):
    out = dict(zip(step_names, step.run(None, {**feeds, "input_ids": tokens})))
    tokens = out["log_probs"].argmax(-1).reshape(B, 1)  # the first maximum on ties, as attn
    for b in range(B):
        if not done[b]:
            if tokens[b, 0] == ${config.eosId}: done[b] = True
            else: output[b].append(int(tokens[b, 0]))
    if done.all(): break
${next}
print(output)  # target ids: decode them with the target tokenizer of tokenizers.json
\`\`\``;
}

export function onnxReadme(config: OnnxExportConfig): string {
  const translate = config.task === 'translate';
  const intro = translate
    ? `A ${config.architecture} translation model exported by attn ${config.attn}: \`encoder.onnx\` runs once per batch of
sources; \`decoder_step.onnx\` runs once per generated token, its state fed back in (${
        config.architecture === 'transformer'
          ? 'the past keys and values of every layer, named as Hugging Face Optimum names them for Marian'
          : 'the recurrent state'
      }).`
    : `A ${config.architecture} classifier exported by attn ${config.attn}: \`model.onnx\` maps token ids and their
mask to class probabilities and the attention-pooling weight of every token. Labels by class id: ${config.labels!.map((l) => `\`${l}\``).join(', ')}.`;
  const ids = translate
    ? `Special ids: <pad> = ${config.padId}, <sos> = ${config.sosId}, <eos> = ${config.eosId}.${config.sourceEos ? ' Sources end with <eos>, as the model was trained.' : ''}`
    : `Padding id ${config.padId}.`;
  const decoding = translate
    ? `## Greedy decoding

Encode the padded sources once; start every row from <sos>; at each step feed the previous token and the state
the last step returned, take the most probable token (the first on ties, as attn does) and stop a row at <eos>
(or after maxDecodeLength tokens). Beam search runs on the same graphs: reorder the state's batch rows.

Node (onnxruntime-node):

${translateNode(config)}

Python (onnxruntime):

${translatePython(config)}`
    : `## Running it

Node (onnxruntime-node):

${CLASSIFY_NODE}

Python (onnxruntime):

${CLASSIFY_PYTHON}`;
  return `# ${config.architecture} (ONNX)

${intro}

ONNX opset ${config.opset} (default domain), IR version ${config.irVersion}; float32 weights, int64 token ids.
Dynamic axes have names (batch, source_length, ...); the others are fixed by the model. ${ids}
Token ids come from the tokenizers in \`tokenizers.json\` (attn's tokenizer JSON; in Node, attn's
\`tokenizerFromJSON\` reads it). \`config.json\` says all of this in JSON.

## Inputs and outputs

${table(config)}
${decoding}
`;
}
