/**
 * Load test of `attn serve` on loopback (not part of npm test): starts the built server (`node bin/attn.js serve`)
 * as its own process on a checkpoint, warms it up, then drives POST /api/translate with autocannon for a fixed
 * time, once with one connection (latency without queueing) and once with several (throughput with a queue),
 * and writes requests/s and latency percentiles into the "## Serving" section of docs/results.md.
 *
 *   npm run build
 *   flock -s /tmp/attn-timing.lock node bin/attn.js demo --out /tmp/attn-demo --quiet   # the model (once)
 *   flock -x /tmp/attn-timing.lock npx tsx bench/serve-load.ts --checkpoint /tmp/attn-demo
 *
 * Options: --checkpoint DIR (a date-task translation model such as `attn demo` writes; without it the demo is
 * trained first), --duration S (default 10), --connections N (default 8), --beam K (default 1), --no-write
 * (print only). Inputs are held-out dates from the built-in date task, rotated request by request.
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
import { backendInfo, dateTask, writeFileAtomic, type PredictorInfo } from '../src/node.js';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    beam: { type: 'string', default: '1' },
    'no-write': { type: 'boolean' },
  },
  strict: true,
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const beamSize = Number(values.beam);
for (const [name, v] of [
  ['duration', duration],
  ['connections', connections],
  ['beam', beamSize],
] as const) {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`serve-load: --${name} must be a positive integer`);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'attn.js');
const resultsFile = join(root, 'docs', 'results.md');

function log(line: string): void {
  process.stderr.write(`serve-load: ${line}\n`);
}

/** The checkpoint given, or the demo model trained into a temporary directory. */
function checkpoint(): { dir: string; cleanup: () => void } {
  if (values.checkpoint) return { dir: values.checkpoint, cleanup: () => undefined };
  const tmp = mkdtempSync(join(os.tmpdir(), 'attn-serve-load-'));
  const dir = join(tmp, 'demo');
  log(`no --checkpoint: training the demo model into ${dir} (attn demo)`);
  const demo = spawnSync(process.execPath, [bin, 'demo', '--out', dir, '--quiet'], { stdio: 'inherit' });
  if (demo.status !== 0) throw new Error(`attn demo failed with exit code ${demo.status}`);
  return { dir, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

type Server = ChildProcessByStdio<null, Readable, Readable>;

/** Starts `attn serve` on a free port; resolves with its process and URL. */
async function startServer(dir: string): Promise<{ child: Server; url: string }> {
  const args = [bin, 'serve', '--checkpoint', dir, '--port', '0', '--max-queue', String(4 * connections)];
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
async function load(url: string, bodies: string[], conns: number, seconds: number): Promise<Run> {
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
      `| ${r.connections} | ${r.requestsPerSecond.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ` +
      `${r.max.toFixed(1)} | ${r.total} | ${r.non2xx + r.errors} |`,
  );
  return [
    '## Serving',
    '',
    `\`attn serve\` on loopback, driven by autocannon for ${duration} s per row (after a 2 s warm-up) with`,
    `\`POST /api/translate\` requests (beam size ${beamSize}), each a held-out date of the built-in date task, e.g.`,
    `\`${JSON.stringify(example.text)}\` → \`${example.output}\`. The model is the \`attn demo\` checkpoint: ${info.architecture},`,
    `${info.parameters.toLocaleString('en')} parameters. One worker thread runs the model, one request at a time.`,
    'With several connections the HTTP work of the main thread overlaps the model work, which raises throughput',
    'a little; the other requests wait in the queue, so latency grows with it. Every answer carries the attention',
    'matrix of its output steps.',
    '',
    '| connections | requests/s | p50 latency (ms) | p99 latency (ms) | max (ms) | answered 2xx | errors or non-2xx |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Machine: ${cpu}, ${os.availableParallelism()} cores shared by the server, its worker and autocannon; ` +
      `Node ${process.version}; ${backend.name} backend, ${backend.threads} thread${backend.threads === 1 ? '' : 's'} ` +
      `(simd: ${backend.simd}); ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Reproduce: `npm run build`, then `flock -s /tmp/attn-timing.lock node bin/attn.js demo --out /tmp/attn-demo`,',
    'then `flock -x /tmp/attn-timing.lock npx tsx bench/serve-load.ts --checkpoint /tmp/attn-demo`.',
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

async function main(): Promise<void> {
  const { dir, cleanup } = checkpoint();
  const { child, url } = await startServer(dir);
  try {
    const info = (await (await fetch(`${url}/api/info`)).json()) as PredictorInfo;
    if (info.task !== 'translate')
      throw new Error(`${dir} holds a ${info.task} model; this bench translates`);
    const dates = dateTask({ count: 200, seed: 4242 }).pairs.map((p) => p.source);
    const bodies = dates.map((text) => JSON.stringify({ text, beamSize }));
    const first = await fetch(`${url}/api/translate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[0],
    });
    if (first.status !== 200) throw new Error(`the server answered ${first.status}: ${await first.text()}`);
    const output = ((await first.json()) as { hypotheses: { text: string }[] }).hypotheses[0]!.text;
    log(`server at ${url}: ${info.architecture}, ${info.parameters} parameters; warming up`);
    await load(url, bodies, connections, 2);
    const runs: Run[] = [];
    for (const conns of [1, connections]) {
      const run = await load(url, bodies, conns, duration);
      log(
        `${conns} connection(s): ${run.requestsPerSecond.toFixed(1)} requests/s, p50 ${run.p50} ms, ` +
          `p99 ${run.p99} ms, ${run.non2xx} non-2xx, ${run.errors} errors`,
      );
      runs.push(run);
    }
    const section = serviceSection(info, runs, { text: dates[0]!, output });
    process.stdout.write(`${section}\n`);
    if (!values['no-write']) {
      let existing = '';
      try {
        existing = readFileSync(resultsFile, 'utf8');
      } catch {
        existing = '';
      }
      // Formatted as `npm run lint` checks it (prettier aligns the table).
      const options = (await resolveConfig(resultsFile)) ?? {};
      const text = await format(spliceSection(existing, section), { ...options, filepath: resultsFile });
      await writeFileAtomic(resultsFile, new TextEncoder().encode(text));
      log(`wrote the Serving section of ${resultsFile}`);
    }
  } finally {
    child.kill('SIGTERM');
    cleanup();
  }
}

await main();
