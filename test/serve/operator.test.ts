// What attn serve offers an operator: liveness and readiness probes, Prometheus metrics, request ids, an optional
// per-client rate limit, CORS only for the origins given, and the probes answering any Host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { REVERSAL_SENTENCE, tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

let checkpoints: TinyCheckpoints;
let server: AttnServer;

beforeAll(async () => {
  checkpoints = await tinyCheckpoints();
  server = await createServer({ checkpoint: checkpoints.translate, page: false });
});

afterAll(async () => {
  await server?.close();
  await checkpoints?.remove();
});

/** The value of one sample line of the exposition text (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('attn serve for operators', () => {
  it('GET /healthz and GET /readyz answer 200 while the model is loaded', async () => {
    const health = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('the probes answer any Host (load balancers probe by address or service name); the API does not', async () => {
    const headers = { host: 'attn-service.internal:8080' };
    expect((await server.app.inject({ method: 'GET', url: '/healthz', headers })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/readyz', headers })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/api/info', headers })).statusCode).toBe(403);
    expect((await server.app.inject({ method: 'GET', url: '/metrics', headers })).statusCode).toBe(403);
  });

  it('GET /metrics counts requests by route and status, latency, batches and tokens generated', async () => {
    const before = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const translated = await server.app.inject({
      method: 'POST',
      url: '/api/translate',
      payload: { text: REVERSAL_SENTENCE, beamSize: 2, nBest: 2 },
    });
    expect(translated.statusCode).toBe(200);
    const tokens = (translated.json() as { hypotheses: { tokens: string[] }[] }).hypotheses.reduce(
      (n, h) => n + h.tokens.length,
      0,
    );
    expect(tokens).toBeGreaterThan(0);
    await server.app.inject({ method: 'POST', url: '/api/translate', payload: { text: 7 } });
    await server.app.inject({ method: 'GET', url: '/no/such/path/123' });

    const response = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    const ok = '{route="/api/translate",method="POST",status="200"}';
    const bad = '{route="/api/translate",method="POST",status="400"}';
    expect(sample(text, 'attn_http_requests_total', ok)).toBe(
      (sample(before, 'attn_http_requests_total', ok) ?? 0) + 1,
    );
    expect(sample(text, 'attn_http_requests_total', bad)).toBe(
      (sample(before, 'attn_http_requests_total', bad) ?? 0) + 1,
    );
    // Unmatched paths share one label: a client probing random URLs cannot grow the label set.
    expect(
      sample(text, 'attn_http_requests_total', '{route="unmatched",method="GET",status="404"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('/no/such/path');
    expect(
      sample(text, 'attn_http_request_duration_seconds_count', '{route="/api/translate"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'attn_tokens_generated_total')).toBe(
      (sample(before, 'attn_tokens_generated_total') ?? 0) + tokens,
    );
    // The 400 never reached the model: one more batch, of one request.
    expect(sample(text, 'attn_batch_size_count')).toBe((sample(before, 'attn_batch_size_count') ?? 0) + 1);
    expect(sample(text, 'attn_batch_size_bucket', '{le="1"}')).toBe(sample(text, 'attn_batch_size_count'));
    expect(sample(text, 'attn_queue_depth')).toBe(0);
    expect(sample(text, 'attn_requests_running')).toBe(0);
    expect(sample(text, 'attn_worker_restarts')).toBe(0);
    expect(sample(text, 'attn_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('every answer carries X-Request-Id: the client’s own when it is a plain token, else a fresh one', async () => {
    const given = await server.app.inject({
      method: 'GET',
      url: '/api/info',
      headers: { 'x-request-id': 'lb-7f3a.42:1' },
    });
    expect(given.headers['x-request-id']).toBe('lb-7f3a.42:1');
    const forged = await server.app.inject({
      method: 'GET',
      url: '/api/info',
      headers: { 'x-request-id': 'x"} {"level":60' },
    });
    expect(forged.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const a = await server.app.inject({ method: 'GET', url: '/healthz' });
    const b = await server.app.inject({ method: 'GET', url: '/nothing' });
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    expect(b.statusCode).toBe(404);
    expect(b.headers['x-request-id']).toBeTruthy();
  });

  it('CORS is off by default: no Access-Control-Allow-Origin for another site', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: '/api/info',
      headers: { origin: 'https://example.org' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('attn serve with a rate limit and CORS', () => {
  let limited: AttnServer;
  beforeAll(async () => {
    limited = await createServer({
      checkpoint: checkpoints.translate,
      page: false,
      corsOrigins: ['https://app.example.org'],
      rateLimit: { max: 3, windowSeconds: 60 },
    });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 past max API requests from one address in the window; the probes are not limited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await limited.app.inject({ method: 'GET', url: '/api/info' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await limited.app.inject({ method: 'GET', url: '/api/limits' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(refused.json().message).toMatch(/rate limit/i);
    expect(refused.headers['retry-after']).toBeDefined();
    // Another address has its own count.
    const other = await limited.app.inject({ method: 'GET', url: '/api/info', remoteAddress: '10.0.0.9' });
    expect(other.statusCode).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await limited.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('allows the given origin (preflight and answer) and no other', async () => {
    const preflight = await limited.app.inject({
      method: 'OPTIONS',
      url: '/api/translate',
      remoteAddress: '10.0.0.10',
      headers: {
        origin: 'https://app.example.org',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.org');
    const answer = await limited.app.inject({
      method: 'GET',
      url: '/api/info',
      remoteAddress: '10.0.0.11',
      headers: { origin: 'https://app.example.org' },
    });
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(answer.headers['access-control-expose-headers']).toMatch(/X-Request-Id/i);
    const other = await limited.app.inject({
      method: 'GET',
      url: '/api/info',
      remoteAddress: '10.0.0.12',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a malformed origin or rate limit before loading anything', async () => {
    await expect(
      createServer({ checkpoint: checkpoints.translate, corsOrigins: ['https://a.example/path'] }),
    ).rejects.toThrow(/corsOrigins: "https:\/\/a\.example\/path" is not an origin/);
    await expect(
      createServer({ checkpoint: checkpoints.translate, rateLimit: { max: 0, windowSeconds: 60 } }),
    ).rejects.toThrow(/rateLimit\.max must be a positive integer, got 0/);
  });
});
