// `attn serve` as a user runs it: a child process on a real checkpoint, answering over HTTP until SIGTERM,
// then exiting 0 after a graceful stop; and its usage errors.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyCheckpoints, type TinyCheckpoints } from '../serve/checkpoints.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/attn.js', import.meta.url));

async function attn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let checkpoints: TinyCheckpoints;

beforeAll(async () => {
  checkpoints = await tinyCheckpoints();
});

afterAll(async () => {
  await checkpoints?.remove();
});

describe('attn serve', () => {
  it('serves the API and the page until SIGTERM, then stops gracefully with exit code 0', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--checkpoint', checkpoints.classify, '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`attn serve exited (${code}) early: ${stderr}`)));
    });
    try {
      expect(stderr).toContain(`classify model (bigru-attention) from ${checkpoints.classify}`);
      expect(stderr).toContain('bound to 127.0.0.1: only this machine can connect');
      expect(stderr).toMatch(
        /\d+ model workers?, \d+ kernel threads; batches of up to 32 requests, waiting up to 2 ms/,
      );
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const info = await fetch(`${url}/api/info`);
      expect(await info.json()).toMatchObject({ task: 'classify', architecture: 'bigru-attention' });
      const answer = await fetch(`${url}/api/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'good film' }),
      });
      expect(answer.status).toBe(200);
      expect((await answer.json()).tokens).toEqual(['good', 'film']);
      const page = await fetch(`${url}/`);
      expect(await page.text()).toContain('<title>attn');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM: not accepting new requests; finishing the ones under way');
    expect(stderr).toContain('attn serve: stopped');
  });

  it('--help describes the command and its API', async () => {
    const { code, stdout } = await attn('serve', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: attn serve --checkpoint DIR');
    expect(stdout).toContain('POST /api/translate');
    for (const route of [
      'GET  /healthz',
      'GET  /readyz',
      'GET  /metrics',
      '--cors',
      '--rate-limit N',
      '--workers N',
      '--max-batch N',
      '--batch-wait-ms MS',
    ])
      expect(stdout).toContain(route);
  });

  it('exits 2 without --checkpoint, with an unknown option or a bad value', async () => {
    const missing = await attn('serve');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('serve needs --checkpoint DIR');
    const unknown = await attn('serve', '--checkpoint', checkpoints.classify, '--beam', '3');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--beam'");
    const port = await attn('serve', '--checkpoint', checkpoints.classify, '--port', '70000');
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--port must be an integer from 0 to 65535, got '70000'");
    const beam = await attn('serve', '--checkpoint', checkpoints.classify, '--max-beam-size', '0');
    expect(beam.code).toBe(2);
    expect(beam.stderr).toContain("--max-beam-size must be an integer from 1 to 64, got '0'");
    const cors = await attn('serve', '--checkpoint', checkpoints.classify, '--cors', 'example.org');
    expect(cors.code).toBe(2);
    expect(cors.stderr).toContain('--cors: "example.org" is not an origin like https://example.org');
    const rate = await attn('serve', '--checkpoint', checkpoints.classify, '--rate-limit', '0');
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain("--rate-limit must be an integer from 1 to 1000000, got '0'");
    const workers = await attn('serve', '--checkpoint', checkpoints.classify, '--workers', '0');
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain("--workers must be an integer from 1 to 256, got '0'");
    const batch = await attn('serve', '--checkpoint', checkpoints.classify, '--max-batch', 'x');
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain("--max-batch must be an integer from 1 to 1024, got 'x'");
    const windowOnly = await attn('serve', '--checkpoint', checkpoints.classify, '--rate-limit-window', '10');
    expect(windowOnly.code).toBe(2);
    expect(windowOnly.stderr).toContain('--rate-limit-window needs --rate-limit N');
  });

  it('exits 1 naming the directory when the checkpoint does not load', async () => {
    const { code, stderr } = await attn('serve', '--checkpoint', '/nonexistent/run', '--port', '0');
    expect(code).toBe(1);
    expect(stderr).toContain('cannot serve /nonexistent/run');
    expect(stderr).toContain('/nonexistent/run does not exist');
  });

  it('--static writes the page and the checkpoint as static files, and refuses what does not apply', async () => {
    const out = await mkdtemp(join(tmpdir(), 'attn-static-cli-'));
    try {
      const site = join(out, 'site');
      const { code, stderr } = await attn('serve', '--static', site, '--checkpoint', checkpoints.classify);
      expect(code).toBe(0);
      expect(stderr).toContain(`wrote 12 files into ${site}: the page with classify model (bigru-attention`);
      expect((await readdir(site)).sort()).toEqual(
        [
          'app.js',
          'attn-relaxed-threads.wasm',
          'attn-relaxed.wasm',
          'attn-threads.wasm',
          'attn.wasm',
          'index.html',
          'model',
          'page.json',
          'style.css',
        ].sort(),
      );
      expect(JSON.parse(await readFile(join(site, 'page.json'), 'utf8'))).toEqual({ checkpoint: 'model/' });
      const manifest = JSON.parse(await readFile(join(site, 'model', 'manifest.json'), 'utf8')) as {
        files: Record<string, { bytes: number; sha256: string }>;
      };
      for (const name of ['model.safetensors', 'config.json', 'tokenizers.json']) {
        const bytes = await readFile(join(site, 'model', name));
        expect(manifest.files[name]).toEqual({
          bytes: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
      }
      // Again into the same folder (an earlier static page): allowed; without a checkpoint: no model named.
      const again = await attn('serve', '--static', site);
      expect(again.code).toBe(0);
      expect(JSON.parse(await readFile(join(site, 'page.json'), 'utf8'))).toEqual({});
      await writeFile(join(out, 'notes.txt'), 'mine');
      const foreign = await attn('serve', '--static', out);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toContain(`${out} holds other files (`);
      const port = await attn('serve', '--static', site, '--port', '8080');
      expect(port.code).toBe(2);
      expect(port.stderr).toContain('--static writes files and starts no server: --port do not apply');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
