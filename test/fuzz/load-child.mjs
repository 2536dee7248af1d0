// The child process of the fuzz suite: loads each case with the built library (dist/, as `attn` runs it) under
// the memory limit its parent set (ulimit -v), and prints one JSON line per case — whether it loaded, or the
// error's class and message. A crash, an out-of-memory abort or a hang shows as a missing line, which the
// parent reports with the case that was running. Usage: node load-child.mjs CASES.json
import { readFileSync } from 'node:fs';
import {
  AttnError,
  loadClassificationFile,
  loadPairsFile,
  loadPredictor,
  readSafetensorsFile,
} from '../../dist/node.js';

/** Longest a case may take; a case still running then is a hang. */
const CASE_TIMEOUT_MS = 10_000;

const loaders = {
  safetensors: async (c) => {
    const { tensors } = await readSafetensorsFile(c.path);
    return `${tensors.size} tensors`;
  },
  predictor: async (c) => {
    const predictor = await loadPredictor(c.path, c.options ?? {});
    return predictor.info.task === 'translate'
      ? JSON.stringify(predictor.translate(c.input ?? 'a b'))
      : JSON.stringify(predictor.classify(c.input ?? 'a good film'));
  },
  pairs: async (c) => `${(await loadPairsFile(c.path, c.options ?? {})).pairs.length} pairs`,
  classification: async (c) => {
    const result = await loadClassificationFile(c.path, c.options ?? {});
    return `${result.examples.length} examples, labels ${JSON.stringify(result.labels)}`;
  },
};

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const c of cases) {
  const timer = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ id: c.id, hang: true })}\n`);
    process.exit(3);
  }, CASE_TIMEOUT_MS);
  let line;
  try {
    line = { id: c.id, ok: true, result: String(await loaders[c.kind](c)).slice(0, 2000) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    line = {
      id: c.id,
      ok: false,
      attn: err instanceof AttnError,
      name: err instanceof Error ? err.name : typeof err,
      length: message.length,
      message: message.slice(0, 4000),
    };
  }
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
