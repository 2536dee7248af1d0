// The JSON API of `attn serve` over real checkpoints: answers equal to the predictor's own, and every request
// the server refuses, with its status and message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBatchInvariantKernels } from '../../src/backend/native/select.js';
import { loadPredictor, type Predictor } from '../../src/node.js';
import { createServer, type AttnServer } from '../../src/serve/index.js';
import { REVERSAL_SENTENCE, tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

let checkpoints: TinyCheckpoints;
let translator: AttnServer;
let classifier: AttnServer;
let translatePredictor: Predictor;
let classifyPredictor: Predictor;

beforeAll(async () => {
  // The servers batch requests, so their workers run the batch-invariant kernels: the reference predictors
  // here do too (the choice is this thread's).
  setBatchInvariantKernels(true);
  checkpoints = await tinyCheckpoints();
  [translator, classifier, translatePredictor, classifyPredictor] = await Promise.all([
    createServer({
      checkpoint: checkpoints.translate,
      limits: { maxChars: 200, maxWords: 50, maxLength: 100 },
    }),
    createServer({ checkpoint: checkpoints.classify }),
    loadPredictor(checkpoints.translate),
    loadPredictor(checkpoints.classify),
  ]);
});

afterAll(async () => {
  setBatchInvariantKernels(false);
  await translator?.close();
  await classifier?.close();
  await checkpoints?.remove();
});

function post(server: AttnServer, url: string, payload: unknown) {
  return server.app.inject({ method: 'POST', url, payload: payload as object });
}

function postRaw(server: AttnServer, url: string, body: string, contentType: string | undefined) {
  const headers = contentType === undefined ? {} : { 'content-type': contentType };
  return server.app.inject({ method: 'POST', url, body, headers });
}

describe('attn serve API', () => {
  it('GET /api/info describes the model; GET /api/limits the limits', async () => {
    const info = await translator.app.inject({ method: 'GET', url: '/api/info' });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toEqual(translatePredictor.info);
    expect(info.json()).toMatchObject({ task: 'translate', architecture: 'transformer' });
    expect(info.json()).toMatchObject({ attentionLayers: 2, attentionHeads: 2 });
    const limits = await translator.app.inject({ method: 'GET', url: '/api/limits' });
    expect(limits.json()).toMatchObject({ maxChars: 200, maxWords: 50, maxBeamSize: 8, maxLength: 100 });
  });

  it('POST /api/translate answers what the predictor gives, attention rows summing to 1', async () => {
    const response = await post(translator, '/api/translate', { text: REVERSAL_SENTENCE });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const result = response.json();
    expect(result).toEqual(translatePredictor.translate(REVERSAL_SENTENCE));
    expect(result.sourceTokens).toEqual(['a', 'b', 'c', 'd', '<eos>']);
    expect(result.hypotheses).toHaveLength(1);
    const [best] = result.hypotheses;
    expect(best.attention.layers).toHaveLength(2);
    for (const layer of best.attention.layers) {
      expect(layer).toHaveLength(2);
      for (const head of layer) {
        expect(head.length === best.tokens.length || head.length === best.tokens.length + 1).toBe(true);
        for (const row of head) {
          expect(row).toHaveLength(5);
          expect(row.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
        }
      }
    }
  });

  it('beam search returns nBest hypotheses, best first, as the predictor does', async () => {
    const options = { beamSize: 4, nBest: 3, maxLength: 8 };
    const response = await post(translator, '/api/translate', { text: 'b a d', ...options });
    expect(response.statusCode).toBe(200);
    const result = response.json();
    expect(result).toEqual(translatePredictor.translate('b a d', options));
    expect(result.hypotheses).toHaveLength(3);
    const scores = result.hypotheses.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('samples with "sample": true as the predictor does; the same seed gives the same answer', async () => {
    const options = { sample: true, temperature: 1.5, topK: 4, topP: 0.9, seed: 5, maxLength: 8 };
    const response = await post(translator, '/api/translate', { text: 'b a d', ...options });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(translatePredictor.translate('b a d', options));
    expect((await post(translator, '/api/translate', { text: 'b a d', ...options })).json()).toEqual(
      response.json(),
    );
  });

  it('maxLength bounds the output', async () => {
    const result = (await post(translator, '/api/translate', { text: 'a b c d e f', maxLength: 1 })).json();
    expect(result.hypotheses[0].tokens.length).toBeLessThanOrEqual(1);
  });

  it('requests waiting together are each answered as if alone', async () => {
    const texts = ['a', 'b c', 'c d e', 'f e d c', 'a a b b c'];
    const responses = await Promise.all(texts.map((text) => post(translator, '/api/translate', { text })));
    responses.forEach((response, i) =>
      expect(response.json()).toEqual(translatePredictor.translate(texts[i]!)),
    );
  });

  it('POST /api/classify answers what the predictor gives: label, probabilities, token weights', async () => {
    const text = 'a very good film';
    const response = await post(classifier, '/api/classify', { text });
    expect(response.statusCode).toBe(200);
    const result = response.json();
    expect(result).toEqual(classifyPredictor.classify(text));
    expect(result.labels).toEqual(['negative', 'positive']);
    expect(result.labels).toContain(result.label);
    expect(result.tokens).toEqual(['a', 'very', 'good', 'film']);
    expect(result.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    expect(result.weights.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    const info = (await classifier.app.inject({ method: 'GET', url: '/api/info' })).json();
    expect(info).toMatchObject({ task: 'classify', architecture: 'bigru-attention' });
  });

  it('serves the web page at / with a policy allowing nothing but its own origin', async () => {
    const page = await translator.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="app.js"></script>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    for (const file of ['app.js', 'style.css']) {
      const asset = await translator.app.inject({ method: 'GET', url: `/${file}` });
      expect(asset.statusCode).toBe(200);
      expect(asset.body.length).toBeGreaterThan(100);
    }
    // The bundle is self-contained: no imports left for the browser to fetch, no other origin named.
    const app = (await translator.app.inject({ method: 'GET', url: '/app.js' })).body;
    expect(app).not.toMatch(/^\s*import\s/m);
    expect(app).not.toMatch(/https?:\/\//);
  });
});

describe('attn serve API refuses bad requests with 4xx and a message', () => {
  const cases: { name: string; send: () => ReturnType<typeof post>; status: number; message: RegExp }[] = [
    {
      name: 'a body that is not JSON (Content-Type text/plain)',
      send: () => postRaw(translator, '/api/translate', 'a b c', 'text/plain'),
      status: 415,
      message: /takes a JSON body: send it with Content-Type: application\/json/,
    },
    {
      name: 'no Content-Type at all',
      send: () => postRaw(translator, '/api/translate', '{"text":"a"}', undefined),
      status: 415,
      message: /Content-Type: application\/json/,
    },
    {
      name: 'malformed JSON',
      send: () => postRaw(translator, '/api/translate', '{"text": "a"', 'application/json'),
      status: 400,
      message: /not valid JSON/,
    },
    {
      name: 'an empty body',
      send: () => postRaw(translator, '/api/translate', '', 'application/json'),
      status: 400,
      message: /the body is empty/,
    },
    {
      name: 'a body over the size limit',
      send: () => post(translator, '/api/translate', { text: 'a '.repeat(10_000) }),
      status: 413,
      message: /larger than the limit of 16384 bytes/,
    },
    {
      name: 'a JSON array instead of an object',
      send: () => post(translator, '/api/translate', ['a']),
      status: 400,
      message: /the body must be a JSON object/,
    },
    {
      name: 'no text',
      send: () => post(translator, '/api/translate', { beamSize: 2 }),
      status: 400,
      message: /no 'text' field/,
    },
    {
      name: 'text that is only spaces',
      send: () => post(translator, '/api/translate', { text: '   ' }),
      status: 400,
      message: /text is empty/,
    },
    {
      name: 'text that is not a string',
      send: () => post(translator, '/api/translate', { text: 42 }),
      status: 400,
      message: /text must be a string/,
    },
    {
      name: 'more characters than the limit',
      send: () => post(translator, '/api/translate', { text: 'a'.repeat(201) }),
      status: 400,
      message: /text is longer than 200 characters/,
    },
    {
      name: 'more words than the limit',
      send: () => post(translator, '/api/translate', { text: 'a '.repeat(51) }),
      status: 400,
      message: /text has 51 words; the limit is 50/,
    },
    {
      name: 'an unknown field',
      send: () => post(translator, '/api/translate', { text: 'a', beam: 3 }),
      status: 400,
      message: /unknown field 'beam'; the fields are text, beamSize, maxLength, nBest/,
    },
    {
      name: 'beamSize above the limit',
      send: () => post(translator, '/api/translate', { text: 'a', beamSize: 9 }),
      status: 400,
      message: /beamSize must be at most 8/,
    },
    {
      name: 'beamSize 0',
      send: () => post(translator, '/api/translate', { text: 'a', beamSize: 0 }),
      status: 400,
      message: /beamSize must be at least 1/,
    },
    {
      name: 'beamSize as a string (no coercion)',
      send: () => post(translator, '/api/translate', { text: 'a', beamSize: '2' }),
      status: 400,
      message: /beamSize must be an integer/,
    },
    {
      name: 'a fractional beamSize',
      send: () => post(translator, '/api/translate', { text: 'a', beamSize: 1.5 }),
      status: 400,
      message: /beamSize must be an integer/,
    },
    {
      name: 'maxLength above the limit',
      send: () => post(translator, '/api/translate', { text: 'a', maxLength: 101 }),
      status: 400,
      message: /maxLength must be at most 100/,
    },
    {
      name: 'nBest above beamSize',
      send: () => post(translator, '/api/translate', { text: 'a', beamSize: 2, nBest: 3 }),
      status: 400,
      message: /nBest \(3\) must not exceed beamSize \(2\)/,
    },
    {
      name: 'more tokens than the model takes (the predictor refuses it)',
      send: () => post(translator, '/api/translate', { text: 'a '.repeat(40) }),
      status: 400,
      message: /^the text has 41 tokens; the model takes at most 32$/,
    },
    {
      name: 'a maxLength beyond the model (the predictor refuses it)',
      send: () => post(translator, '/api/translate', { text: 'a', maxLength: 40 }),
      status: 400,
      message: /maxLength must be an integer in \[1, 32\], got 40/,
    },
    {
      name: 'classify on a translation model',
      send: () => post(translator, '/api/classify', { text: 'a' }),
      status: 404,
      message: /runs a translate model \(transformer\), which cannot classify; use POST \/api\/translate/,
    },
    {
      name: 'translate on a classifier',
      send: () => post(classifier, '/api/translate', { text: 'good' }),
      status: 404,
      message: /runs a classify model \(bigru-attention\), which cannot translate; use POST \/api\/classify/,
    },
    {
      name: 'a sampling field without "sample": true',
      send: () => post(translator, '/api/translate', { text: 'a', topP: 0.9 }),
      status: 400,
      message: /^topP applies only when sampling \("sample": true\)$/,
    },
    {
      name: 'sampling with beam search',
      send: () => post(translator, '/api/translate', { text: 'a', sample: true, beamSize: 2 }),
      status: 400,
      message: /^"sample": true draws one translation: it does not go with beamSize 2$/,
    },
    {
      name: 'topP of 0',
      send: () => post(translator, '/api/translate', { text: 'a', sample: true, topP: 0 }),
      status: 400,
      message: /^topP must be greater than 0$/,
    },
    {
      name: 'topP above 1',
      send: () => post(translator, '/api/translate', { text: 'a', sample: true, topP: 1.5 }),
      status: 400,
      message: /^topP must be at most 1$/,
    },
    {
      name: 'a temperature that is not a number',
      send: () => post(translator, '/api/translate', { text: 'a', sample: true, temperature: 'hot' }),
      status: 400,
      message: /^temperature must be a number$/,
    },
    {
      name: 'a seed that is not an integer',
      send: () => post(translator, '/api/translate', { text: 'a', sample: true, seed: 1.5 }),
      status: 400,
      message: /^seed must be an integer$/,
    },
    {
      name: 'sample that is not a boolean',
      send: () => post(translator, '/api/translate', { text: 'a', sample: 'yes' }),
      status: 400,
      message: /^sample must be a boolean$/,
    },
    {
      name: 'an unknown field in a classify request',
      send: () => post(classifier, '/api/classify', { text: 'good', beamSize: 2 }),
      status: 400,
      message: /unknown field 'beamSize'; the fields are text$/,
    },
    {
      name: 'an unknown route',
      send: () => translator.app.inject({ method: 'GET', url: '/api/nothing' }),
      status: 404,
      message: /not found/,
    },
  ];

  for (const c of cases) {
    it(`${c.status}: ${c.name}`, async () => {
      const response = await c.send();
      expect(response.statusCode).toBe(c.status);
      const body = response.json();
      expect(body.statusCode).toBe(c.status);
      expect(body.message).toMatch(c.message);
    });
  }
});
