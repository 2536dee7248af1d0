/**
 * `npx tsx bench/recipes.ts`: the recipes of examples/recipes/ trained as a user runs them (`attn train --config
 * FILE`, each on its own time budget), scored on the dev split with `attn eval` (translation: greedy and with
 * each beam the recipe names), and written to docs/results.md's "Recipes" section. The seed model (the model a
 * new user starts from) is trained the same way, for the same 20 minutes, so that the best recipe's gain over it
 * comes from one sitting on one machine.
 *
 *   --only NAME    these recipes only (comma-separated; results of the others stay as saved)
 *   --work DIR     where runs go (default /tmp/attn-recipes); results accumulate in <work>/recipes.json
 *   --report       only rewrite the section from <work>/recipes.json
 *   --no-lock      train without the timing lock (trial runs; their figures are not for the docs)
 *   --no-report    leave docs/results.md as it is
 *
 * Threads: ATTN_THREADS (default 2). The attn command is `node bin/attn.js` (npm run build first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendInfo } from '../src/node.js';
import { readAttnLog } from './results/attn-log.js';
import { DATA_DIR, sst2, tatoeba } from './results/models.js';
import { machineInfo, spliceSection, type MachineInfo } from './results/report.js';
import { gitCommit, loadAverage, sh, timed } from './results/run-model.js';

interface Recipe {
  name: string;
  title: string;
  /** The config file, relative to the project root. */
  config: string;
  data: string;
  dev: string;
  /** `attn eval` options besides the checkpoint, the data and the beam (e.g. the source column). */
  evalOptions: string[];
  /** Translation: the beams `attn eval` scores with (1 = greedy). */
  beams: number[];
  /** What the recipe must reach: a dev accuracy, or a BLEU gain over another recipe's best. */
  target: { accuracy: number } | { bleuOver: string; gain: number } | null;
}

export const RECIPES: readonly Recipe[] = [
  {
    name: 'fra-eng-seed',
    title: 'French→English, the seed model (GRU 512 + Bahdanau)',
    config: 'examples/recipes/fra-eng-seed.json',
    data: tatoeba('train'),
    dev: tatoeba('dev'),
    evalOptions: ['--source-column', '1'],
    beams: [1],
    target: null,
  },
  {
    name: 'fra-eng-transformer',
    title: 'French→English, the recipe (Transformer, label smoothing, warm-up, beam search)',
    config: 'examples/recipes/fra-eng-transformer.json',
    data: tatoeba('train'),
    dev: tatoeba('dev'),
    evalOptions: ['--source-column', '1'],
    beams: [1, 5],
    target: { bleuOver: 'fra-eng-seed', gain: 3 },
  },
  {
    name: 'sst2',
    title: 'SST-2 sentiment (BiGRU + attention pooling)',
    config: 'examples/recipes/sst2.json',
    data: sst2('train'),
    dev: sst2('dev'),
    evalOptions: [],
    beams: [],
    target: { accuracy: 0.85 },
  },
];

const BEGIN = '<!-- recipes:begin (written by bench/recipes.ts) -->';
const END = '<!-- recipes:end -->';

interface RecipeResult {
  name: string;
  date: string;
  commit: string;
  budget: number;
  threads: number;
  trainCommand: string;
  evalCommands: string[];
  steps: number;
  completedEpochs: number;
  trainSeconds: number;
  status: string;
  throughput: number;
  unit: 'tgt tok/s' | 'seq/s';
  /** Per beam ('beam 1', 'beam 5') the dev BLEU and chrF; for a classifier its accuracy and macro-F1. */
  dev: Record<string, Record<string, number>>;
  load: [number, number];
  machine: MachineInfo;
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    work: { type: 'string', default: '/tmp/attn-recipes' },
    report: { type: 'boolean', default: false },
    'no-lock': { type: 'boolean', default: false },
    'no-report': { type: 'boolean', default: false },
  },
  strict: true,
});

