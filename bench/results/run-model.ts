/**
 * One model of docs/results.md, end to end: `attn train` from the command line, the data handoff
 * (bench/export-data.ts), `attn eval` (and `attn translate`) on the dev file, the same model in PyTorch
 * (bench/torch_train.py) with the same settings and budget, and the PyTorch translations scored with attn's
 * corpusBleu exactly as `attn eval` scores attn's. Both training runs hold the exclusive timing lock, one at a
 * time; everything else runs without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusBleu, corpusChrf, loadCheckpoint } from '../../src/node.js';
import { readAttnLog, type AttnRunFigures } from './attn-log.js';
import type { ModelRun } from './models.js';

export const TIMING_LOCK = '/tmp/attn-timing.lock';

export interface RunnerOptions {
  /** Seconds of training for each implementation. */
  budget: number;
  threads: number;
  /** Where the runs go: <work>/<model>/{attn, data.json, torch.json, ...}. */
  work: string;
  /** The attn command, e.g. ['node', 'bin/attn.js']. */
  attn: string[];
  python: string;
  /** Also time PyTorch with this many threads (throughput only), for `extraBudget` seconds; 0: no extra run. */
  extraThreads: number;
  extraBudget: number;
  /** Hold the exclusive timing lock while training (false only for smoke runs, whose figures mean nothing). */
  lock: boolean;
  /** The project root (commands run there). */
  root: string;
  log: (message: string) => void;
}

export interface ImplResult {
  impl: string;
  parameters: number;
  steps: number;
  completedEpochs: number;
  trainSeconds: number;
  evalSecondsInBudget: number;
  tokensPerSecond: number;
  sequencesPerSecond: number;
  finalLoss: number;
  /** Translation: corpus BLEU and chrF on the dev file; classification: accuracy (0–1). */
  dev: Record<string, number>;
}

export interface ModelResult {
  name: string;
  task: ModelRun['task'];
  arch: ModelRun['arch'];
  date: string;
  budget: number;
  threads: number;
  /** The attn run's resolved model hyper-parameters and training settings. */
  config: Record<string, unknown>;
  training: Record<string, unknown>;
  vocab: Record<string, number>;
  trainExamples: number;
  devExamples: number;
  attnCommand: string;
  attn: ImplResult;
  torch: ImplResult;
  /** What `attn train` printed as its dev metrics (its own evaluation on the dev split it prepared). */
  attnTrainSummary: string;
  /** The loss of one batch with attn's trained weights, computed by attn and by the PyTorch model. */
  parity: { attn: number; torch: number; examples: number };
  /** 1-minute load average of the machine before and after each timed run (other work shows up here). */
  load: { attn: [number, number]; torch: [number, number] };
  /** Both implementations again with `extraThreads` threads, throughput only (shorter runs). */
  extra?: ExtraRuns;
  /** The project's commit the runs were made at (with '+' when the tree had changes). */
  commit: string;
}

export interface ExtraThroughput {
  tokensPerSecond: number;
  sequencesPerSecond: number;
  steps: number;
}

