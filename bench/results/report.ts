/**
 * The "Training beside PyTorch" section of docs/results.md, from the runs' results (results.json). The section
 * sits between two marker comments; writing it replaces only what is between them, so the file's other sections
 * (serving, notes written by hand) stay as they are.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { cpuFeatures } from '../../src/cli/info.js';
import { writeFileAtomic } from '../../src/node.js';
import type { ModelResult } from './run-model.js';
import { MODELS } from './models.js';

export const BEGIN = '<!-- training-beside-pytorch:begin (written by bench/results.ts) -->';
export const END = '<!-- training-beside-pytorch:end -->';

const INTRO = `# Results

Figures measured on real data with the \`attn\` command, beside the same models in PyTorch. Every figure comes
from a script in \`bench/\` that anyone can re-run; each section says how.
`;

export interface MachineInfo {
  cpu: string;
  /** The CPU's SIMD flags (/proc/cpuinfo: sse4_2, avx2, fma, avx512f, ...). */
  features: string[];
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  backend: string;
  torch: string;
}

export function machineInfo(backend: string, torch: string): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    features: cpuFeatures(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    backend,
    torch,
  };
}

const fmt = (v: number | undefined, digits = 1): string =>
  v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const int = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v.toLocaleString('en-US');

function devCell(r: ModelResult, impl: 'attn' | 'torch'): string {
  const d = r[impl].dev;
  return r.task === 'translate'
    ? `BLEU ${fmt(d.bleu, 2)}, chrF ${fmt(d.chrf, 1)}`
    : `acc ${fmt(100 * (d.accuracy ?? NaN), 2)} %`;
}

function throughput(r: ModelResult, impl: 'attn' | 'torch'): number {
  return r.task === 'translate' ? r[impl].tokensPerSecond : r[impl].sequencesPerSecond;
}

function extraCell(r: ModelResult, impl: 'attn' | 'torch'): string {
  const e = r.extra?.[impl];
  if (!e) return 'n/a';
  const v = r.task === 'translate' ? e.tokensPerSecond : e.sequencesPerSecond;
  return `${fmt(v, 0)} ${r.task === 'translate' ? 'tgt tok/s' : 'seq/s'}`;
}

function title(r: ModelResult): string {
  return MODELS.find((m) => m.name === r.name)?.title ?? r.name;
}

function settingsLine(r: ModelResult): string {
  const c = r.config;
  const t = r.training;
  const sizes = Object.entries(c)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  const sched =
    t.schedule === 'constant'
      ? 'constant lr'
      : `${String(t.schedule)} schedule, warm-up ${String(t.warmup)} steps`;
  const vocab = Object.entries(r.vocab)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `- **${title(r)}** (\`--arch ${r.arch}\`): ${sizes}. ${String(t.optimizer)} lr ${String(t.lr)}` +
    `${Number(t.weightDecay) > 0 ? ` (weight decay ${String(t.weightDecay)})` : ''}, ${sched}, batch ${String(t.batchSize)}, ` +
    `gradient norm clipped at ${String(t.clip)}, label smoothing ${String(t.labelSmoothing)}, seed ${String(t.seed)}. ` +
    `Word vocabularies (${vocab}); ${int(r.trainExamples)} training examples, ${int(r.devExamples)} dev examples.` +
    `\n  \`${r.attnCommand}\``
  );
}