const root = fileURLToPath(new URL('..', import.meta.url));
const work = values.work;
const threads = process.env.ATTN_THREADS ?? '2';
const resultsFile = join(work, 'recipes.json');
const saved: Record<string, RecipeResult> = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, RecipeResult>)
  : {};
const names = values.only?.split(',').map((s) => s.trim()) ?? RECIPES.map((r) => r.name);
for (const n of names) {
  if (!RECIPES.some((r) => r.name === n)) {
    process.stderr.write(`recipes: unknown recipe ${n} (${RECIPES.map((r) => r.name).join(', ')})\n`);
    process.exit(2);
  }
}
const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const attn = ['node', 'bin/attn.js'];
const shown = (path: string) => path.replace(DATA_DIR, '../shared/data/').replace(work, '$WORK');

if (!values.report) {
  mkdirSync(work, { recursive: true });
  for (const recipe of RECIPES.filter((r) => names.includes(r.name))) {
    saved[recipe.name] = runRecipe(recipe);
    writeFileSync(resultsFile, JSON.stringify(saved, null, 2));
  }
}
if (!values['no-report']) {
  const section = renderSection(RECIPES.flatMap((r) => (saved[r.name] ? [saved[r.name]!] : [])));
  await spliceSection(join(root, 'docs/results.md'), section, { begin: BEGIN, end: END });
  // The docs are checked by prettier (npm run lint): leave the file as it would write it.
  spawnSync('npx', ['prettier', '--write', 'docs/results.md'], { cwd: root, stdio: 'ignore' });
  log('docs/results.md: the Recipes section written');
}

function runRecipe(recipe: Recipe): RecipeResult {
  const out = join(work, recipe.name);
  rmSync(out, { recursive: true, force: true });
  const config = JSON.parse(readFileSync(join(root, recipe.config), 'utf8')) as Record<string, unknown>;
  const budget = Number(config['time-budget']);
  const trainArgs = ['train', '--config', recipe.config, '--data', recipe.data, '--dev', recipe.dev];
  const env = { ATTN_THREADS: threads };
  log(`${recipe.name}: attn train (${budget} s${values['no-lock'] ? '' : ', waiting for the timing lock'})`);
  const trained = sh(
    timed(!values['no-lock'], [...attn, ...trainArgs, '--out', out, '--quiet']),
    { root },
    env,
  );
  const load: [number, number] = [Number(trained.stderr.split('\n')[0]), loadAverage()];
  const figures = readAttnLog(join(out, 'log.jsonl'));
  const dev: Record<string, Record<string, number>> = {};
  const evalCommands: string[] = [];
  const evalBase = ['eval', '--checkpoint', out, '--data', recipe.dev, ...recipe.evalOptions];
  for (const beam of recipe.beams.length > 0 ? recipe.beams : [0]) {
    const args = beam > 0 ? [...evalBase, '--beam', String(beam)] : evalBase;
    log(`${recipe.name}: attn eval${beam > 0 ? ` --beam ${beam}` : ''}`);
    const r = JSON.parse(
      sh([...attn, ...args, '--json'], { root }, env)
        .stdout.trim()
        .split('\n')
        .at(-1)!,
    ) as Record<string, number>;
    dev[beam > 0 ? `beam ${beam}` : 'dev'] =
      beam > 0 ? { bleu: r.bleu!, chrf: r.chrf! } : { accuracy: r.accuracy!, macroF1: r.macroF1! };
    evalCommands.push(`attn ${args.map(shown).join(' ')}`);
  }
  const translate = recipe.beams.length > 0;
  return {
    name: recipe.name,
    date: new Date().toISOString().slice(0, 10),
    commit: gitCommit(root),
    budget,
    threads: Number(threads),
    trainCommand: `ATTN_THREADS=${threads} attn ${[...trainArgs, '--out', out].map(shown).join(' ')}`,
    evalCommands,
    steps: figures.steps,
    completedEpochs: figures.completedEpochs,
    trainSeconds: figures.trainSeconds,
    status: figures.status,
    throughput: translate ? figures.tokensPerSecond : figures.sequencesPerSecond,
    unit: translate ? 'tgt tok/s' : 'seq/s',
    dev,
    load,
    machine: machineInfo(`${backendInfo().name} backend (SIMD ${backendInfo().simd})`, ''),
  };
}

