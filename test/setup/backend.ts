// Runs before every test file: the suite runs on the backend a user would get (native when the addon loads),
// or on the one ATTN_BACKEND names; CI runs it once each way.
import { installDefaultBackend } from '../../src/backend/native/select.js';
import { setKernelChecks } from '../../src/backend/registry.js';
import {
  setDetachReleasedStorage,
  setRecycledFill,
  setUninitialisedAllocator,
} from '../../src/tensor/storage.js';
import { setWasmOutputFill } from '../../src/backend/wasm/addon.js';

installDefaultBackend();
// Every kernel call an op makes is checked against the kernel table (dtypes, lengths, indices, rules).
setKernelChecks(true);

// Storage that an op's kernel promises to overwrite starts as NaN in tests (src/tensor/storage.ts), so an
// element a kernel fails to write shows up as a NaN in the test's comparison instead of as stale memory.
// Recycled storage (a dead gradient buffer handed out again) gets the same treatment.
setUninitialisedAllocator((n) => new Float32Array(n).fill(Number.NaN), 0);
setRecycledFill(Number.NaN);
// The wasm backend copies no out array into the module's memory; there it starts as NaN bytes in tests.
setWasmOutputFill(0xff);
// Released storage is detached in tests (src/tensor/storage.ts), so that even a raw array read after its tidy()
// reads as empty; test/tensor/tidy.test.ts checks the default, generation-based check too.
setDetachReleasedStorage(true);
