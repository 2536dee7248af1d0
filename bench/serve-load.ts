/**
 * Load test of `attn serve` on loopback (not part of npm test): starts the built server (`node bin/attn.js serve`)
 * as its own process on a Transformer translation model of the size `attn train --arch transformer` trains by
 * default, warms it up, then drives POST /api/translate with autocannon for a fixed time at 1, 8 and 32
 * connections, once with dynamic batching off (--max-batch 1: one request at a time) and once on (--max-batch
 * 32), and writes requests/s, latency percentiles and errors into the "## Serving" section of docs/results.md.
 *
 *   npm run build
 *   flock -x /tmp/attn-timing.lock npx tsx bench/serve-load.ts                 # trains the model first
 *   flock -x /tmp/attn-timing.lock npx tsx bench/serve-load.ts --checkpoint DIR
 *
 * Options: --checkpoint DIR (a French→English Transformer; without it one is trained for --train-steps on the
 * shared Tatoeba pairs into a temporary directory), --train-steps N (default 400), --duration S per row (default
 * 10), --max-batch N (the batching run's, default 32), --no-write (print only). Inputs are the held-out French
 * sentences of the shared Tatoeba dev set, rotated request by request, each translated greedily with its
 * attention, as the web page asks.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { format, resolveConfig } from 'prettier';
import { backendInfo, writeFileAtomic, type PredictorInfo } from '../src/node.js';
import { DATA_DIR } from './results/models.js';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    'train-steps': { type: 'string', default: '400' },
    duration: { type: 'string', default: '10' },
    'max-batch': { type: 'string', default: '32' },
    'no-write': { type: 'boolean' },
  },
  strict: true,
});
const duration = Number(values.duration);
const trainSteps = Number(values['train-steps']);
const maxBatch = Number(values['max-batch']);
for (const [name, v] of [
  ['duration', duration],
  ['train-steps', trainSteps],
  ['max-batch', maxBatch],
] as const) {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`serve-load: --${name} must be a positive integer`);
}
const CONNECTIONS = [1, 8, 32];

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'attn.js');
const resultsFile = join(root, 'docs', 'results.md');
const tatoeba = (split: string) => join(DATA_DIR, `tatoeba-fra-eng.${split}.tsv`);

function log(line: string): void {
  process.stderr.write(`serve-load: ${line}\n`);
}

/** The checkpoint given, or a default-size Transformer trained briefly on the Tatoeba pairs. */
function checkpoint(): { dir: string; cleanup: () => void } {
  if (values.checkpoint) return { dir: values.checkpoint, cleanup: () => undefined };
  const tmp = mkdtempSync(join(os.tmpdir(), 'attn-serve-load-'));
  const dir = join(tmp, 'transformer');
  log(`no --checkpoint: training attn train --arch transformer for ${trainSteps} steps into ${dir}`);
  const args = [bin, 'train', '--arch', 'transformer', '--data', tatoeba('train'), '--source-column', '1'];
  args.push('--max-steps', String(trainSteps), '--out', dir, '--quiet');
  const train = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (train.status !== 0) throw new Error(`attn train failed with exit code ${train.status}`);
  return { dir, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

type Server = ChildProcessByStdio<null, Readable, Readable>;

/** Starts `attn serve` on a free port; resolves with its process and URL. */
async function startServer(dir: string, batch: number): Promise<{ child: Server; url: string }> {
  // The queue holds every connection's request, so a full queue (503) never cuts a run short.
  const args = [
    bin,
    'serve',
    '--checkpoint',
    dir,
    '--port',
    '0',
    '--max-queue',
    '64',
    '--max-batch',
    String(batch),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/[^/\s]+)\//.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`attn serve exited (${code}): ${stderr.trim()}`)));
  });
  return { child, url };
}

interface Run {
  batching: boolean;
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
}