export function renderSection(results: ModelResult[], machine: MachineInfo): string {
  /** Each task's budget, as "1200 s" (or the budgets of its models, where they differ). */
  const budgetOf = (task: ModelResult['task']) =>
    [...new Set(results.filter((r) => r.task === task).map((r) => `${r.budget} s`))].join(' or ');
  const budgetText = (['translate', 'classify'] as const)
    .filter((task) => results.some((r) => r.task === task))
    .map((task) => `${budgetOf(task)} for ${task === 'translate' ? 'translation' : 'classification'}`)
    .join(' and ');
  const totalMinutes = Math.ceil(results.reduce((sum, r) => sum + 2 * r.budget, 0) / 60);
  const threads = results[0]?.threads ?? 0;
  const dates = [...new Set(results.map((r) => r.date))].join(', ');
  const rows = results.map((r) => {
    const a = throughput(r, 'attn');
    const t = throughput(r, 'torch');
    const unit = r.task === 'translate' ? 'tgt tok/s' : 'seq/s';
    return (
      `| ${title(r)} | ${fmt(a, 0)} ${unit} | ${fmt(t, 0)} ${unit} | ${fmt(a / t, 2)}× | ${devCell(r, 'attn')} | ` +
      `${devCell(r, 'torch')} | ${int(r.attn.steps)} / ${int(r.torch.steps)} | ${int(r.attn.completedEpochs)} / ` +
      `${int(r.torch.completedEpochs)} | ${fmt(r.attn.finalLoss, 3)} / ${fmt(r.torch.finalLoss, 3)} | ` +
      `${int(r.attn.parameters)} / ${int(r.torch.parameters)} |`
    );
  });
  const extra = results.find((r) => r.extra)?.extra;
  const plural = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const extraRows = results
    .filter((r) => r.extra)
    .map((r) => {
      const a = r.extra!.attn;
      const t = r.extra!.torch;
      const v = (x: typeof a) => (r.task === 'translate' ? x.tokensPerSecond : x.sequencesPerSecond);
      return (
        `| ${title(r)} | ${extraCell(r, 'attn')} | ${extraCell(r, 'torch')} | ${fmt(v(a) / v(t), 2)}× | ` +
        `${fmt(throughput(r, 'attn'), 0)} / ${fmt(throughput(r, 'torch'), 0)} |`
      );
    });
  const translations = results.filter((r) => r.task === 'translate');
  const rescored = translations
    .map(
      (r) => `${r.name}: attn eval ${fmt(r.attn.dev.bleu, 2)}, rescored ${fmt(r.attn.dev.bleuRescored, 2)}`,
    )
    .join('; ');
  return [
    BEGIN,
    '## Training beside PyTorch',
    '',
    `Generated by \`npx tsx bench/results.ts\` on ${dates}. Each model trained end to end from the command`,
    `line (\`attn train\`) and the same model in PyTorch (\`bench/torch_train.py\`), each for **${budgetText} of`,
    `wall time**, with **${threads} thread${threads === 1 ? '' : 's'}** each, one run at a time under an exclusive lock (no other timed work on`,
    'the machine meanwhile).',
    '',
    `Machine: ${machine.cpu} (${machine.features.join(' ') || 'no SIMD flags read'}), ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}.`,
    `attn: ${machine.backend}. Peer: ${machine.torch} (Debian's python3-torch, CPU), \`torch.set_num_threads(${threads})\`.`,
    '',
    '| model | attn throughput | PyTorch throughput | attn ÷ PyTorch | attn dev | PyTorch dev | updates attn / PyTorch | epochs attn / PyTorch | final train loss attn / PyTorch | parameters attn / PyTorch |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...(extra
      ? [
          `With ${plural(extra.threads)} instead (separate ${extra.budget} s runs of each implementation, throughput only;`,
          `the last column repeats the ${plural(threads)} figures):`,
          '',
          `| model | attn, ${plural(extra.threads)} | PyTorch, ${plural(extra.threads)} | attn ÷ PyTorch | attn / PyTorch with ${plural(threads)} |`,
          '| --- | --- | --- | --- | --- |',
          ...extraRows,
          '',
        ]
      : []),
    'Throughput is of the training steps (forward, backward, clipping, update; evaluations inside the budget left',
    'out): target tokens per second for translation (each target sentence counts its words and its `<eos>`), input',
    "sequences per second for classification. Dev: BLEU and chrF (sacrebleu's defaults: character 6-grams, β 2)",
    'on every pair of `tatoeba-fra-eng.dev.tsv`, accuracy on every sentence of `sst2.dev.tsv` (counts below). "Final',
    'train loss" is the mean training loss over about the last 50 updates.',
    '',
    '### Settings',
    '',
    "Both implementations train the same model (attn's modules mirrored in PyTorch with attn's parameter names and",
    "PyTorch's default initialisation, which attn reproduces) on the same ids with the same settings:",
    '',
    ...results.map(settingsLine),
    '',
    '### How the two sides are made equal',
    '',
    "- **Data and vocabulary.** `bench/export-data.ts` reads the attn run's checkpoint (its saved settings and",
    "  tokenizers) and rebuilds the training examples with the CLI's own data preparation",
    '  (`src/cli/training-data.ts`), so PyTorch gets the very ids attn trained on. Dev sources are encoded with the',
    '  same tokenizers; references are normalised as `attn eval` does (`target.decode(target.encode(reference))`).',
    '- **Settings.** `bench/torch_train.py` reads the model sizes and the optimiser settings (optimiser, lr,',
    "  schedule, warm-up, batch size, clipping, label smoothing, dropout, seed) from the attn run's `config.json`.",
    '  Teacher forcing is full on both sides; sources end with `<eos>` on both sides (as `attn train` does).',
    "- **Batching.** The same policy as attn's `bucketBatches`: shuffle, sort buckets of 100 × batch size by",
    '  length, cut into batches, shuffle the batches. Seeds are the same (0) but the random streams are each',
    "  library's own, so initial weights, dropout masks and batch order differ while following the same laws.",
    '- **Budget.** Both check the wall clock after/before each update and stop once the budget is spent; both',
    '  evaluate on dev at the end of every completed epoch inside the budget, as `attn train` does.',
    "- **Decoding and scoring.** Greedy decoding, at most 2 × the batch's longest source + 10 tokens (`attn",
    "  eval`'s default). attn's BLEU is `attn eval --json`; PyTorch's translations are scored with the same",
    '  `corpusBleu` (sacrebleu-compatible BLEU-4, 13a tokenisation) against the same references. As a check of that',
    `  scoring, \`attn translate\`'s output rescored the PyTorch way gives attn eval's figure (${rescored}).`,
    "  chrF is `corpusChrf` over each side's translations (`attn translate`'s output and PyTorch's).",
    '',
    '### Checks',
    '',
    `- **Same model.** The loss of one batch (the first ${results[0]?.parity.examples ?? 32} training examples, no dropout) with the attn run's trained`,
    '  weights, computed by attn (`bench/results/parity.ts`) and by the PyTorch model with those weights loaded by',
    '  name (`bench/torch_train.py --parity`): ' +
      results.map((r) => `${r.name} ${r.parity.attn.toFixed(6)} / ${r.parity.torch.toFixed(6)}`).join('; ') +
      '.',
    "- **Quiet machine?** The 1-minute load average before → after each timed run (2 cores; other sessions' untimed",
    '  work can add to it, slowing both sides): ' +
      results
        .map(
          (r) =>
            `${r.name} attn ${r.load.attn.map((x) => x.toFixed(1)).join(' → ')}, ` +
            `PyTorch ${r.load.torch.map((x) => x.toFixed(1)).join(' → ')}`,
        )
        .join('; ') +
      '.',
    `- Commit: ${[...new Set(results.map((r) => r.commit))].join(', ')} (as each model's runs ended; a '+' marks`,
    '  uncommitted changes in the tree then, such as edits to this report while the runs went on).',
    '',
    '### Reproduce',
    '',
    '```sh',
    'npm install && npm run build          # the attn command (dist/) and the native addon',
    "sudo apt-get install python3-torch libopenblas0-pthread    # Debian's PyTorch 1.13 (CPU) at /usr/bin/python3, on OpenBLAS",
    `npx tsx bench/results.ts              # all five models, each implementation ${budgetText} (about ${totalMinutes} min of training)`,
    'npx tsx bench/results.ts --only nmt-gru-bahdanau --budget 60   # one model, a shorter budget',
    'npx tsx bench/results.ts --report     # rewrite this section from the saved results.json',
    '```',
    '',
    'Runs, logs, exported data and hypotheses go to `$WORK` (`--work`, default `/tmp/attn-results`).',
    END,
  ].join('\n');
}

/**
 * docs/results.md with this section written in: replaced between its markers (this section's, or those given),
 * or added after the intro, before the first section (a heading, or another script's marked section).
 */
export async function spliceSection(
  path: string,
  section: string,
  markers: { begin: string; end: string } = { begin: BEGIN, end: END },
): Promise<void> {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : INTRO;
  const begin = text.indexOf(markers.begin);
  const end = text.indexOf(markers.end);
  let out: string;
  if (begin >= 0 && end > begin) {
    out = text.slice(0, begin) + section + text.slice(end + markers.end.length);
  } else {
    const firstSection = text.search(/^(## |<!-- [\w-]+:begin)/m);
    out =
      firstSection >= 0
        ? `${text.slice(0, firstSection)}${section}\n\n${text.slice(firstSection)}`
        : `${text.trimEnd()}\n\n${section}\n`;
  }
  await writeFileAtomic(path, new TextEncoder().encode(out));
}
