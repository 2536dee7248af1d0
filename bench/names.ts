/** The benchmark names of the issue, in report order. */
export const BENCHES = [
  'matmul_256',
  'matmul_512',
  'matmul_1024',
  'attention_fwd_bwd_T256',
  'attention_fwd_bwd_T256_causal',
  'attention_fwd_bwd_T1024',
  'attention_fwd_bwd_T1024_causal',
  'attention_peak_mib_T16384',
] as const;

export type BenchName = (typeof BENCHES)[number];

/**
 * The WebAssembly backend against the native one in the same run (no PyTorch peer): `matmul` 1024³ on each
 * backend in turn, in alternating rounds.
 */
export const WASM_BENCHES = ['node_wasm_matmul_1024'] as const;

/**
 * attn's wasm backend (attn/browser) against TensorFlow.js's wasm backend (and jax-js's, for the training step)
 * in one Chromium page (bench/browser/): `matmul` n³ on each in turn, in alternating rounds; and the training
 * step of the seed translation model (bench/e2e/config.ts's NMT: GRU 512 + Bahdanau, batch 64 × 16 tokens).
 */
export const BROWSER_BENCHES = [
  'browser_matmul_512',
  'browser_matmul_1024',
  'browser_train_nmt_gru_bahdanau',
] as const;

export interface Result {
  bench: string;
  value: number;
  unit: string;
  impl: string;
}