/** autocannon against /api/translate for `seconds`, cycling through `bodies`. */
async function load(
  url: string,
  bodies: string[],
  conns: number,
  seconds: number,
  batching: boolean,
): Promise<Run> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: conns,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/translate',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  return {
    batching,
    connections: conns,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function serviceSection(info: PredictorInfo, runs: Run[], example: { text: string; output: string }): string {
  const backend = backendInfo();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const rows = runs.map(
    (r) =>
      `| ${r.batching ? `up to ${maxBatch}` : 'off'} | ${r.connections} | ${r.requestsPerSecond.toFixed(1)} | ` +
      `${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.max.toFixed(0)} | ${r.total} | ${r.non2xx + r.errors} |`,
  );
  const at = (batching: boolean) => runs.find((r) => r.batching === batching && r.connections === 32);
  const on = at(true);
  const off = at(false);
  const summary =
    on && off
      ? `At 32 connections batching serves ${(on.requestsPerSecond / off.requestsPerSecond).toFixed(2)}× the ` +
        `requests/s of one request at a time, with p99 latency ${on.p99.toFixed(0)} ms against ${off.p99.toFixed(0)} ms.`
      : '';
  return [
    '## Serving',
    '',
    `\`attn serve\` on loopback, driven by autocannon for ${duration} s per row (after a warm-up) with`,
    '`POST /api/translate` requests, each a held-out French sentence of the Tatoeba dev set translated greedily',
    `with its attention, e.g. \`${JSON.stringify(example.text)}\` → \`${example.output}\`. The model is a ${info.architecture}`,
    `of the size \`attn train --arch transformer\` trains by default (${info.parameters.toLocaleString('en')} parameters),`,
    'trained briefly (throughput does not depend on how well). One model worker; with batching off it runs one',
    `request at a time, with batching on (\`--max-batch ${maxBatch}\`, \`--batch-wait-ms 2\`) it decodes the requests`,
    'waiting for it together, each answer byte for byte the one its request gets alone. ' + summary,
    '',
    '| batching | connections | requests/s | p50 (ms) | p99 (ms) | max (ms) | answered 2xx | errors or non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Machine: ${cpu}, ${os.availableParallelism()} cores shared by the server, its worker and autocannon; ` +
      `Node ${process.version}; ${backend.name} backend (simd: ${backend.simd}); ` +
      `${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Reproduce: `npm run build`, then `flock -x /tmp/attn-timing.lock npx tsx bench/serve-load.ts` (it trains the',
    'model first; `--checkpoint DIR` reuses one).',
    '',
  ].join('\n');
}

/** docs/results.md with its "## Serving" section (up to the next "## " heading) replaced or appended. */
function spliceSection(existing: string, section: string): string {
  const lines = existing.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Serving');
  if (start < 0) {
    const base = existing.trimEnd();
    return `${base === '' ? '# Results\n' : `${base}\n`}\n${section}`;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const after = lines.slice(end).join('\n');
  return [...lines.slice(0, start), section.trimEnd(), ...(after ? ['', after] : [''])].join('\n');
}

/** The held-out French sentences (column 1 of English<TAB>French), as request bodies. */
function requestBodies(): { texts: string[]; bodies: string[] } {
  const texts = readFileSync(tatoeba('dev'), 'utf8')
    .split('\n')
    .map((line) => line.split('\t')[1]?.trim() ?? '')
    .filter((text) => text !== '');
  return { texts, bodies: texts.map((text) => JSON.stringify({ text })) };
}

/** One server, with batching up to `batch` requests: a warm-up, then a run per connection count. */
async function runServer(
  dir: string,
  batch: number,
  bodies: string[],
): Promise<{ runs: Run[]; info: PredictorInfo }> {
  const { child, url } = await startServer(dir, batch);
  try {
    const info = (await (await fetch(`${url}/api/info`)).json()) as PredictorInfo;
    if (info.task !== 'translate')
      throw new Error(`${dir} holds a ${info.task} model; this bench translates`);
    const batching = batch > 1;
    log(`server at ${url}, batching ${batching ? `up to ${batch}` : 'off'}: warming up`);
    await load(url, bodies, 8, 3, batching);
    const runs: Run[] = [];
    for (const conns of CONNECTIONS) {
      const run = await load(url, bodies, conns, duration, batching);
      log(
        `batching ${batching ? 'on' : 'off'}, ${conns} connection(s): ${run.requestsPerSecond.toFixed(1)} requests/s, ` +
          `p50 ${run.p50} ms, p99 ${run.p99} ms, max ${run.max} ms, ${run.non2xx} non-2xx, ${run.errors} errors`,
      );
      runs.push(run);
    }
    return { runs, info };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const { dir, cleanup } = checkpoint();
  try {
    const { texts, bodies } = requestBodies();
    const off = await runServer(dir, 1, bodies);
    const on = await runServer(dir, maxBatch, bodies);
    const { child, url } = await startServer(dir, 1);
    let output: string;
    try {
      const first = await fetch(`${url}/api/translate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodies[0],
      });
      output = ((await first.json()) as { hypotheses: { text: string }[] }).hypotheses[0]!.text;
    } finally {
      child.kill('SIGTERM');
    }
    const section = serviceSection(on.info, [...off.runs, ...on.runs], { text: texts[0]!, output });
    process.stdout.write(`${section}\n`);
    if (!values['no-write']) {
      const existing = readFileSync(resultsFile, 'utf8');
      const options = (await resolveConfig(resultsFile)) ?? {};
      const text = await format(spliceSection(existing, section), { ...options, filepath: resultsFile });
      await writeFileAtomic(resultsFile, new TextEncoder().encode(text));
      log(`wrote the Serving section of ${resultsFile}`);
    }
  } finally {
    cleanup();
  }
}

await main();
