import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam,
  defaultGenerator,
  DirectoryCheckpoints,
  Generator,
  loadCheckpoint,
  LRScheduler,
  manualSeed,
  saveCheckpoint,
  SGD,
  Trainer,
  TranslationTask,
  warmupInverseSqrt,
  type TrainingSnapshot,
} from '../../src/node.js';
import { reversalData, TinySeq2Seq } from './tiny-models.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attn-ckpt-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const data = reversalData();
const CONFIG = { vocab: data.vocab, embed: 8, hidden: 16, dropout: 0.3 };

/** A fresh model, optimiser, scheduler and task; `initSeed` seeds the initialisation. */
function setup(initSeed: number, options: { hidden?: number; sgd?: boolean } = {}) {
  const model = new TinySeq2Seq({
    ...CONFIG,
    hidden: options.hidden ?? 16,
    generator: new Generator(initSeed),
  });
  const optimizer = options.sgd
    ? new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })
    : new Adam(model.parameters(), { lr: 0.02 });
  const scheduler = new LRScheduler(optimizer, warmupInverseSqrt(4));
  const task = new TranslationTask({
    model,
    train: data.train,
    splits: { dev: data.dev },
    batching: { batchSize: 8, bucketSize: 16 },
    targetTokenizer: data.tokenizer,
  });
  return { model, optimizer, scheduler, task };
}

function trainer(parts: ReturnType<typeof setup>, maxSteps: number, dir?: string) {
  return new Trainer({
    task: parts.task,
    optimizer: parts.optimizer,
    scheduler: parts.scheduler,
    maxGradNorm: 1,
    maxSteps,
    seed: 11,
    config: CONFIG,
    tokenizers: { source: data.tokenizer, target: data.tokenizer },
    ...(dir ? { checkpoints: new DirectoryCheckpoints(dir, { keep: 2 }) } : {}),
  });
}

