/**
 * `npx tsx bench/results.ts`: the comparison of issue 8, written to docs/results.md. For each model (see
 * bench/results/models.ts) attn trains from the command line (`attn train … --time-budget`), then the same model
 * trains in PyTorch (bench/torch_train.py) on the same ids with the same settings and budget; both are scored on
 * the dev file the same way. Results accumulate in <work>/results.json, so one model can be re-run alone
 * (--only) and the section rewritten from what is saved (--report).
 *
 *   --translate-budget S   training seconds per translation model and implementation (default 1200)
 *   --classify-budget S    training seconds per classifier and implementation (default 480)
 *   --budget S     both at once (a shorter trial run)
 *   --threads N    threads of both implementations (default 2)
 *   --extra-threads N   also time both with N threads, throughput only (default 1; 0: no such runs)
 *   --extra-budget S    seconds of those runs (default 60)
 *   --extras-only       only those runs, for models whose main runs are in <work>
 *   --only NAME    run these models only (comma-separated names)
 *   --work DIR     where runs go (default /tmp/attn-results)
 *   --report       only rewrite docs/results.md from <work>/results.json
 *   --no-lock      train without the timing lock (smoke runs; their figures are not for the docs)
 *   --no-report    leave docs/results.md as it is (trial runs)
 *
 * The attn command is `node bin/attn.js` (build it first: npm run build); ATTN_RESULTS_CLI overrides it (a
 * command line, split on spaces). PyTorch is /usr/bin/python3 unless ATTN_BENCH_PYTHON says otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendInfo } from '../src/node.js';
import { missingData, MODELS } from './results/models.js';
import { machineInfo, renderSection, spliceSection } from './results/report.js';
import { addMissingChrf, runExtras, runModel, type ModelResult } from './results/run-model.js';

const { values } = parseArgs({
  options: {
    'translate-budget': { type: 'string', default: '1200' },
    'classify-budget': { type: 'string', default: '480' },
    budget: { type: 'string' },
    threads: { type: 'string', default: '2' },
    'extra-threads': { type: 'string', default: '1' },
    'extras-only': { type: 'boolean', default: false },
    'extra-budget': { type: 'string', default: '60' },
    only: { type: 'string' },
    work: { type: 'string', default: '/tmp/attn-results' },
    report: { type: 'boolean', default: false },
    'no-lock': { type: 'boolean', default: false },
    'no-report': { type: 'boolean', default: false },
  },
  strict: true,
});

const fail = (message: string): never => {
  process.stderr.write(`results: ${message}\n`);
  process.exit(2);
};
const seconds = (option: string, value: string): number => {
  const n = Number(value);
  if (!(n > 0)) fail(`--${option} must be a positive number of seconds, got ${value}`);
  return n;
};
/** Each task's budget: 20 minutes for translation and 8 for classification unless given. */
const budgets = {
  translate: seconds(
    values.budget ? 'budget' : 'translate-budget',
    values.budget ?? values['translate-budget']!,
  ),
  classify: seconds(
    values.budget ? 'budget' : 'classify-budget',
    values.budget ?? values['classify-budget']!,
  ),
};
const threads = Number(values.threads);
if (!(Number.isInteger(threads) && threads > 0))
  fail(`--threads must be a positive integer, got ${values.threads}`);
const extraThreads = Number(values['extra-threads']);
if (!(Number.isInteger(extraThreads) && extraThreads >= 0))
  fail(`--extra-threads must be a non-negative integer, got ${values['extra-threads']}`);
if (!(Number(values['extra-budget']) > 0))
  fail(`--extra-budget must be a positive number of seconds, got ${values['extra-budget']}`);
const names = values.only?.split(',').map((s) => s.trim()) ?? MODELS.map((m) => m.name);
for (const n of names) {
  if (!MODELS.some((m) => m.name === n))
    fail(`unknown model '${n}' (models: ${MODELS.map((m) => m.name).join(', ')})`);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const work = values.work!;
mkdirSync(work, { recursive: true });
const resultsFile = `${work}/results.json`;
const saved: ModelResult[] = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as ModelResult[])
  : [];
const python = process.env.ATTN_BENCH_PYTHON ?? '/usr/bin/python3';
const attn = process.env.ATTN_RESULTS_CLI?.split(' ').filter((s) => s !== '') ?? ['node', 'bin/attn.js'];

if (!values.report) {
  if (!process.env.ATTN_RESULTS_CLI && !existsSync(`${root}dist/cli/train.js`)) {
    fail('dist/cli/train.js is missing: run `npm run build` first (or set ATTN_RESULTS_CLI)');
  }
  for (const name of names) {
    const model = MODELS.find((m) => m.name === name)!;
    const missing = missingData(model);
    if (missing.length > 0) fail(`${name}: missing data ${missing.join(', ')} (set ATTN_DATA_DIR)`);
    const runner = {
      budget: budgets[model.task],
      threads,
      work,
      attn,
      python,
      extraThreads,
      extraBudget: Number(values['extra-budget']),
      lock: !values['no-lock'],
      root,
      log: (m: string) => process.stderr.write(`results: ${m}\n`),
    };
    let result: ModelResult;
    if (values['extras-only']) {
      const main = saved.find((r) => r.name === name);
      if (!main) fail(`${name}: no main run in ${resultsFile} (run it without --extras-only first)`);
      if (extraThreads === 0) fail('--extras-only needs --extra-threads of at least 1');
      result = { ...main!, extra: await runExtras(model, runner) };
    } else {
      result = await runModel(model, runner);
    }
    const i = saved.findIndex((r) => r.name === name);
    if (i >= 0) saved[i] = result;
    else saved.push(result);
    writeFileSync(resultsFile, JSON.stringify(saved, null, 2));
    const unit = model.task === 'translate' ? 'tokensPerSecond' : 'sequencesPerSecond';
    process.stderr.write(
      `results: ${name}: attn ${result.attn[unit].toFixed(0)} vs PyTorch ${result.torch[unit].toFixed(0)} ${unit}; ` +
        `dev ${JSON.stringify(result.attn.dev)} vs ${JSON.stringify(result.torch.dev)}\n`,
    );
  }
}

if (values['no-lock'] || values['no-report']) {
  process.stderr.write(`results: results in ${resultsFile}; docs/results.md left as it is\n`);
  process.exit(0);
}
if (saved.length === 0) fail(`no results in ${resultsFile} to report`);
for (const r of saved) addMissingChrf(r, work);
const order = (r: ModelResult) => MODELS.findIndex((m) => m.name === r.name);
saved.sort((a, b) => order(a) - order(b));
const torchVersion = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
  encoding: 'utf8',
});
const info = backendInfo();
const machine = machineInfo(
  `${info.name} backend (SIMD ${info.simd}), ATTN_THREADS=${saved[0]!.threads}`,
  `PyTorch ${torchVersion.stdout.trim() || 'unknown'}`,
);
await spliceSection(
  fileURLToPath(new URL('../docs/results.md', import.meta.url)),
  renderSection(saved, machine),
);
// The docs are checked by prettier (npm run lint): leave the file as it would write it.
spawnSync('npx', ['prettier', '--write', 'docs/results.md'], { cwd: root, stdio: 'ignore' });
process.stderr.write('results: wrote docs/results.md\n');
