/**
 * `attn attention`: what a trained model attends to for one input, as a picture (PNG or SVG by the --out
 * extension) and, on stdout, as text. Translation models draw the target × source heatmap of the best
 * translation (a Transformer's cross-attention: one layer and head, the heads' mean, or the grid of every layer
 * and head); classifiers highlight the input's tokens by their attention-pooling weights.
 */
import { loadPredictor } from '../inference/node/load-predictor.js';
import type { BatchPredictor } from '../inference/predictor.js';
import type { ClassificationResult, TranslationResult } from '../inference/types.js';
import { heatmapText } from '../viz/heatmap-text.js';
import { highlightTokensText } from '../viz/highlight-text.js';
import { pictureFormat } from '../viz/node/write-picture.js';
import { writeAttentionGrid, writeHeatmap, writeHighlight } from '../viz/node/write-picture.js';
import { AttnError } from '../tensor/errors.js';
import {
  HELP_OPTION,
  intValue,
  optionHelp,
  parseOptions,
  stringValue,
  type OptionSpec,
  type OptionValues,
} from './options.js';
import {
  ALLOW_NON_FINITE,
  CHECKPOINT_OPTION,
  checkpointOption,
  DECODE_OPTIONS,
  decodeOptions,
  loadOptions,
} from './predict.js';
import { UsageError } from './usage.js';

const SPECS: readonly OptionSpec[] = [
  CHECKPOINT_OPTION,
  {
    name: 'out',
    type: 'string',
    short: 'o',
    value: 'FILE',
    help: 'the picture to write: FILE.png or FILE.svg',
  },
  ...DECODE_OPTIONS.filter((o) => o.name !== 'n-best'),
  ALLOW_NON_FINITE,
  {
    name: 'layer',
    type: 'string',
    value: 'L',
    help: 'Transformer: the decoder layer, from 0 (default: the last)',
  },
  {
    name: 'head',
    type: 'string',
    value: 'H',
    help: "Transformer: the head, from 0, or 'mean' of the heads (default mean)",
  },
  { name: 'grid', type: 'boolean', help: 'Transformer: every layer and head in one picture' },
  { name: 'quiet', type: 'boolean', short: 'q', help: 'no text picture on stdout' },
  HELP_OPTION,
];

const HELP = `Usage: attn attention --checkpoint DIR --out FILE.png|FILE.svg [options] TEXT

Runs the model on TEXT and draws its attention: for translation, a heatmap of the best translation's tokens
(rows) over the source tokens (columns); for classification, the text's tokens highlighted by how much the
classifier's attention pooling weighed them. Prints the output and a text version of the picture.

Options:
${optionHelp(SPECS)}

Example:
  attn attention --checkpoint attn-demo --out may.png "the 3rd of May, 1998"
`;

/** The row labels of a hypothesis: its tokens, and <eos> when its attention has a row for it. */
function rowLabels(tokens: string[], rows: number): string[] {
  return rows > tokens.length ? [...tokens, '<eos>'] : tokens;
}

function mean(heads: number[][][]): number[][] {
  return heads[0]!.map((row, t) =>
    row.map((_, s) => heads.reduce((sum, head) => sum + head[t]![s]!, 0) / heads.length),
  );
}

/** The layer and head asked for, checked against the model's. */
function selection(values: OptionValues, layers: number, heads: number, architecture: string) {
  const layer = intValue(values, 'layer', 0, 1e6) ?? layers - 1;
  if (layer >= layers)
    throw new UsageError(
      `--layer ${layer} is out of range: ${architecture} has ${layers} attention layer${layers === 1 ? '' : 's'} (0-${layers - 1})`,
    );
  const headText = stringValue(values, 'head') ?? 'mean';
  if (headText === 'mean') return { layer, head: 'mean' as const };
  if (!/^\d+$/.test(headText))
    throw new UsageError(`--head must be a head number from 0, or 'mean', got '${headText}'`);
  const head = Number(headText);
  if (head >= heads)
    throw new UsageError(
      `--head ${head} is out of range: ${architecture} has ${heads} head${heads === 1 ? '' : 's'} (0-${heads - 1}, or mean)`,
    );
  return { layer, head };
}

async function drawTranslation(
  predictor: BatchPredictor,
  text: string,
  out: string,
  values: OptionValues,
): Promise<string> {
  const { attentionLayers: layers, attentionHeads: heads, architecture } = predictor.info;
  if (values.grid && layers * heads === 1)
    throw new UsageError(
      `--grid draws every layer and head; ${architecture} has one attention layer and head`,
    );
  const pick = selection(values, layers, heads, architecture);
  const result: TranslationResult = predictor.translate(text, decodeOptions(values));
  const best = result.hypotheses[0]!;
  const matrices = best.attention.layers;
  const rows = matrices[0]![0]!.length;
  const targetTokens = rowLabels(best.tokens, rows);
  const matrix = pick.head === 'mean' ? mean(matrices[pick.layer]!) : matrices[pick.layer]![pick.head]!;
  const which =
    layers * heads === 1
      ? ''
      : ` (layer ${pick.layer}, ${pick.head === 'mean' ? 'mean of heads' : `head ${pick.head}`})`;
  const title = `${text} → ${best.text}`;
  if (values.grid) {
    await writeAttentionGrid(out, matrices, { sourceTokens: result.sourceTokens, targetTokens, title });
  } else {
    await writeHeatmap(out, matrix, {
      sourceTokens: result.sourceTokens,
      targetTokens,
      title: title + which,
    });
  }
  if (values.quiet) return `${best.text}\n`;
  const width = Math.max(40, process.stdout.columns ?? 80);
  return `${best.text}\n\n${heatmapText(matrix, result.sourceTokens, targetTokens, { width })}${which ? `\n${which.trim()}` : ''}\n`;
}

async function drawClassification(
  predictor: BatchPredictor,
  text: string,
  out: string,
  values: OptionValues,
): Promise<string> {
  for (const name of ['beam', 'max-length', 'layer', 'head', 'grid'])
    if (values[name] !== undefined)
      throw new UsageError(
        `--${name} applies to translation models; ${predictor.info.architecture} is a classifier`,
      );
  const r: ClassificationResult = predictor.classify(text);
  const p = r.probabilities[r.labels.indexOf(r.label)]!;
  const label = `${r.label} (${(100 * p).toFixed(1)}%)`;
  await writeHighlight(out, r.tokens, r.weights, { title: `${label}: ${text}` });
  if (values.quiet) return `${label}\n`;
  return `${label}\n\n${highlightTokensText(r.tokens, r.weights, { width: Math.max(40, process.stdout.columns ?? 80) })}\n`;
}

export async function runAttention(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, SPECS, true);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dir = checkpointOption(values);
  const out = stringValue(values, 'out');
  if (out === undefined) throw new UsageError('--out FILE.png|FILE.svg is required: where the picture goes');
  try {
    pictureFormat('attn attention', out);
  } catch (err) {
    if (err instanceof AttnError) throw new UsageError(`--out: ${err.message}`);
    throw err;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      `give exactly one TEXT to look at (got ${positionals.length}); quote it if it has spaces`,
    );
  const text = positionals[0]!;
  const predictor = await loadPredictor(dir, loadOptions(values));
  const report =
    predictor.info.task === 'translate'
      ? await drawTranslation(predictor, text, out, values)
      : await drawClassification(predictor, text, out, values);
  process.stdout.write(`${report}picture: ${out}\n`);
  return 0;
}