/** The best BLEU of a translation result over its beams. */
function bestBleu(r: RecipeResult): { bleu: number; beam: string } {
  const [beam, d] = Object.entries(r.dev).sort((a, b) => b[1].bleu! - a[1].bleu!)[0]!;
  return { bleu: d.bleu!, beam };
}

function renderSection(results: RecipeResult[]): string {
  const fmt = (v: number, digits: number) =>
    v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const rows = results.map((r) => {
    const recipe = RECIPES.find((x) => x.name === r.name)!;
    const dev = Object.entries(r.dev)
      .map(([k, d]) =>
        d.bleu !== undefined
          ? `${k === 'beam 1' ? 'greedy' : k}: BLEU ${fmt(d.bleu, 2)}, chrF ${fmt(d.chrf!, 1)}`
          : `accuracy ${fmt(100 * d.accuracy!, 2)} %, macro-F1 ${fmt(d.macroF1!, 3)}`,
      )
      .join('; ');
    let verdict = '';
    const target = recipe.target;
    if (target && 'accuracy' in target) {
      const a = r.dev.dev!.accuracy!;
      verdict = `${fmt(100 * a, 2)} % against the target ${fmt(100 * target.accuracy, 0)} %: ${a >= target.accuracy ? 'reached' : 'missed'}`;
    } else if (target) {
      const base = results.find((x) => x.name === target.bleuOver);
      if (base) {
        const gain = bestBleu(r).bleu - bestBleu(base).bleu;
        verdict = `${gain >= 0 ? '+' : ''}${fmt(gain, 2)} BLEU over ${target.bleuOver} (target +${target.gain}): ${gain >= target.gain ? 'reached' : 'missed'}`;
      }
    }
    return `| ${recipe.title} | \`${recipe.config}\` | ${r.budget} s | ${r.steps.toLocaleString('en-US')} / ${r.completedEpochs} | ${fmt(r.throughput, 0)} ${r.unit} | ${dev} | ${verdict || '—'} |`;
  });
  const m = results[0]?.machine;
  const commands = results.flatMap((r) => [`# ${r.name}`, r.trainCommand, ...r.evalCommands]);
  return [
    BEGIN,
    '',
    '## Recipes',
    '',
    'Each recipe is a config file of `attn train` options in `examples/recipes/`, trained from the command line',
    'on its own time budget (the budget is part of the file) on the shared Tatoeba and SST-2 data, then scored on',
    'the dev split with `attn eval` (translation: greedy, and with a beam where the recipe uses one). The seed',
    'model is the model a new user starts from (GRU 512 + Bahdanau attention, embeddings 256, batch 64,',
    'vocabularies capped at 8,000 words), trained the same way for the same 20 minutes in the same sitting.',
    '',
    '| recipe | config | budget | updates / epochs | training throughput | dev | target |',
    '| ------ | ------ | -----: | ---------------: | ------------------: | --- | ------ |',
    ...rows,
    '',
    m
      ? `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; ${m.backend}, ${results[0]!.threads} threads; ${results.map((r) => `${r.name} ${r.date} at ${r.commit}, load ${fmt(r.load[0], 1)} → ${fmt(r.load[1], 1)}`).join('; ')}.`
      : '',
    '',
    'Reproduce (`npm run build` first; `$WORK` is the run directory):',
    '',
    '```sh',
    ...commands,
    '```',
    '',
    'or all of them, and this section rewritten: `npx tsx bench/recipes.ts`.',
    END,
  ].join('\n');
}
