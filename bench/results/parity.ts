/**
 * The check that bench/torch_train.py builds the same model as `attn train`: the loss of one batch (the first
 * `count` training examples of the exported data, in order, no dropout) computed by attn with the run's trained
 * weights. torch_train.py --parity loads the same weights (model.safetensors, by attn's parameter names) into
 * its PyTorch model and computes the same loss; the harness compares the two.
 *
 *   npx tsx bench/results/parity.ts --run RUN_DIR --data data.json [--count 32]   → {"loss": …} on stdout
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  checkpointConfig,
  checkpointModel,
  checkpointTokenizers,
} from '../../src/inference/from-checkpoint.js';
import {
  crossEntropy,
  EOS_ID,
  loadCheckpoint,
  noGrad,
  padSequences,
  SOS_ID,
  Tensor,
} from '../../src/node.js';

const { values } = parseArgs({
  options: { run: { type: 'string' }, data: { type: 'string' }, count: { type: 'string', default: '32' } },
  strict: true,
});
if (!values.run || !values.data) {
  process.stderr.write('usage: npx tsx bench/results/parity.ts --run RUN_DIR --data data.json [--count N]\n');
  process.exit(2);
}
const count = Number(values.count);

const snapshot = await loadCheckpoint(values.run);
const config = checkpointConfig(snapshot);
const built = checkpointModel(snapshot, config, checkpointTokenizers(snapshot, config));
const data = JSON.parse(readFileSync(values.data, 'utf8')) as {
  sourceEos: boolean;
  train: { source?: number[][]; target?: number[][]; ids?: number[][]; labels?: number[] };
};

const loss = noGrad(() => {
  if (built.task === 'translate') {
    const src = padSequences(data.train.source!.slice(0, count), data.sourceEos ? { suffix: EOS_ID } : {});
    const targets = data.train.target!.slice(0, count);
    const tgtIn = padSequences(targets, { prefix: SOS_ID });
    const tgtOut = padSequences(targets, { suffix: EOS_ID });
    return built.model.loss(src.ids, src.mask, tgtIn.ids, tgtOut.ids).loss.item();
  }
  const ids = padSequences(data.train.ids!.slice(0, count));
  const labels = new Tensor(Int32Array.from(data.train.labels!.slice(0, count)), [ids.lengths.size], 'int32');
  return crossEntropy(built.model.forward(ids.ids, ids.mask).logits, labels).item();
});
process.stdout.write(`${JSON.stringify({ loss, count })}\n`);
