// Fuzz: tampered run directories (the kill -9-safe checkpoints `attn train` writes), each loaded with
// loadPredictor in a child under a memory limit, then used for one prediction. Files swapped for links to
// /dev/zero, FIFOs, directories or links out of the run; manifest names with `../`; crafted config.json asking
// for tens of GB; deep JSON; NaN weights; 50k extra tensors; seeded byte mutations with and without the
// manifest updated to match. Every case loads correctly or is refused with a short AttnError naming the run.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors, Tensor } from '../../src/index.js';
import { tinyCheckpoints, type TinyCheckpoints } from '../serve/checkpoints.js';
import { runCases, type FuzzCase } from './run-cases.js';
import { mutateBytes, SeededRandom } from './seeded.js';

const FILES = [
  'model.safetensors',
  'config.json',
  'optimizer.safetensors',
  'scheduler.json',
  'rng.json',
  'tokenizers.json',
  'trainer.json',
];

let runs: TinyCheckpoints;
const dir = mkdtempSync(join(tmpdir(), 'attn-fuzz-runs-'));
beforeAll(async () => {
  runs = await tinyCheckpoints();
}, 120_000);
afterAll(async () => {
  await runs?.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** The one checkpoint directory of a run (latest.json's `latest`). */
function latestOf(run: string): string {
  return join(run, (JSON.parse(readFileSync(join(run, 'latest.json'), 'utf8')) as { latest: string }).latest);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Manifest {
  files: Record<string, { bytes: number; sha256: string }>;
}

function readManifest(ckpt: string): Manifest {
  return JSON.parse(readFileSync(join(ckpt, 'manifest.json'), 'utf8')) as Manifest;
}

/** Writes `bytes` as `file` and records them in the manifest, as a crafted (or buggy) writer would. */
function rewrite(ckpt: string, file: string, bytes: Uint8Array | string): void {
  writeFileSync(join(ckpt, file), bytes);
  const buf = readFileSync(join(ckpt, file));
  const manifest = readManifest(ckpt);
  manifest.files[file] = { bytes: buf.length, sha256: sha256(buf) };
  writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify(manifest));
}

describe('fuzz: run directories', () => {
  it('every tampered run loads correctly or is refused with a short error naming it', async () => {
    const random = new SeededRandom(2025);
    const cases: FuzzCase[] = [];
    let n = 0;
    /** A fresh copy of a run, tampered with by `tamper(checkpointDir, runDir)`. */
    const add = (
      id: string,
      tamper: (ckpt: string, run: string) => void,
      expect: FuzzCase['expect'] = 'either',
      extra: Partial<FuzzCase> = {},
      which: 'translate' | 'classify' = n % 2 === 0 ? 'translate' : 'classify',
    ): void => {
      n++;
      const source = which === 'translate' ? runs.translate : runs.classify;
      const run = join(dir, id);
      cpSync(source, run, { recursive: true });
      tamper(latestOf(run), run);
      cases.push({ id, kind: 'predictor', path: run, mustName: run, expect, ...extra });
    };

    add('base-translate', () => undefined, 'ok');
    add('base-classify', () => undefined, 'ok');
    for (const file of [...FILES, 'manifest.json']) {
      add(
        `dev-zero-${file}`,
        (ckpt) => {
          unlinkSync(join(ckpt, file));
          symlinkSync('/dev/zero', join(ckpt, file));
        },
        'error',
      );
      add(
        `fifo-${file}`,
        (ckpt) => {
          unlinkSync(join(ckpt, file));
          execFileSync('mkfifo', [join(ckpt, file)]);
        },
        'error',
      );
    }
    add(
      'dev-zero-latest.json',
      (_ckpt, run) => {
        unlinkSync(join(run, 'latest.json'));
        symlinkSync('/dev/zero', join(run, 'latest.json'));
      },
      'error',
    );
    add(
      'directory-model',
      (ckpt) => {
        unlinkSync(join(ckpt, 'model.safetensors'));
        mkdirSync(join(ckpt, 'model.safetensors'));
      },
      'error',
    );
    add(
      'link-out-same-bytes',
      (ckpt, run) => {
        // The same bytes, reached through a link out of the directory: refused all the same.
        const outside = join(run, '..', `${run.split('/').pop()}-outside.json`);
        cpSync(join(ckpt, 'trainer.json'), outside);
        unlinkSync(join(ckpt, 'trainer.json'));
        symlinkSync(outside, join(ckpt, 'trainer.json'));
      },
      'error',
    );
    add(
      'manifest-dot-dot',
      (ckpt) => {
        const bytes = readFileSync(join(ckpt, 'rng.json'));
        writeFileSync(join(ckpt, '..', 'escaped.json'), bytes);
        const manifest = readManifest(ckpt);
        manifest.files['../escaped.json'] = { bytes: bytes.length, sha256: sha256(bytes) };
        writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify(manifest));
      },
      'error',
      { mustSay: 'not a plain name' },
    );
    add(
      'manifest-1000-files',
      (ckpt) => {
        const manifest = readManifest(ckpt);
        for (let i = 0; i < 1000; i++)
          manifest.files[`extra-${i}`] = { bytes: 0, sha256: sha256(new Uint8Array(0)) };
        writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify(manifest));
      },
      'error',
    );
    add(
      'manifest-huge-size',
      (ckpt) => {
        const manifest = readManifest(ckpt);
        manifest.files['model.safetensors']!.bytes = 2 ** 50;
        writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify(manifest));
      },
      'error',
    );
    add(
      'pointer-dot-dot',
      (_ckpt, run) => {
        const pointer = JSON.parse(readFileSync(join(run, 'latest.json'), 'utf8')) as { latest: string };
        pointer.latest = '../translate';
        writeFileSync(join(run, 'latest.json'), JSON.stringify(pointer));
      },
      'error',
    );
    add(
      'checkpoint-dir-is-link',
      (ckpt, run) => {
        const elsewhere = join(run, '..', `${run.split('/').pop()}-elsewhere`);
        cpSync(ckpt, elsewhere, { recursive: true });
        rmSync(ckpt, { recursive: true });
        symlinkSync(elsewhere, ckpt);
      },
      'error',
      { mustSay: 'symbolic link' },
    );
    // In-range hyper-parameters that would need tens of GB: refused before the model is built.
    const huge = [
      [
        'config-huge-bigru',
        'classify',
        { embeddingDim: 4096, hiddenSize: 4096, numLayers: 8, attentionUnits: 4096 },
      ],
      [
        'config-huge-transformer',
        'translate',
        {
          dModel: 4096,
          nhead: 64,
          numEncoderLayers: 24,
          numDecoderLayers: 24,
          dimFeedforward: 16384,
          maxLen: 8192,
        },
      ],
    ] as const;
    for (const [id, which, model] of huge) {
      const tamper = (ckpt: string): void => {
        const config = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8')) as Record<string, unknown>;
        config.model = { ...(config.model as object), ...model };
        rewrite(ckpt, 'config.json', JSON.stringify(config));
      };
      add(id, tamper, 'error', { mustSay: 'refusing to build' }, which);
    }
    add(
      'config-deep',
      (ckpt) => rewrite(ckpt, 'config.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      'error',
    );
    add(
      'tokenizers-deep',
      (ckpt) =>
        rewrite(ckpt, 'tokenizers.json', `{"text":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`),
      'error',
    );
    for (const value of [NaN, Infinity]) {
      const poison = (ckpt: string): void => {
        const { tensors, metadata } = parseSafetensors(readFileSync(join(ckpt, 'model.safetensors')));
        const [name, tensor] = [...tensors][0]!;
        const data = Float32Array.from(tensor.data);
        data[data.length - 1] = value;
        tensors.set(name, new Tensor(data, tensor.shape));
        rewrite(ckpt, 'model.safetensors', serializeSafetensors(tensors, metadata));
      };
      add(`weights-${value}`, poison, 'error', { mustSay: 'non-finite' });
      add(`weights-${value}-allowed`, poison, 'either', { options: { nonFinite: 'warn' } });
    }
    add(
      '50k-extra-tensors',
      (ckpt) => {
        const { tensors, metadata } = parseSafetensors(readFileSync(join(ckpt, 'model.safetensors')));
        for (let i = 0; i < 50_000; i++) tensors.set(`extra.${i}`, new Tensor(new Float32Array(1), [1]));
        rewrite(ckpt, 'model.safetensors', serializeSafetensors(tensors, metadata));
      },
      'error',
      { mustSay: 'more' },
    );
    add(
      'corrupt-latest-older-intact',
      (ckpt, run) => {
        // An older checkpoint in the history, intact; the newest one damaged.
        cpSync(ckpt, join(run, 'step-00000003'), { recursive: true });
        const pointer = JSON.parse(readFileSync(join(run, 'latest.json'), 'utf8')) as { history: string[] };
        pointer.history = ['step-00000003', ...pointer.history];
        writeFileSync(join(run, 'latest.json'), JSON.stringify(pointer));
        writeFileSync(join(ckpt, 'rng.json'), '{}');
      },
      'error',
      { mustSay: 'older checkpoints are still there' },
    );
    for (let i = 0; i < 60; i++) {
      const file = random.pick(FILES);
      const updateManifest = random.next() < 0.7;
      add(`mutation-${i}-${file}${updateManifest ? '' : '-stale-manifest'}`, (ckpt) => {
        const bytes = mutateBytes(readFileSync(join(ckpt, file)), random);
        if (updateManifest) rewrite(ckpt, file, bytes);
        else writeFileSync(join(ckpt, file), bytes);
      });
    }
    for (let i = 0; i < 10; i++) {
      add(`manifest-mutation-${i}`, (ckpt) => {
        writeFileSync(
          join(ckpt, 'manifest.json'),
          mutateBytes(readFileSync(join(ckpt, 'manifest.json')), random),
        );
      });
    }

    const { problems, outcomes } = await runCases(cases, dir);
    expect(problems).toEqual([]);
    expect(outcomes.size).toBe(cases.length);
  }, 120_000);
});
