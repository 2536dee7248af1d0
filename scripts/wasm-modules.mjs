// The WebAssembly modules scripts/build-wasm.mjs writes into wasm/ (src/backend/wasm/features.ts names the same
// four), which the page builds copy beside their bundles.
export const WASM_MODULES = [
  'attn.wasm',
  'attn-threads.wasm',
  'attn-relaxed.wasm',
  'attn-relaxed-threads.wasm',
];
