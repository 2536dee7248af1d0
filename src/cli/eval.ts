/**
 * `attn eval`: a trained model's metrics on a data file. Translation: corpus BLEU (13a) and exact match of the
 * model's translations against the references, each reference normalised and tokenized as the model's target
 * side is (as the dev evaluation during training does, so the figures agree). Classification: accuracy and
 * macro-F1 against the file's labels, which must be the model's.
 */
import { loadClassificationFile } from '../data/node/classification-file.js';
import { loadPairsFile } from '../data/node/pairs-file.js';
import { formatProblem } from '../data/problems.js';
import { fail } from '../tensor/errors.js';
import { checkpointConfig, checkpointModel, checkpointTokenizers } from '../inference/from-checkpoint.js';
import { createPredictor, type BatchPredictor, type PredictorTokenizers } from '../inference/predictor.js';
import { loadCheckpoint } from '../train/node/checkpoint-dir.js';
import { accuracy } from '../train/metrics/accuracy.js';
import { corpusBleu } from '../train/metrics/bleu.js';
import { corpusChrf } from '../train/metrics/chrf.js';
import { macroF1 } from '../train/metrics/macro-f1.js';
import { runEach } from './batch-safe.js';
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
import {
  CLASSIFICATION_ONLY,
  DATA_FILE_OPTIONS,
  dataFileSettings,
  onMalformed,
  PAIRS_ONLY,
} from './data-file-options.js';

const SPECS: readonly OptionSpec[] = [
  CHECKPOINT_OPTION,
  {
    name: 'data',
    type: 'string',
    value: 'FILE',
    help: 'TSV pairs (translation) or TSV/CSV text,label (classification)',
  },
  ...DECODE_OPTIONS.filter((o) => o.name !== 'n-best'),
  ...DATA_FILE_OPTIONS,
  ALLOW_NON_FINITE,
  { name: 'limit', type: 'string', value: 'N', help: 'evaluate the first N examples only' },
  { name: 'json', type: 'boolean', help: 'print one JSON object' },
  HELP_OPTION,
];

const HELP = `Usage: attn eval --checkpoint DIR --data FILE [options]

Scores a trained model on a data file. Translation: BLEU (0-100, sacrebleu's 13a tokenisation), chrF and chrF++
(0-100, sacrebleu's defaults: character 6-grams, β 2; chrF++ adds word 1- and 2-grams) and exact match (0-1) of
the translations; classification: accuracy and macro-F1 (0-1). Malformed lines stop with file:line
unless --skip-malformed; a classification label the model does not know is malformed.

Options:
${optionHelp(SPECS)}
`;

async function evaluateTranslation(
  predictor: BatchPredictor,
  tokenizers: PredictorTokenizers,
  file: string,
  values: OptionValues,
  limit: number,
  note: (m: string) => void,
): Promise<Record<string, number>> {
  if (!('target' in tokenizers)) return fail('attn eval', 'not a translation model');
  for (const name of CLASSIFICATION_ONLY)
    if (values[name] !== undefined) throw new UsageError(`--${name} applies only to classification models`);
  const options = decodeOptions(values);
  const settings = dataFileSettings(values);
  const { sourceColumn, maxLineTokens } = settings;
  const read = await loadPairsFile(file, { sourceColumn, onError: onMalformed(settings), maxLineTokens });
  if (read.problems.length > 0)
    note(`skipped ${read.problems.length} malformed lines (first: ${formatProblem(read.problems[0]!)})`);
  const pairs = read.pairs.slice(0, limit);
  if (pairs.length === 0)
    fail('attn eval', `${file} holds no sentence pairs (expected lines "source<TAB>target")`);
  const { target } = tokenizers;
  const hyps: string[] = [];
  const refs: string[] = [];
  let exact = 0;
  let failed = 0;
  for (let start = 0; start < pairs.length; start += 256) {
    const chunk = pairs.slice(start, start + 256);
    const results = runEach(
      chunk.map((p) => p.source),
      (texts) => predictor.translateBatch(texts, options),
    );
    results.forEach((r, i) => {
      const refIds = target.encode(chunk[i]!.target);
      const ref = target.decode(refIds);
      const best = r instanceof Error ? null : r.hypotheses[0]!;
      if (best === null) failed++;
      hyps.push(best?.text ?? '');
      refs.push(ref);
      const ids = best?.tokens.map((t) => target.vocabulary.id(t)) ?? [];
      if (best !== null && ids.length === refIds.length && ids.every((id, k) => id === refIds[k])) exact++;
    });
  }
  if (failed > 0) note(`${failed} inputs could not be translated (scored as empty translations)`);
  return {
    examples: pairs.length,
    bleu: corpusBleu(hyps, refs, { tokenize: '13a' }).score,
    chrf: corpusChrf(hyps, refs).score,
    'chrf++': corpusChrf(hyps, refs, { wordOrder: 2 }).score,
    exactMatch: exact / pairs.length,
  };
}

