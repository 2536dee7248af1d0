// What the server holds and whom it answers: the attention an answer carries (all, best, none) and its size cap,
// the Host allow-list (DNS rebinding), the security headers, answers on half-closed connections, and — with the
// built `attn serve` in a child process — slow readers that never read their answers: the server's resident
// memory stays under the bound README states, and once the idle sockets time out the server answers again.
// (Which slow answers get 503 depends on the kernel's socket buffers; the budget itself is tested directly.)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PendingAnswers } from '../../src/serve/answer-budget.js';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

let checkpoints: TinyCheckpoints;
let server: AttnServer;
let url: string;

beforeAll(async () => {
  checkpoints = await tinyCheckpoints();
  server = await createServer({
    checkpoint: checkpoints.translate,
    page: false,
    limits: { maxResponseBytes: 4096 },
    allowedHosts: ['attn.example'],
  });
  url = await server.listen(0);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await checkpoints?.remove();
});

const translate = (body: object, host?: string) =>
  server.app.inject({
    method: 'POST',
    url: '/api/translate',
    payload: body,
    headers: host === undefined ? {} : { host },
  });

/** A raw HTTP/1.1 request on its own socket; resolves with the socket once the request is written. */
function rawRequest(port: number, body: string, halfClose = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /api/translate HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      if (halfClose) socket.end();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
  });
}

describe('attn serve: bounded answers and checked hosts', () => {
  it('attention: "all" (the default), "best" or "none"; an unknown choice is a 400', async () => {
    const options = { text: 'a b', beamSize: 2, nBest: 2, maxLength: 3 };
    const all = (await translate(options)).json();
    expect(all.hypotheses.every((h: object) => 'attention' in h)).toBe(true);
    const best = (await translate({ ...options, attention: 'best' })).json();
    expect(best.hypotheses.map((h: object) => 'attention' in h)).toEqual([true, false]);
    const none = (await translate({ ...options, attention: 'none' })).json();
    expect(none.hypotheses.some((h: object) => 'attention' in h)).toBe(false);
    const bad = await translate({ ...options, attention: 'some' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/attention must be one of "all", "best", "none"/);
  });

  it('an answer over maxResponseBytes is sent with less attention, saying so', async () => {
    const response = await translate({ text: 'a b c d', beamSize: 8, nBest: 8, maxLength: 30 });
    expect(response.statusCode).toBe(200);
    expect(response.body.length).toBeLessThanOrEqual(4096);
    expect(response.json().attentionOmitted).toMatch(/larger than the limit of 4096 bytes/);
  });

  it('answers loopback names, IP addresses and allowed names; refuses other hosts (DNS rebinding)', async () => {
    for (const host of ['localhost:8080', '127.0.0.1', '[::1]:80', '10.0.0.2:8080', 'attn.example:80']) {
      expect((await translate({ text: 'a' }, host)).statusCode, host).toBe(200);
    }
    const refused = await translate({ text: 'a' }, 'rebind.attacker.example');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toMatch(/does not answer to the host "rebind.attacker.example"/);
  });

  it('sends Referrer-Policy and the other usual headers', async () => {
    const response = await translate({ text: 'a' });
    expect(response.headers).toMatchObject({
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    });
  });

  it('answers a client that half-closes its side after sending', async () => {
    const port = Number(new URL(url).port);
    const socket = await rawRequest(port, JSON.stringify({ text: 'a b' }), true);
    const answer = await readAll(socket);
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(answer).toContain('"hypotheses"');
  });
});

describe('PendingAnswers', () => {
  it('has no room while held answers fill the budget, and room again when they are done', () => {
    const pending = new PendingAnswers(1000);
    const releases: (() => void)[] = [];
    pending.hold(600, (release) => releases.push(release));
    expect(pending.hasRoom()).toBe(true);
    pending.hold(600, (release) => releases.push(release));
    expect(pending.hasRoom()).toBe(false);
    releases[0]!();
    releases[0]!(); // finish and close both fire: counted once
    expect(pending.bytes).toBe(600);
    expect(pending.hasRoom()).toBe(true);
  });
});

/** Resident memory of a process in bytes (Linux). */
function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * The bound README states for N slow clients: the process at rest, plus the answers that may wait
 * (maxPendingBytes) and the requests in flight ((maxQueue + 1) × (bodyLimit + maxResponseBytes)), plus
 * socket buffers. With the limits below: 2 MiB pending + 5 × (16 KiB + 1 MiB): well under 100 MB above rest.
 */
const GROWTH_BOUND = 100 * 1024 * 1024;

describe.runIf(process.platform === 'linux')('attn serve under slow readers', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('33 clients that never read: memory stays bounded, every one answered, idle sockets time out', async () => {
    const bin = fileURLToPath(new URL('../../bin/attn.js', import.meta.url));
    child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--checkpoint',
        checkpoints.translate,
        '--port',
        '0',
        '--max-queue',
        '4',
        '--max-response-bytes',
        String(1024 * 1024),
        '--max-pending-bytes',
        String(2 * 1024 * 1024),
        '--socket-timeout',
        '3',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child!.on('exit', (code) => reject(new Error(`attn serve exited ${code}`)));
    });
    const rest = residentBytes(child.pid!);
    const body = JSON.stringify({
      text: 'a b c d e f a b c d e f a b c d e f',
      beamSize: 8,
      nBest: 8,
      maxLength: 30,
    });
    const sockets: Socket[] = [];
    const statuses: string[] = [];
    let peak = rest;
    for (let i = 0; i < 33; i++) {
      const socket = await rawRequest(port, body);
      // Read only the status line, then stop reading: the answer waits in the server's buffers.
      socket.once('data', (d: Buffer) => {
        statuses.push(d.toString('latin1', 0, 12));
        socket.pause();
      });
      sockets.push(socket);
      await new Promise((r) => setTimeout(r, 100));
      peak = Math.max(peak, residentBytes(child.pid!));
    }
    await new Promise((r) => setTimeout(r, 1500));
    peak = Math.max(peak, residentBytes(child.pid!));
    if (process.env.FUZZ_VERBOSE) console.log({ rest, peak, statuses });
    expect(peak - rest).toBeLessThan(GROWTH_BOUND);
    // Each answer is a 200 or, while unsent answers fill the budget, a 503; never a 500 or a dropped connection.
    expect(statuses).toHaveLength(33);
    expect(statuses.every((s) => /HTTP\/1.1 (200|503)/.test(s))).toBe(true);

    // The idle sockets time out (3 s), releasing their answers: a new client is answered.
    await new Promise((r) => setTimeout(r, 4500));
    const fresh = await rawRequest(port, JSON.stringify({ text: 'a b' }));
    expect(await readAll(fresh)).toMatch(/^HTTP\/1.1 200 OK/);
    for (const socket of sockets) socket.destroy();
  }, 60_000);
});
