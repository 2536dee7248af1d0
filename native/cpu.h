// Run-time CPU dispatch: the addon is compiled for baseline x86-64 (no -march=native) so that it loads on any
// CPU; kernels with an AVX2+FMA variant ask here, at each call, whether they may run it.
#pragma once

namespace attn {

// True when the CPU executes AVX2 and FMA instructions, ATTN_NO_SIMD is not set and set_portable_only(true)
// has not been called (both are switches for testing the portable paths on a machine that has AVX2).
bool has_avx2_fma();

// True when has_avx2_fma() and the CPU also executes AVX-512F with the OS saving its registers, ATTN_NO_AVX512 is
// not set and set_avx512_off(true) has not been called. The GEMM micro-kernel and the short-key attention's
// register tile have AVX-512 variants; they give the AVX2 kernels' bits (the same FMA chain per element of C)
// and run 10-15% faster on Zen 4, where the AVX2 kernels spend issue slots on separate broadcasts and loads.
bool has_avx512f();

// True when has_avx512f() and the CPU has AVX-512VL: 256-bit instructions may then use the 32 EVEX registers
// (ymm16-31). The matrix-vector product compiles its AVX2 arithmetic with it to hold more accumulators (same bits).
bool has_avx512vl();

// True in the WebAssembly build compiled with SIMD128 (-msimd128) unless set_portable_only(true): the GEMM
// micro-kernel then runs on f32x4 vectors (the same multiply and add per element as the portable one, so the
// same bits; WebAssembly SIMD128 has no fused multiply-add).
bool has_simd128();

// Forces the AVX2 kernels on an AVX-512 machine (true) or gives the choice back to detection (false), as
// set_portable_only does for the portable kernels (tests of both paths on one machine).
void set_avx512_off(bool off);

// Forces the portable kernels (true) or lets the CPU's detection decide again (false). Kernels read the switch
// when they start, so it must not change while one runs (tests flip it between calls).
void set_portable_only(bool portable);

// Batch-invariant kernels (true): each row of a result has the same bits whatever rows are computed beside it
// and whatever masked padding follows it. Products of four rows or fewer then take the tiled path (one FMA chain
// over k per element, as for any number of rows) instead of the matrix-vector one, which sums eight lanes and
// then adds them; and softmax sums each row in order, in double, so trailing masked terms (e^-inf = 0) change
// nothing. attn serve turns it on when it batches requests, so that an answer is the one its request gets
// alone; off (the default), one row keeps the faster matrix-vector path. The choice belongs to the calling
// thread (each JS thread makes its own; parallel_for carries it to the pool threads that run its tasks).
void set_batch_invariant(bool on);
bool batch_invariant();

// Why the portable kernels run: "ATTN_NO_SIMD", "forced", "cpu" (no AVX2+FMA), or "" when they do not (in the
// WebAssembly build: "forced", or "" when the SIMD128 kernels run).
const char* portable_reason();

// The SIMD level the kernels run: "avx512f+avx2+fma" (the AVX-512 kernels of has_avx512f, AVX2 for the rest),
// "avx2+fma", "simd128" (the WebAssembly build) or "portable".
const char* simd_level();

}  // namespace attn
