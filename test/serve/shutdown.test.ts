// Graceful shutdown over real HTTP: a request under way when close() is called is answered in full; the
// server then refuses connections and its model worker is gone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setBatchInvariantKernels } from '../../src/backend/native/select.js';
import { loadPredictor } from '../../src/node.js';
import { createServer } from '../../src/serve/index.js';
import { REVERSAL_SENTENCE, tinyCheckpoints, type TinyCheckpoints } from './checkpoints.js';

let checkpoints: TinyCheckpoints;

beforeAll(async () => {
  checkpoints = await tinyCheckpoints();
});

afterAll(async () => {
  await checkpoints?.remove();
});

it('close() finishes the request under way, then stops listening', async () => {
  const server = await createServer({ checkpoint: checkpoints.translate, page: false });
  const url = await server.listen(0);
  const body = { text: REVERSAL_SENTENCE, beamSize: 4, nBest: 2 };
  let answered = false;
  const pending = fetch(`${url}/api/translate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).finally(() => (answered = true));
  // Wait until the request has reached the model (this process sees the server's state directly).
  while (server.stats().running === 0) {
    if (answered) throw new Error('the request finished before the test could see it running');
    await new Promise((resolve) => setImmediate(resolve));
  }
  const closing = server.close();
  const response = await pending;
  expect(response.status).toBe(200);
  const predictor = await loadPredictor(checkpoints.translate);
  // The server batches, so its worker runs the batch-invariant kernels; so does this thread for the reference.
  setBatchInvariantKernels(true);
  try {
    expect(await response.json()).toEqual(predictor.translate(body.text, { beamSize: 4, nBest: 2 }));
  } finally {
    setBatchInvariantKernels(false);
  }
  await closing;
  expect(server.stats()).toMatchObject({ running: 0, queued: 0 });
  await expect(fetch(`${url}/api/info`)).rejects.toThrow();
});