async function evaluateClassification(
  predictor: BatchPredictor,
  labels: string[],
  file: string,
  values: OptionValues,
  limit: number,
  note: (m: string) => void,
): Promise<Record<string, number>> {
  for (const name of ['beam', 'max-length', ...PAIRS_ONLY])
    if (values[name] !== undefined) throw new UsageError(`--${name} applies only to translation models`);
  const settings = dataFileSettings(values);
  const { textColumn, labelColumn, format, maxLineTokens } = settings;
  const read = await loadClassificationFile(file, {
    labels,
    textColumn,
    labelColumn,
    format,
    onError: onMalformed(settings),
    maxLineTokens,
  });
  if (read.problems.length > 0)
    note(`skipped ${read.problems.length} malformed lines (first: ${formatProblem(read.problems[0]!)})`);
  const examples = read.examples.slice(0, limit);
  if (examples.length === 0)
    fail('attn eval', `${file} holds no labelled examples (expected lines "text<TAB>label")`);
  const gold = examples.map((e) => e.label);
  const predicted: number[] = [];
  let failed = 0;
  for (let start = 0; start < examples.length; start += 256) {
    const chunk = examples.slice(start, start + 256);
    runEach(
      chunk.map((e) => e.text),
      (texts) => predictor.classifyBatch(texts),
    ).forEach((r, i) => {
      // An input the model cannot take counts as a wrong answer.
      if (r instanceof Error) failed++;
      const g = gold[start + i]!;
      predicted.push(r instanceof Error ? (g + 1) % labels.length : labels.indexOf(r.label));
    });
  }
  if (failed > 0) note(`${failed} inputs could not be classified (scored as wrong)`);
  return {
    examples: examples.length,
    accuracy: accuracy(predicted, gold),
    macroF1: macroF1(predicted, gold, labels.length),
  };
}

export async function runEval(args: readonly string[]): Promise<number> {
  const { values } = parseOptions(args, SPECS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dir = checkpointOption(values);
  const file = stringValue(values, 'data');
  if (file === undefined) throw new UsageError('--data FILE is required: the examples to score the model on');
  const limit = intValue(values, 'limit', 1, Number.MAX_SAFE_INTEGER) ?? Number.MAX_SAFE_INTEGER;
  const note = (m: string) => process.stderr.write(`attn eval: ${m}\n`);

  const snapshot = await loadCheckpoint(dir, loadOptions(values));
  const config = checkpointConfig(snapshot);
  const tokenizers = checkpointTokenizers(snapshot, config);
  const model = checkpointModel(snapshot, config, tokenizers);
  const predictor = createPredictor({ model, config, tokenizers, name: snapshot.source });
  const metrics =
    config.task === 'translate'
      ? await evaluateTranslation(predictor, tokenizers, file, values, limit, note)
      : await evaluateClassification(predictor, config.labels!, file, values, limit, note);

  if (values.json) {
    const out = {
      task: config.task,
      architecture: config.architecture,
      checkpoint: snapshot.source,
      data: file,
      ...metrics,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(
      Object.entries(metrics)
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join('\n') + '\n',
    );
  }
  return 0;
}
