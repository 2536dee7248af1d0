import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
} from '../../src/io/safetensors.js';
import { decodeElements, encodeElements } from '../../src/io/safetensors-data.js';
import { AttnError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadCase, OWN_FIXTURE_DIR } from '../golden/fixtures.js';

const FIXTURES = new URL('../../../shared/fixtures/torch/', import.meta.url);
const FILE = 'bad.safetensors';

/**
 * Builds a safetensors file by hand: `header` (a string is used verbatim), `data`, optional length override.
 */
function build(header: unknown, data: Uint8Array | number[] = [], headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  return buildRaw(json, data, headerLength);
}

function buildRaw(
  headerBytes: Uint8Array,
  data: Uint8Array | number[] = [],
  headerLength?: bigint,
): Uint8Array {
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** Asserts that parsing fails with `safetensors: bad.safetensors: <problem matching pattern>`. */
function expectMalformed(bytes: Uint8Array, problem: RegExp): void {
  let error: unknown;
  try {
    parseSafetensors(bytes, FILE);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(AttnError);
  const message = (error as AttnError).message;
  expect(message.startsWith(`safetensors: ${FILE}: `)).toBe(true);
  expect(message).toMatch(problem);
}

const f32 = (name: string, shape: number[], begin: number, end: number) => ({
  [name]: { dtype: 'F32', shape, data_offsets: [begin, end] },
});

function roundTrip(tensors: Record<string, Tensor>, metadata?: Record<string, string>) {
  return parseSafetensors(serializeSafetensors(tensors, metadata));
}

describe('serializeSafetensors / parseSafetensors round trip', () => {
  it('keeps float32 values bit for bit, including NaN, infinities and -0', () => {
    const values = new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 3.4e38, 1e-45, Math.PI]);
    const back = roundTrip({ x: new Tensor(values, [2, 4], 'float32') }).tensors.get('x')!;
    expect(back.dtype).toBe('float32');
    expect(back.shape).toEqual([2, 4]);
    expect(new Uint8Array(back.data.buffer)).toEqual(new Uint8Array(values.buffer));
  });

  it('keeps int32 values including the extremes', () => {
    const values = new Int32Array([-2147483648, 2147483647, 0, -1, 42, 7]);
    const back = roundTrip({ ids: new Tensor(values, [3, 2], 'int32') }).tensors.get('ids')!;
    expect(back.dtype).toBe('int32');
    expect(back.shape).toEqual([3, 2]);
    expect(back.data).toEqual(values);
  });

  it('keeps bool masks (written as BOOL)', () => {
    const mask = new Tensor(new Uint8Array([1, 0, 0, 1, 1]), [5], 'bool');
    const bytes = serializeSafetensors({ mask });
    expect(readSafetensorsHeader(bytes).entries[0]!.dtype).toBe('BOOL');
    const back = parseSafetensors(bytes).tensors.get('mask')!;
    expect(back.dtype).toBe('bool');
    expect(back.data).toEqual(new Uint8Array([1, 0, 0, 1, 1]));
  });

  it('keeps empty tensors and scalars of every dtype', () => {
    const tensors = {
      emptyF: new Tensor(new Float32Array(0), [0], 'float32'),
      emptyI: new Tensor(new Int32Array(0), [2, 0, 3], 'int32'),
      emptyB: new Tensor(new Uint8Array(0), [0, 4], 'bool'),
      scalarF: new Tensor(new Float32Array([2.5]), [], 'float32'),
      scalarI: new Tensor(new Int32Array([-9]), [], 'int32'),
      scalarB: new Tensor(new Uint8Array([1]), [], 'bool'),
    };
    const back = roundTrip(tensors).tensors;
    expect(back.size).toBe(6);
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = back.get(name)!;
      expect(got.dtype).toBe(tensor.dtype);
      expect(got.shape).toEqual(tensor.shape);
      expect(got.data).toEqual(tensor.data);
    }
  });

  it('writes a file with no tensors and reads it back', () => {
    const bytes = serializeSafetensors({});
    expect(parseSafetensors(bytes)).toEqual({ tensors: new Map(), metadata: {} });
  });

  it('accepts a Map and lays tensors out in sorted name order with contiguous offsets', () => {
    const tensors = new Map([
      ['b', new Tensor(new Float32Array([1, 2]), [2], 'float32')],
      ['a', new Tensor(new Int32Array([3]), [1], 'int32')],
      ['c.mask', new Tensor(new Uint8Array([1, 0, 1]), [3], 'bool')],
      ['10', new Tensor(new Float32Array([4]), [1], 'float32')],
    ]);
    const header = readSafetensorsHeader(serializeSafetensors(tensors));
    expect(header.entries.map((e) => [e.name, e.begin, e.end])).toEqual([
      ['10', 0, 4],
      ['a', 4, 8],
      ['b', 8, 16],
      ['c.mask', 16, 19],
    ]);
    expect(header.dataLength).toBe(19);
  });

  it('round-trips metadata, including awkward keys', () => {
    const metadata = { format: 'pt', case: '{"op":"sdpa"}', '1': 'one', __proto__x: 'ü ✓', '': 'empty key' };
    const got = roundTrip({ x: new Tensor(new Float32Array([1]), [1], 'float32') }, metadata).metadata;
    expect(got).toEqual(metadata);
    const proto = JSON.parse('{"__proto__": "p"}') as Record<string, string>;
    const back = roundTrip({}, proto).metadata;
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('returns empty metadata when none was written', () => {
    expect(roundTrip({ x: new Tensor(new Float32Array([1]), [1], 'float32') }).metadata).toEqual({});
  });

  it('pads the header with spaces so the data starts at a multiple of 8', () => {
    for (let length = 1; length <= 16; length++) {
      const name = 'n'.repeat(length);
      for (const metadata of [undefined, { k: 'v'.repeat(length) }]) {
        const bytes = serializeSafetensors(
          { [name]: new Tensor(new Float32Array([1]), [1], 'float32') },
          metadata,
        );
        const header = readSafetensorsHeader(bytes);
        expect(header.dataStart % 8).toBe(0);
        const headerText = new TextDecoder().decode(bytes.subarray(8, header.dataStart));
        expect(headerText).toMatch(/^\{.*\} *$/);
        expect(headerText.length - headerText.trimEnd().length).toBeLessThan(8);
      }
    }
  });

  it('rejects empty names, __metadata__, non-tensors and non-string metadata', () => {
    const t = new Tensor(new Float32Array([1]), [1], 'float32');
    expect(() => serializeSafetensors({ '': t })).toThrow(/safetensors: tensor names must not be empty/);
    expect(() => serializeSafetensors({ __metadata__: t })).toThrow(/"__metadata__" is reserved/);
    const notTensor = { x: [1, 2] } as unknown as Record<string, Tensor>;
    expect(() => serializeSafetensors(notTensor)).toThrow(/safetensors: "x" is not a Tensor/);
    const badMeta = { epoch: 3 } as unknown as Record<string, string>;
    expect(() => serializeSafetensors({ x: t }, badMeta)).toThrow(
      /safetensors: metadata value of "epoch" must be a string, got number/,
    );
  });
});

describe('parseSafetensors decoding', () => {
  it('copies into fresh storage: no aliasing of the input, unaligned offsets are fine', () => {
    const file = serializeSafetensors({
      a: new Tensor(new Uint8Array([1, 0, 1]), [3], 'bool'),
      b: new Tensor(new Float32Array([1.25, -2]), [2], 'float32'),
      c: new Tensor(new Int32Array([7, -8]), [2], 'int32'),
    });
    // The file starts at an odd offset inside a bigger buffer, so b and c are not 4-byte aligned.
    const host = new Uint8Array(file.length + 3);
    host.set(file, 1);
    const bytes = host.subarray(1, 1 + file.length);
    const { tensors } = parseSafetensors(bytes);
    expect(tensors.get('b')!.data).toEqual(new Float32Array([1.25, -2]));
    expect(tensors.get('c')!.data).toEqual(new Int32Array([7, -8]));
    for (const t of tensors.values()) expect(t.data.buffer).not.toBe(host.buffer);
    host.fill(0xff);
    expect(tensors.get('a')!.data).toEqual(new Uint8Array([1, 0, 1]));
    expect(tensors.get('c')!.data).toEqual(new Int32Array([7, -8]));
  });

  it('decodes I64 into int32 when every value fits', () => {
    const values = [-2147483648n, 2147483647n, 0n, -1n, 123456789n];
    const data = new Uint8Array(8 * values.length);
    values.forEach((v, i) => new DataView(data.buffer).setBigInt64(8 * i, v, true));
    const bytes = build({ ids: { dtype: 'I64', shape: [5], data_offsets: [0, 40] } }, data);
    const ids = parseSafetensors(bytes).tensors.get('ids')!;
    expect(ids.dtype).toBe('int32');
    expect(Array.from(ids.data)).toEqual(values.map(Number));
  });

  it.each([2147483648n, -2147483649n, 4294967296n, 9223372036854775807n])(
    'rejects an I64 value outside int32 (%s), naming the tensor',
    (value) => {
      const data = new Uint8Array(16);
      new DataView(data.buffer).setBigInt64(8, value, true);
      const bytes = build({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data);
      expectMalformed(
        bytes,
        new RegExp(`tensor "ids": I64 value ${value} at element 1 is outside the int32 range`),
      );
    },
  );

  it('converts F16, BF16 and F64 to float32: subnormals, signed zeros, infinities, NaN and rounding', () => {
    const half = new Uint8Array(
      new Uint16Array([0x3c00, 0x8000, 0x0001, 0x83ff, 0x7bff, 0xfc00, 0x7e00, 0x3555]).buffer,
    );
    const f16 = parseSafetensors(build({ h: { dtype: 'F16', shape: [8], data_offsets: [0, 16] } }, half));
    expect(Array.from(f16.tensors.get('h')!.data)).toEqual([
      1,
      -0,
      2 ** -24,
      -(1023 * 2 ** -24),
      65504,
      -Infinity,
      NaN,
      Math.fround(0.333251953125),
    ]);
    expect(f16.tensors.get('h')!.dtype).toBe('float32');
    const brain = new Uint8Array(new Uint16Array([0x3f80, 0xc049, 0x0001, 0x7f80, 0xffc0]).buffer);
    const bf16 = parseSafetensors(build({ b: { dtype: 'BF16', shape: [5], data_offsets: [0, 10] } }, brain));
    expect(Array.from(bf16.tensors.get('b')!.data)).toEqual([1, -3.140625, 2 ** -133, Infinity, NaN]);
    const doubles = new Uint8Array(new Float64Array([0.1, -1e300, 1e-50, 1 + 2 ** -24, -0]).buffer);
    const f64 = parseSafetensors(build({ d: { dtype: 'F64', shape: [5], data_offsets: [0, 40] } }, doubles));
    expect(Array.from(f64.tensors.get('d')!.data)).toEqual([Math.fround(0.1), -Infinity, 0, 1, -0]);
  });

  it('converts F16, BF16 and F64 exactly as PyTorch does (`.float()`, torch-written golden file)', async () => {
    const golden = await loadCase('safetensors_dtypes', OWN_FIXTURE_DIR);
    for (const dtype of ['f16', 'bf16', 'f64']) {
      const decoded = golden.get(`input.${dtype}`);
      const torch = golden.get(`output.${dtype}`);
      expect(decoded.dtype).toBe('float32');
      expect(decoded.shape).toEqual(torch.shape);
      // Bit for bit: NaN, -0 and every rounding as torch's.
      expect(new Uint8Array(decoded.data.buffer)).toEqual(new Uint8Array(torch.data.buffer));
    }
  });

  it('maps U8 to bool when all bytes are 0 or 1, else widens to int32', () => {
    const masks = build({ m: { dtype: 'U8', shape: [2, 2], data_offsets: [0, 4] } }, [0, 1, 1, 0]);
    const m = parseSafetensors(masks).tensors.get('m')!;
    expect(m.dtype).toBe('bool');
    expect(m.data).toEqual(new Uint8Array([0, 1, 1, 0]));
    const bytes = build({ b: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } }, [0, 2, 255]);
    const b = parseSafetensors(bytes).tensors.get('b')!;
    expect(b.dtype).toBe('int32');
    expect(b.data).toEqual(new Int32Array([0, 2, 255]));
  });

  it('rejects a BOOL byte that is not 0 or 1', () => {
    const bytes = build({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [0, 1, 2]);
    expectMalformed(bytes, /tensor "m": BOOL byte 2 at element 2 is not 0 or 1/);
  });

  it('decodes and encodes the same through the big-endian-host (DataView) path', () => {
    const floats = new Float32Array([1.5, -0, NaN, 1e-45]);
    const ints = new Int32Array([-2147483648, 5, -1]);
    for (const data of [floats, ints]) {
      const fast = new Uint8Array(data.byteLength + 1);
      const slow = new Uint8Array(data.byteLength + 1);
      encodeElements(data, fast, 1, true);
      encodeElements(data, slow, 1, false);
      expect(slow).toEqual(fast);
      const dtype = data instanceof Float32Array ? 'F32' : 'I32';
      const decoded = decodeElements(fast.subarray(1), dtype, 't', FILE, false).data;
      expect(new Uint8Array(decoded.buffer)).toEqual(new Uint8Array(data.buffer));
    }
  });
});

describe('PyTorch fixtures', () => {
  const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.safetensors'));
  const read = (name: string) => parseSafetensors(readFileSync(new URL(name, FIXTURES)), name);

  it('finds the fixtures', () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  it.each(names)('reads %s', (name) => {
    const { tensors, metadata } = read(name);
    expect(tensors.size).toBeGreaterThan(0);
    for (const [key, t] of tensors) {
      expect(key).toMatch(/^(input|param|output|grad)\./);
      expect(['float32', 'int32', 'bool']).toContain(t.dtype);
    }
    const meta = JSON.parse(metadata['case']!) as { name: string; op: string };
    expect(meta.name).toBe(name.replace(/\.safetensors$/, ''));
    expect(typeof meta.op).toBe('string');
  });

  it('reads sdpa_padding with its U8 mask as bool', () => {
    const { tensors, metadata } = read('sdpa_padding.safetensors');
    const mask = tensors.get('input.key_padding_mask')!;
    expect(mask.dtype).toBe('bool');
    expect(mask.shape).toEqual([3, 8]);
    expect(Array.from(mask.data)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1,
    ]);
    const q = tensors.get('input.q')!;
    expect(q.dtype).toBe('float32');
    expect(q.shape).toEqual([3, 2, 4, 8]);
    expect(Array.from(q.data.subarray(0, 4))).toEqual(
      [-1.9842761754989624, 0.8851290941238403, -0.39476877450942993, 1.0048437118530273].map(Math.fround),
    );
    const meta = JSON.parse(metadata['case']!) as { op: string; config: { key_padding: boolean } };
    expect(meta.op).toBe('scaled_dot_product_attention');
    expect(meta.config.key_padding).toBe(true);
  });

  it('reads I32 targets of cross_entropy_plain', () => {
    const target = read('cross_entropy_plain.safetensors').tensors.get('input.target')!;
    expect(target.dtype).toBe('int32');
    expect(Array.from(target.data)).toEqual([2, 1, 0, 2, 3, 1, 2, 3, 2, 2]);
  });

  it('round-trips a fixture through serializeSafetensors', () => {
    const { tensors, metadata } = read('sdpa_padding.safetensors');
    const again = parseSafetensors(serializeSafetensors(tensors, metadata));
    expect(again.metadata).toEqual(metadata);
    for (const [key, t] of tensors) expect(again.tensors.get(key)!.data).toEqual(t.data);
  });
});

describe('malformed input', () => {
  const x = f32('x', [2], 0, 8);
  const eight = new Array<number>(8).fill(0);

  it('a file shorter than 8 bytes', () => {
    expectMalformed(new Uint8Array([1, 0, 0]), /file is 3 bytes, shorter than the 8-byte header length/);
  });

  it('a header length beyond the file', () => {
    const bytes = buildRaw(new Uint8Array(112), [], 1000000n);
    expectMalformed(
      bytes,
      /^safetensors: bad\.safetensors: header length 1000000 exceeds the file size 120$/,
    );
  });

  it('a header length beyond the limit, rejected before decoding', () => {
    const bytes = buildRaw(new Uint8Array(8), [], 1n << 60n);
    expectMalformed(
      bytes,
      new RegExp(`header length ${1n << 60n} exceeds the limit of ${SAFETENSORS_MAX_HEADER_BYTES} bytes`),
    );
  });

  it('a header that is not UTF-8', () => {
    expectMalformed(buildRaw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /header is not valid UTF-8/);
  });

  it('a header that is not JSON', () => {
    expectMalformed(build('{"x": {"dtype": "F32",'), /header is not valid JSON/);
    expectMalformed(build(''), /header is not valid JSON/);
  });

  it.each([
    ['[1, 2]', /header must be a JSON object, got array \[1,2\]/],
    ['null', /header must be a JSON object, got null/],
    ['42', /header must be a JSON object, got number 42/],
  ])('a header that is not an object: %s', (header, problem) => {
    expectMalformed(build(header), problem);
  });

  it('an entry that is not an object', () => {
    expectMalformed(build({ x: [1, 2] }), /tensor "x" must be an object, got array/);
  });

  it.each(['dtype', 'shape', 'data_offsets'])('an entry missing %s', (field) => {
    const entry: Record<string, unknown> = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    delete entry[field];
    expectMalformed(build({ x: entry }, eight), new RegExp(`tensor "x" has no ${field}`));
  });

  it.each([
    [{ dtype: 4, shape: [2], data_offsets: [0, 8] }, /tensor "x" dtype must be a string, got number 4/],
    [{ dtype: 'F32', shape: '2', data_offsets: [0, 8] }, /tensor "x" shape must be an array, got string "2"/],
    [
      { dtype: 'F32', shape: [2], data_offsets: [0] },
      /tensor "x" data_offsets must be an array \[begin, end\]/,
    ],
    [{ dtype: 'F32', shape: [2], data_offsets: '0-8' }, /tensor "x" data_offsets must be an array/],
    [{ dtype: 'F32', shape: ['2'], data_offsets: [0, 8] }, /tensor "x" has an invalid shape \["2"\]/],
  ])('an entry with a wrongly typed field (%#)', (entry, problem) => {
    expectMalformed(build({ x: entry }, eight), problem);
  });

  it.each(['I16', 'U16', 'F8_E4M3', 'C64', 'Q7'])('an unsupported dtype %s', (dtype) => {
    const bytes = build({ x: { dtype, shape: [2], data_offsets: [0, 8] } }, eight);
    expectMalformed(
      bytes,
      new RegExp(
        `tensor "x" has unsupported dtype ${dtype} \\(attn reads F32, F16, BF16, F64, I32, I64, U8, BOOL\\)`,
      ),
    );
  });

  it.each([
    [[2, -1], /tensor "x" has an invalid shape \[2,-1\]: sizes must be non-negative integers/],
    [[2.5], /tensor "x" has an invalid shape \[2\.5\]: sizes must be non-negative integers/],
  ])('a shape with a bad size %j', (shape, problem) => {
    expectMalformed(build({ x: { dtype: 'F32', shape, data_offsets: [0, 8] } }, eight), problem);
  });

  it.each([
    [[0, 7.5], /tensor "x" data_offsets \[0,7\.5\] must be non-negative integers/],
    [[-8, 0], /tensor "x" data_offsets \[-8,0\] must be non-negative integers/],
    [[8, 0], /tensor "x" data_offsets \[8,0\] begin after end/],
    [[8, 16], /tensor "x" data_offsets \[8,16\] are out of range of the 8-byte data buffer/],
  ])('bad data_offsets %j', (offsets, problem) => {
    expectMalformed(build({ x: { dtype: 'F32', shape: [2], data_offsets: offsets } }, eight), problem);
  });

  it('offsets overlapping another tensor', () => {
    const bytes = build({ ...f32('a', [2], 0, 8), ...f32('b', [2], 4, 12) }, new Array<number>(12).fill(0));
    expectMalformed(bytes, /tensor "b" \[4, 12\) overlaps tensor "a" \[0, 8\)/);
  });

  it('a byte count that does not match the shape', () => {
    const bytes = build(f32('x', [3], 0, 8), eight);
    expectMalformed(bytes, /tensor "x" has 8 bytes but shape \[3\] of F32 needs 12/);
  });

  it('a hole between tensors', () => {
    const bytes = build({ ...f32('a', [1], 0, 4), ...f32('b', [1], 8, 12) }, new Array<number>(12).fill(0));
    expectMalformed(bytes, /the data buffer has a hole: bytes \[4, 8\) belong to no tensor/);
  });

  it('trailing bytes after the last tensor', () => {
    expectMalformed(build(x, new Array<number>(12).fill(0)), /hole: bytes \[8, 12\) belong to no tensor/);
  });

  it('__metadata__ values that are not strings, or metadata that is not an object', () => {
    expectMalformed(
      build({ ...x, __metadata__: { epoch: 3 } }, eight),
      /__metadata__ value of "epoch" must be a string, got number 3/,
    );
    expectMalformed(build({ ...x, __metadata__: ['a'] }, eight), /__metadata__ must be an object of strings/);
  });

  it('accepts zero-length tensors anywhere in the layout', () => {
    const header = {
      ...f32('a', [1], 0, 4),
      ...f32('e', [0], 4, 4),
      ...f32('z', [2, 0], 0, 0),
      ...f32('b', [1], 4, 8),
    };
    const { tensors } = parseSafetensors(build(header, eight));
    expect([...tensors.keys()]).toEqual(['a', 'e', 'z', 'b']);
    expect(tensors.get('z')!.shape).toEqual([2, 0]);
  });
});
