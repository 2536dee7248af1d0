// The Node side of the test shim `onnxruntime` (./onnxruntime/__init__.py): one process per Python interpreter,
// serving InferenceSession.create and session.run of onnxruntime-node over JSON lines on stdin/stdout. Requests:
//   {"id", "op": "open", "path"}                    → {"id", "session", "inputs": [names], "outputs": [names]}
//   {"id", "op": "run", "session", "feeds", "fetches"} → {"id", "outputs": [{name, dtype, dims, data}]}
// and {"id", "error": message} when ONNX Runtime or the request fails. A tensor is {dtype, dims, data}: data is
// the base64 of its flat little-endian bytes, so float32 values (NaN and infinities included) cross exactly.
// The process ends when its stdin closes (the Python process exited or closed the shim).
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';

/** dtype name → typed array constructor: the two dtypes the snippets pass (float32 state, int64 ids). */
const ARRAYS = { float32: Float32Array, int64: BigInt64Array };

const sessions = [];

function decode({ dtype, dims, data }) {
  const TypedArray = ARRAYS[dtype];
  if (!TypedArray) throw new Error(`the shim carries float32 and int64 tensors, not ${dtype}`);
  const bytes = Buffer.from(data, 'base64');
  // Copied into an aligned buffer: a Buffer's view of the base64 result may start at any byte.
  const values = new TypedArray(bytes.byteLength / TypedArray.BYTES_PER_ELEMENT);
  new Uint8Array(values.buffer).set(bytes);
  return new ort.Tensor(dtype, values, dims);
}

function encode(name, tensor) {
  if (!ARRAYS[tensor.type])
    throw new Error(`output ${name}: the shim carries float32 and int64, not ${tensor.type}`);
  const { buffer, byteOffset, byteLength } = tensor.data;
  return {
    name,
    dtype: tensor.type,
    dims: tensor.dims,
    data: Buffer.from(buffer, byteOffset, byteLength).toString('base64'),
  };
}

async function answer(request) {
  if (request.op === 'open') {
    const session = await ort.InferenceSession.create(request.path);
    sessions.push(session);
    return { session: sessions.length - 1, inputs: session.inputNames, outputs: session.outputNames };
  }
  if (request.op === 'run') {
    const session = sessions[request.session];
    if (!session) throw new Error(`no session ${request.session}`);
    const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, t]) => [name, decode(t)]));
    const out = await session.run(feeds, request.fetches);
    return { outputs: request.fetches.map((name) => encode(name, out[name])) };
  }
  throw new Error(`unknown op ${JSON.stringify(request.op)}`);
}

// One request at a time, in order: the Python side waits for each answer before it sends the next.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  let id = null;
  let reply;
  try {
    const request = JSON.parse(line);
    id = request.id;
    reply = { id, ...(await answer(request)) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