describe('checkpoints', () => {
  it('a resumed run gives the losses of an uninterrupted one, bit for bit (dropout on)', async () => {
    // 48 examples in batches of 8: 6 steps an epoch, so step 10 is in the middle of the second epoch.
    manualSeed(5);
    const straightParts = setup(1);
    const straight = await trainer(straightParts, 20).fit();
    expect(straight.losses).toHaveLength(20);

    manualSeed(5);
    const dir = tempDir();
    const first = await trainer(setup(1), 10, dir).fit();
    expect(first.losses).toEqual(straight.losses.slice(0, 10));
    expect(first.checkpoint).toBe(join(dir, 'step-00000010'));

    // A new "process": other initial weights, another default-generator stream, fresh optimiser and scheduler.
    manualSeed(999);
    defaultGenerator().uniform();
    const resumedParts = setup(77);
    const resumed = trainer(resumedParts, 20, dir);
    const state = await resumed.resume();
    expect(state).toMatchObject({ step: 10, epoch: 1, position: 4, seed: 11 });
    const second = await resumed.fit();
    expect(second.losses).toHaveLength(10);
    for (let i = 0; i < 10; i++) expect(Object.is(second.losses[i], straight.losses[10 + i])).toBe(true);
    // The weights and the evaluation at the end agree too.
    for (const [name, p] of straightParts.model.namedParameters()) {
      expect(resumedParts.model.stateDict().get(name)!.data).toEqual(p.data);
    }
    expect(second.evaluations.at(-1)!.metrics).toEqual(straight.evaluations.at(-1)!.metrics);
    // Dropout mattered: without restoring the generator the losses differ.
    manualSeed(999);
    const noRng = setup(77);
    const other = trainer(noRng, 20);
    const snapshot = await loadCheckpoint(join(dir, 'step-00000010'));
    other.restore({
      ...snapshot,
      rng: { ...snapshot.rng, generators: { default: new Generator(3).getState() } },
    });
    const differs = await other.fit();
    expect(differs.losses).not.toEqual(second.losses);
  });

  it('round-trips weights, optimiser, scheduler, generators, tokenizers, config and trainer state', async () => {
    manualSeed(2);
    const parts = setup(4);
    const t = trainer(parts, 7);
    await t.fit();
    const before = t.snapshot();
    const dir = tempDir();
    const path = await saveCheckpoint(dir, before);
    expect(path).toBe(join(dir, 'step-00000007'));
    expect(readdirSync(path).sort()).toEqual([
      'config.json',
      'manifest.json',
      'model.safetensors',
      'optimizer.safetensors',
      'rng.json',
      'scheduler.json',
      'tokenizers.json',
      'trainer.json',
    ]);
    const after = await loadCheckpoint(dir);
    expect(after.source).toBe(path);
    expect([...after.weights.keys()]).toEqual([...before.weights.keys()].sort());
    expect([...after.weights.keys()]).toContain('encoder.weight_ih_l0');
    for (const [name, w] of before.weights) expect(after.weights.get(name)!.data).toEqual(w.data);
    expect(after.optimizer.name).toBe('Adam');
    expect(after.optimizer.state).toEqual(before.optimizer.state);
    expect(after.optimizer.state.state[0]!.exp_avg).toBeInstanceOf(Float32Array);
    expect(after.scheduler).toEqual(before.scheduler);
    expect(after.rng).toEqual(before.rng);
    expect(after.trainer).toEqual(before.trainer);
    expect(after.config).toEqual(CONFIG);
    expect(after.tokenizers).toEqual({ source: data.tokenizer.toJSON(), target: data.tokenizer.toJSON() });

    // Restored into fresh objects, everything reads back the same.
    const fresh = setup(8);
    const t2 = trainer(fresh, 7);
    t2.restore(after);
    const again = t2.snapshot();
    for (const [name, w] of before.weights) expect(again.weights.get(name)!.data).toEqual(w.data);
    expect(again.optimizer).toEqual(before.optimizer);
    expect(again.scheduler).toEqual(before.scheduler);
    expect(fresh.optimizer.lr).toBe(parts.optimizer.lr);
    expect(again.rng).toEqual(before.rng);
    expect(again.trainer).toEqual(before.trainer);
  });

  it('keeps the last K checkpoints, removing older ones after the pointer moved', async () => {
    manualSeed(3);
    const dir = tempDir();
    const parts = setup(2);
    const t = new Trainer({
      task: parts.task,
      optimizer: parts.optimizer,
      maxSteps: 5,
      evalEveryEpoch: false,
      checkpoints: new DirectoryCheckpoints(dir, { keep: 2 }),
      checkpointEvery: 1,
    });
    await t.fit();
    expect(readdirSync(dir).sort()).toEqual(['latest.json', 'step-00000004', 'step-00000005']);
    const pointer = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Record<string, unknown>;
    expect(pointer).toMatchObject({
      latest: 'step-00000005',
      step: 5,
      history: ['step-00000004', 'step-00000005'],
    });
    // Saving the same step again never replaces a checkpoint in place: it gets a new name.
    const again = await saveCheckpoint(dir, t.snapshot(), { keep: 2 });
    expect(again).toBe(join(dir, 'step-00000005-1'));
    expect(existsSync(join(dir, 'step-00000004'))).toBe(false);
    expect((await loadCheckpoint(dir)).trainer.step).toBe(5);
  });

  describe('corrupt or mismatched checkpoints give errors naming the file', () => {
    let snapshot: TrainingSnapshot;
    const fresh = async (): Promise<string> => {
      if (!snapshot) {
        manualSeed(4);
        const t = trainer(setup(3), 2);
        await t.fit();
        snapshot = t.snapshot();
      }
      const dir = tempDir();
      return saveCheckpoint(dir, snapshot);
    };
    /** Rewrites a file and its manifest entry, as a buggy writer would (so the decoder sees the damage). */
    const rewrite = (ckpt: string, file: string, bytes: Uint8Array | string): void => {
      writeFileSync(join(ckpt, file), bytes);
      const manifest = JSON.parse(readFileSync(join(ckpt, 'manifest.json'), 'utf8')) as {
        files: Record<string, { bytes: number; sha256: string }>;
      };
      const buf = readFileSync(join(ckpt, file));
      manifest.files[file] = { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
      writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify(manifest));
    };

    it('a flipped byte, a truncated file, a missing file', async () => {
      let ckpt = await fresh();
      const model = readFileSync(join(ckpt, 'model.safetensors'));
      model[model.length - 3]! ^= 0x40;
      writeFileSync(join(ckpt, 'model.safetensors'), model);
      await expect(loadCheckpoint(ckpt)).rejects.toThrow(
        `loadCheckpoint: ${join(ckpt, 'model.safetensors')} is corrupt: its SHA-256 differs`,
      );

      ckpt = await fresh();
      const trainerJson = readFileSync(join(ckpt, 'trainer.json'));
      writeFileSync(join(ckpt, 'trainer.json'), trainerJson.subarray(0, 10));
      await expect(loadCheckpoint(ckpt)).rejects.toThrow(
        `${join(ckpt, 'trainer.json')} is corrupt: 10 bytes`,
      );

      ckpt = await fresh();
      unlinkSync(join(ckpt, 'optimizer.safetensors'));
      await expect(loadCheckpoint(ckpt)).rejects.toThrow(`${join(ckpt, 'optimizer.safetensors')} is missing`);
    });

    it('bad contents behind a matching manifest, a broken pointer, no checkpoint', async () => {
      let ckpt = await fresh();
      rewrite(ckpt, 'rng.json', '{"data": 1');
      await expect(loadCheckpoint(ckpt)).rejects.toThrow(`${join(ckpt, 'rng.json')} is not valid JSON`);

      ckpt = await fresh();
      rewrite(ckpt, 'model.safetensors', new Uint8Array([1, 2, 3]));
      await expect(loadCheckpoint(ckpt)).rejects.toThrow(`${join(ckpt, 'model.safetensors')} is corrupt`);

      ckpt = await fresh();
      rewrite(ckpt, 'trainer.json', JSON.stringify({ ...snapshot.trainer, step: -1 }));
      await expect(loadCheckpoint(ckpt)).rejects.toThrow(
        `${join(ckpt, 'trainer.json')}: step must be an integer`,
      );

      ckpt = await fresh();
      const root = join(ckpt, '..');
      writeFileSync(join(root, 'latest.json'), '{"format":');
      await expect(loadCheckpoint(root)).rejects.toThrow(`${join(root, 'latest.json')} is not valid JSON`);

      const empty = tempDir();
      await expect(loadCheckpoint(empty)).rejects.toThrow(`${empty} holds no checkpoint`);
    });

    it('a model, optimiser or scheduler that does not match, leaving the trainer as it was', async () => {
      const ckpt = await fresh();
      const loaded = await loadCheckpoint(ckpt);

      const wide = setup(1, { hidden: 12 });
      const t = trainer(wide, 5);
      const before = t.snapshot();
      expect(() => t.restore(loaded)).toThrow(
        new RegExp(
          `${join(ckpt, 'model.safetensors').replace(/[.\\/]/g, '\\$&')} does not match the model: .*shape mismatches`,
        ),
      );
      expect(t.snapshot().weights).toEqual(before.weights);
      expect(t.trainerState.step).toBe(0);

      const sgd = setup(1, { sgd: true });
      expect(() => trainer(sgd, 5).restore(loaded)).toThrow(
        `${join(ckpt, 'optimizer.safetensors')} holds Adam state, but the optimiser is SGD`,
      );

      const plain = setup(1);
      const noScheduler = new Trainer({ task: plain.task, optimizer: plain.optimizer, maxSteps: 5 });
      expect(() => noScheduler.restore(loaded)).toThrow(
        `${join(ckpt, 'scheduler.json')} holds scheduler state, but the trainer has no scheduler`,
      );

      const ownGenerator = new Trainer({
        task: plain.task,
        optimizer: plain.optimizer,
        scheduler: plain.scheduler,
        maxSteps: 5,
        generators: { dropout: new Generator(1) },
      });
      expect(() => ownGenerator.restore(loaded)).toThrow(
        `${join(ckpt, 'rng.json')} has no state for generator 'dropout' (it has default)`,
      );
    });
  });
});
