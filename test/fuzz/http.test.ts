// Fuzz: seeded hostile requests to the server (mutated JSON bodies, wrong types and content types, huge and
// deep bodies, odd methods, paths and Host headers). Every one is answered with a JSON error or a correct
// answer — a status below 500 or a 503 — never a 500, a crash or a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { tinyCheckpoints, type TinyCheckpoints } from '../serve/checkpoints.js';
import { mutateBytes, SeededRandom } from './seeded.js';

let checkpoints: TinyCheckpoints;
let translator: AttnServer;
let classifier: AttnServer;

beforeAll(async () => {
  checkpoints = await tinyCheckpoints();
  [translator, classifier] = await Promise.all([
    createServer({ checkpoint: checkpoints.translate, page: false }),
    createServer({ checkpoint: checkpoints.classify, page: false }),
  ]);
}, 60_000);

afterAll(async () => {
  await translator?.close();
  await classifier?.close();
  await checkpoints?.remove();
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH';

interface FuzzRequest {
  method: Method;
  url: string;
  body?: string | Buffer;
  headers: Record<string, string>;
}

function requests(random: SeededRandom): FuzzRequest[] {
  const encoder = new TextEncoder();
  const valid = [
    '{"text": "a b c", "beamSize": 2, "nBest": 2, "maxLength": 10, "attention": "best"}',
    '{"text": "a good film"}',
  ];
  const json = { 'content-type': 'application/json' };
  const out: FuzzRequest[] = [];
  for (let i = 0; i < 150; i++) {
    let bytes: Uint8Array = encoder.encode(random.pick(valid));
    const mutations = 1 + random.int(3);
    for (let m = 0; m < mutations; m++) bytes = mutateBytes(bytes, random);
    out.push({
      method: 'POST',
      url: random.pick(['/api/translate', '/api/classify']),
      body: Buffer.from(bytes),
      headers: json,
    });
  }
  const post = (body: string, headers: Record<string, string> = json): FuzzRequest => ({
    method: 'POST',
    url: '/api/translate',
    body,
    headers,
  });
  out.push(
    post(`{"text": ${'['.repeat(5000)}${']'.repeat(5000)}}`),
    post(`{"text": "${'a '.repeat(20_000)}"}`),
    post('{"text": "a", "beamSize": 1e308}'),
    post('{"text": "a", "beamSize": -0}'),
    post('{"text": "a", "__proto__": {"beamSize": 64}}'),
    post('{"text": "a", "constructor": {"prototype": {"x": 1}}}'),
    post('{"text": "\\u0000\\ud800"}'),
    post('{"text": "a"}', { 'content-type': 'text/plain' }),
    post('{"text": "a"}', { 'content-type': 'application/json; charset=latin1' }),
    post('', json),
    post('null', json),
    post('[]', json),
    post('{"text": "a"}', { ...json, host: 'evil.example' }),
    post('{"text": "a"}', { ...json, host: '' }),
    { method: 'GET', url: '/api/translate', headers: {} },
    { method: 'PUT', url: '/api/translate', body: '{}', headers: json },
    { method: 'DELETE', url: '/api/info', headers: {} },
    { method: 'OPTIONS', url: '/api/translate', headers: {} },
    { method: 'GET', url: '/../../etc/passwd', headers: {} },
    { method: 'GET', url: '/%2e%2e/%2e%2e/etc/passwd', headers: {} },
    { method: 'GET', url: `/api/info?${'x='.repeat(5000)}`, headers: {} },
    { method: 'GET', url: '/api/limits', headers: { host: 'localhost:1' } },
  );
  return out;
}

describe('fuzz: HTTP requests', () => {
  it('every hostile request gets a JSON answer below 500 (or 503), none crashes or hangs the server', async () => {
    const random = new SeededRandom(122);
    const problems: string[] = [];
    for (const [i, request] of requests(random).entries()) {
      for (const server of [translator, classifier]) {
        const response = await server.app.inject(request);
        const status = response.statusCode;
        if (status >= 500 && status !== 503) {
          problems.push(`#${i} ${request.method} ${request.url}: ${status} ${response.body.slice(0, 200)}`);
        } else if (status >= 400 && request.method !== 'HEAD') {
          const body = response.json() as { message?: unknown };
          if (typeof body.message !== 'string' || body.message.length > 2000) {
            problems.push(`#${i}: ${status} without a short message: ${response.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // Still serving after all that.
    const after = await translator.app.inject({
      method: 'POST',
      url: '/api/translate',
      payload: { text: 'a b' },
    });
    expect(after.statusCode).toBe(200);
  }, 60_000);
});
