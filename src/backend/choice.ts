/**
 * The names and the description of the backends, shared by the two ways of choosing one: Node's
 * (src/backend/native/select.ts: native → wasm → js) and the browser's (src/backend/wasm/browser.ts: wasm → js).
 * Type-only and free of Node imports, so that attn/browser's declarations never reach Node's types.
 */
export type BackendName = 'js' | 'native' | 'wasm';

export const BACKEND_NAMES: readonly BackendName[] = ['js', 'native', 'wasm'];

export interface BackendInfo {
  name: string;
  threads: number;
  /** 'avx512f+avx2+fma', 'avx2+fma' or 'portable' for native; 'simd128' or 'portable' for wasm; 'none' for js. */
  simd: string;
  /**
   * Why this backend runs: 'ATTN_BACKEND', 'chosen' (useBackend), 'the native addon loaded', 'the wasm module
   * loaded' (initWasm in a browser), or why the preferred one did not load.
   */
  reason: string;
}
