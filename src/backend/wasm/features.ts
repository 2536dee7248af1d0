/**
 * Which of the four modules in wasm/ (scripts/build-wasm.mjs) an engine can run: relaxed SIMD or plain SIMD128,
 * threads (shared memory) or one thread. Browser-safe.
 */

/** A module of one function that returns f32x4.relaxed_madd of three zero vectors: valid where relaxed SIMD is. */
// prettier-ignore
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]), // v128.const 0, three times
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd, end
]);

let relaxed: boolean | undefined;

/** True where the engine validates relaxed SIMD (Chromium ≥ 114, Node ≥ 22; not Node 20 without a flag). */
export function relaxedSimdAvailable(): boolean {
  relaxed ??= typeof WebAssembly !== 'undefined' && WebAssembly.validate(RELAXED_PROBE);
  return relaxed;
}

/** True where shared WebAssembly memory can be made and posted to workers (a cross-origin isolated page, Node). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** The file name in wasm/ (or dist/browser/) of the module for these features. */
export function wasmModuleFile(features: { threads: boolean; relaxed: boolean }): string {
  return `attn${features.relaxed ? '-relaxed' : ''}${features.threads ? '-threads' : ''}.wasm`;
}

/** Every module in wasm/, as scripts/wasm-modules.mjs lists them for the page builds. */
export const WASM_MODULES: readonly string[] = [false, true].flatMap((relaxed) =>
  [false, true].map((threads) => wasmModuleFile({ threads, relaxed })),
);

/** True when `module` is a threaded build: it imports its (shared) memory instead of defining one. */
export function isThreadedModule(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
}