export interface ExtraRuns {
  threads: number;
  budget: number;
  attn: ExtraThroughput;
  torch: ExtraThroughput;
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * PyTorch's libgomp threads wait passively between ops (see bench/e2e/run-e2e.ts torchEnv: with its default
 * spinning they fight OpenBLAS's threads for the two cores and PyTorch trains at about half speed).
 */
const torchWait: Record<string, string> = { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };

export function sh(
  cmd: string[],
  opts: Pick<RunnerOptions, 'root'>,
  env: Record<string, string> = {},
  input?: string,
) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: opts.root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    input,
    maxBuffer: 1 << 30,
  });
  if (r.error) throw new Error(`${cmd.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `${cmd.slice(0, 6).join(' ')} … exited ${r.status}:\n${(r.stderr || r.stdout).slice(-3000)}`,
    );
  }
  return r;
}

/**
 * A timed command: inside the exclusive timing lock, started once the machine is quiet (when-quiet.sh, which
 * prints the load average first on stderr). Without the lock (smoke runs) it starts at once.
 */
export const timed = (lock: boolean, cmd: string[]): string[] =>
  lock
    ? ['flock', '-x', TIMING_LOCK, 'sh', 'bench/results/when-quiet.sh', ...cmd]
    : ['sh', '-c', 'cut -d" " -f1 /proc/loadavg >&2; exec "$@"', 'run', ...cmd];
export const quote = (args: string[]): string =>
  args.map((a) => (/^[\w./:=-]+$/.test(a) ? a : `'${a}'`)).join(' ');

export function gitCommit(root: string): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
  }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: root,
    encoding: 'utf8',
  });
  return `${head}${dirty.stdout.trim() !== '' ? '+' : ''}`;
}

async function countParameters(run: string): Promise<number> {
  const snapshot = await loadCheckpoint(run);
  let n = 0;
  for (const t of snapshot.weights.values()) n += t.size;
  return n;
}

function fromAttnLog(f: AttnRunFigures, parameters: number, dev: Record<string, number>): ImplResult {
  return {
    impl: 'attn',
    parameters,
    steps: f.steps,
    completedEpochs: f.completedEpochs,
    trainSeconds: f.trainSeconds,
    evalSecondsInBudget: f.evalSecondsInBudget,
    tokensPerSecond: f.tokensPerSecond,
    sequencesPerSecond: f.sequencesPerSecond,
    finalLoss: f.finalLoss,
    dev,
  };
}

export async function runModel(model: ModelRun, opts: RunnerOptions): Promise<ModelResult> {
  const dir = join(opts.work, model.name);
  const run = join(dir, 'attn');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ATTN_THREADS: String(opts.threads) };
  const data = ['--data', model.train, '--dev', model.dev, ...model.dataOptions];
  const trainArgs = [
    'train',
    ...['--task', model.task, '--arch', model.arch, ...data, ...model.options],
    ...['--time-budget', String(opts.budget), '--out', run, '--quiet'],
  ];

  opts.log(`${model.name}: attn train (${opts.budget} s, waiting for the timing lock)`);
  const attnLoad: [number, number] = [0, 0];
  const trained = sh(timed(opts.lock, [...opts.attn, ...trainArgs]), opts, env);
  attnLoad[0] = Number(trained.stderr.split('\n')[0]);
  attnLoad[1] = loadAverage();
  writeFileSync(join(dir, 'attn-train.out'), trained.stdout + trained.stderr);
  const figures = readAttnLog(join(run, 'log.jsonl'));

  opts.log(`${model.name}: export the data to PyTorch`);
  const exported = join(dir, 'data.json');
  sh(['npx', 'tsx', 'bench/export-data.ts', '--run', run, '--out', exported], opts);
  const handoff = JSON.parse(readFileSync(exported, 'utf8')) as {
    config: Record<string, unknown>;
    training: Record<string, unknown>;
    vocab: Record<string, number>;
    train: { source?: unknown[]; ids?: unknown[] };
    dev: { references?: string[]; ids?: unknown[] };
  };

  opts.log(`${model.name}: one batch's loss with attn's weights, in attn and in PyTorch`);
  const parityAttn = JSON.parse(
    sh(['npx', 'tsx', 'bench/results/parity.ts', '--run', run, '--data', exported], opts).stdout.trim(),
  ) as { loss: number; count: number };
  const parityTorch = JSON.parse(
    sh(
      [opts.python, 'bench/torch_train.py', '--data', exported, '--parity', run, '--threads', '1'],
      opts,
    ).stdout.trim(),
  ) as { loss: number };

  opts.log(`${model.name}: attn eval on ${model.dev}`);
  const evalArgs = ['eval', '--checkpoint', run, '--data', model.dev, ...model.dataOptions, '--json'];
  const evaluated = JSON.parse(
    sh([...opts.attn, ...evalArgs], opts, env)
      .stdout.trim()
      .split('\n')
      .at(-1)!,
  ) as Record<string, number>;
  const attnDev: Record<string, number> =
    model.task === 'translate'
      ? { bleu: evaluated.bleu!, exactMatch: evaluated.exactMatch! }
      : { accuracy: evaluated.accuracy!, macroF1: evaluated.macroF1! };
  if (model.task === 'translate') {
    // The same scoring as the PyTorch side's, over `attn translate`'s output: it must give attn eval's BLEU.
    const sources = readFileSync(model.dev, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.split('\t')[model.sourceColumn ?? 0]!.trim());
    const out = sh([...opts.attn, 'translate', '--checkpoint', run], opts, env, sources.join('\n') + '\n');
    const hyps = out.stdout.split('\n').slice(0, sources.length);
    writeFileSync(join(dir, 'attn-hyps.txt'), hyps.join('\n') + '\n');
    attnDev.bleuRescored = corpusBleu(hyps, handoff.dev.references!, { tokenize: '13a' }).score;
    attnDev.chrf = corpusChrf(hyps, handoff.dev.references!).score;
  }
  const attn = fromAttnLog(figures, await countParameters(run), attnDev);

  opts.log(`${model.name}: PyTorch (${opts.budget} s, waiting for the timing lock)`);
  const torchOut = join(dir, 'torch.json');
  const hypsFile = join(dir, 'torch-hyps.txt');
  const torchArgs = ['bench/torch_train.py', '--data', exported, '--out', torchOut, '--hyps', hypsFile];
  const torchArgsAll = [...torchArgs, '--budget', String(opts.budget), '--threads', String(opts.threads)];
  const torchRun = sh(timed(opts.lock, [opts.python, ...torchArgsAll]), opts, torchWait);
  const torchLoad: [number, number] = [Number(torchRun.stderr.split('\n')[0]), loadAverage()];
  writeFileSync(join(dir, 'torch-train.out'), torchRun.stdout + torchRun.stderr);
  const t = JSON.parse(readFileSync(torchOut, 'utf8')) as ImplResult & { dev: Record<string, number> };
  let torchDev: Record<string, number>;
  if (model.task === 'translate') {
    const hyps = readFileSync(hypsFile, 'utf8').split('\n').slice(0, handoff.dev.references!.length);
    const refs = handoff.dev.references!;
    const exact = hyps.filter((h, i) => h === refs[i]).length / refs.length;
    torchDev = {
      bleu: corpusBleu(hyps, refs, { tokenize: '13a' }).score,
      chrf: corpusChrf(hyps, refs).score,
      exactMatch: exact,
    };
  } else {
    torchDev = { accuracy: t.dev.accuracy! };
  }

  const extra = opts.extraThreads > 0 ? await runExtras(model, opts) : undefined;

  return {
    extra,
    name: model.name,
    task: model.task,
    arch: model.arch,
    date: new Date().toISOString().slice(0, 10),
    budget: opts.budget,
    threads: opts.threads,
    config: handoff.config,
    training: handoff.training,
    vocab: handoff.vocab,
    trainExamples: (handoff.train.source ?? handoff.train.ids)!.length,
    devExamples: (handoff.dev.references ?? handoff.dev.ids)!.length,
    attnCommand: `ATTN_THREADS=${opts.threads} attn ${quote(trainArgs.map((a) => a.replace(opts.work, '$WORK').replace(/^.*\/shared\/data\//, '../shared/data/')))}`,
    attn,
    torch: { ...t, impl: t.impl, dev: torchDev },
    attnTrainSummary: trained.stdout.split('\n').find((l) => l.startsWith('dev:')) ?? '',
    parity: { attn: parityAttn.loss, torch: parityTorch.loss, examples: parityAttn.count },
    load: { attn: attnLoad, torch: torchLoad },
    commit: gitCommit(opts.root),
  };
}

/**
 * Both implementations again with `opts.extraThreads` threads for `opts.extraBudget` seconds, throughput only
 * (a shorter run from scratch: its dev figures are not comparable). Reuses the model's run directory: the data
 * handoff of its main run must be there.
 */
export async function runExtras(model: ModelRun, opts: RunnerOptions): Promise<ExtraRuns> {
  const dir = join(opts.work, model.name);
  const exported = join(dir, 'data.json');
  const n = opts.extraThreads;
  const budget = String(opts.extraBudget);
  opts.log(`${model.name}: attn with ${n} thread(s), ${budget} s (throughput only)`);
  const run = join(dir, `attn-${n}threads`);
  rmSync(run, { recursive: true, force: true });
  const data = ['--data', model.train, '--dev', model.dev, ...model.dataOptions];
  const args = ['train', '--task', model.task, '--arch', model.arch, ...data, ...model.options];
  sh(timed(opts.lock, [...opts.attn, ...args, '--time-budget', budget, '--out', run, '--quiet']), opts, {
    ATTN_THREADS: String(n),
  });
  const a = readAttnLog(join(run, 'log.jsonl'));

  opts.log(`${model.name}: PyTorch with ${n} thread(s), ${budget} s (throughput only)`);
  const out = join(dir, `torch-${n}threads.json`);
  const torchArgs = ['--data', exported, '--out', out, '--hyps', join(dir, `torch-${n}threads-hyps.txt`)];
  const t = sh(
    timed(opts.lock, [
      opts.python,
      'bench/torch_train.py',
      ...torchArgs,
      '--budget',
      budget,
      '--threads',
      String(n),
    ]),
    opts,
    torchWait,
  );
  writeFileSync(join(dir, `torch-${n}threads.out`), t.stdout + t.stderr);
  const e = JSON.parse(readFileSync(out, 'utf8')) as ImplResult;
  const pick = (x: ExtraThroughput): ExtraThroughput => ({
    tokensPerSecond: x.tokensPerSecond,
    sequencesPerSecond: x.sequencesPerSecond,
    steps: x.steps,
  });
  return { threads: n, budget: opts.extraBudget, attn: pick(a), torch: pick(e) };
}

/**
 * chrF of both sides of a translation run saved before the harness recorded it, from the hypotheses it kept
 * (<work>/<model>/attn-hyps.txt from `attn translate`, torch-hyps.txt) against the handoff's references: the same
 * files and references the saved BLEU figures were scored on. Results that have it, or lack the files, stay as
 * they are.
 */
export function addMissingChrf(result: ModelResult, work: string): void {
  if (result.task !== 'translate') return;
  if (result.attn.dev.chrf !== undefined && result.torch.dev.chrf !== undefined) return;
  const dir = join(work, result.name);
  const files = ['data.json', 'attn-hyps.txt', 'torch-hyps.txt'].map((f) => join(dir, f));
  if (!files.every((f) => existsSync(f))) return;
  const refs = (JSON.parse(readFileSync(files[0]!, 'utf8')) as { dev: { references: string[] } }).dev
    .references;
  const hyps = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, refs.length);
  result.attn.dev.chrf = corpusChrf(hyps(files[1]!), refs).score;
  result.torch.dev.chrf = corpusChrf(hyps(files[2]!), refs).score;
}
