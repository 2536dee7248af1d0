// Fuzz: seeded mutations of a safetensors file and crafted ones (a link to /dev/zero, a FIFO, a header nested
// 100k levels deep, a header listing 200k tensors, absurd lengths), each read by readSafetensorsFile in a child
// under a memory limit: every case loads or is refused with a short AttnError naming the file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeSafetensors, Tensor } from '../../src/index.js';
import { runCases, type FuzzCase } from './run-cases.js';
import { concat, mutateBytes, SeededRandom } from './seeded.js';

const dir = mkdtempSync(join(tmpdir(), 'attn-fuzz-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A header as bytes: the 8-byte little-endian length, then the JSON text. */
function withHeader(json: string, data = new Uint8Array(0), length?: bigint): Uint8Array {
  const text = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, length ?? BigInt(text.length), true);
  return concat(prefix, text, data);
}

function crafted(): [string, Uint8Array][] {
  const many: string[] = [];
  for (let i = 0; i < 200_000; i++) many.push(`"t${i}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`);
  const deep = 100_000;
  return [
    ['nested-100k', withHeader(`{"a":${'['.repeat(deep)}${']'.repeat(deep)}}`)],
    [
      'nested-shape',
      withHeader(`{"a":{"dtype":"F32","shape":${'['.repeat(deep)}${']'.repeat(deep)},"data_offsets":[0,0]}}`),
    ],
    ['nested-metadata', withHeader(`{"__metadata__":${'{"k":'.repeat(deep)}1${'}'.repeat(deep)}}`)],
    ['200k-tensors', withHeader(`{${many.join(',')}}`)],
    ['length-2^63', withHeader('{}', undefined, 2n ** 63n)],
    ['length-past-end', withHeader('{}', undefined, 1000n)],
    [
      'huge-shape',
      withHeader(
        '{"a":{"dtype":"F32","shape":[67108864,67108864],"data_offsets":[0,16]}}',
        new Uint8Array(16),
      ),
    ],
    [
      'offsets-2^53',
      withHeader('{"a":{"dtype":"U8","shape":[1],"data_offsets":[9007199254740991,9007199254740992]}}'),
    ],

    ['empty', new Uint8Array(0)],
  ];
}

describe('fuzz: safetensors files', () => {
  it('every mutated or crafted file loads or is refused with a short error naming it', async () => {
    const base = serializeSafetensors(
      {
        weight: new Tensor(Float32Array.from([1, -2, 3.5, 0, 1e-3, 7]), [2, 3]),
        ids: new Tensor(Int32Array.from([1, 2, 3, 4]), [4], 'int32'),
      },
      { format: 'pt' },
    );
    const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
    const random = new SeededRandom(25);
    const cases: FuzzCase[] = [];
    const add = (id: string, bytes: Uint8Array, expect: FuzzCase['expect'] = 'either'): void => {
      const path = join(dir, `${id}.safetensors`);
      writeFileSync(path, bytes);
      cases.push({ id, kind: 'safetensors', path, mustName: path, expect });
    };
    add('base', base, 'ok');
    for (let i = 0; i < 150; i++) {
      const region: [number, number] = random.next() < 0.75 ? [0, headerEnd] : [headerEnd, base.length];
      let bytes = mutateBytes(base, random, region);
      if (random.next() < 0.3) bytes = mutateBytes(bytes, random);
      add(`mutation-${i}`, bytes);
    }
    for (const [id, bytes] of crafted()) add(id, bytes, 'error');
    // A tensor named "__proto__" is plain data in the Map of tensors: it loads.
    add(
      'proto-key',
      withHeader('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)),
      'ok',
    );

    // What a path can be instead of a file: a link to a device, a FIFO with no writer, a directory.
    const zero = join(dir, 'dev-zero.safetensors');
    symlinkSync('/dev/zero', zero);
    cases.push({ id: 'link-to-dev-zero', kind: 'safetensors', path: zero, mustName: zero, expect: 'error' });
    const fifo = join(dir, 'fifo.safetensors');
    execFileSync('mkfifo', [fifo]);
    cases.push({ id: 'fifo', kind: 'safetensors', path: fifo, mustName: fifo, expect: 'error' });
    const folder = join(dir, 'folder.safetensors');
    mkdirSync(folder);
    cases.push({ id: 'directory', kind: 'safetensors', path: folder, mustName: folder, expect: 'error' });

    const { problems, outcomes } = await runCases(cases, dir);
    expect(problems).toEqual([]);
    expect(outcomes.size).toBe(cases.length);
  });
});
