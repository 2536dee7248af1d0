// Four-lane float arithmetic for the WebAssembly build's SIMD128 kernels: a multiply-add, and exp, tanh and the
// logistic sigmoid by the same formulas as exp256, tanh256 and sigmoid256 (simd_exp.h, simd_tanh.h; about 2 ulp).
// exp: inputs below about -87.3 (including -inf) give 0, NaN gives NaN, inputs above 88.37 saturate.
// The clamps use pmin/pmax (b < a ? b : a), one x86 instruction each in V8, where min/max's NaN rules take
// several; with x as the first operand a NaN passes through unchanged.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace attn {

// acc + x·y: relaxed SIMD's multiply-add in the modules built with it (fused where the engine has FMA, float32
// tolerance against the reference), otherwise a multiply and then an add.
static inline v128_t madd128(v128_t x, v128_t y, v128_t acc) {
#if defined(__wasm_relaxed_simd__)
  return __builtin_wasm_relaxed_madd_f32x4(x, y, acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(x, y));
#endif
}

static inline v128_t exp128(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-87.3365478515625f);
  const v128_t underflow = wasm_f32x4_lt(x, lo);
  x = wasm_f32x4_pmin(x, wasm_f32x4_splat(88.3762626647949f));
  x = wasm_f32x4_pmax(x, lo);
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500E-4f);
  p = madd128(p, r, wasm_f32x4_splat(1.3981999507E-3f));
  p = madd128(p, r, wasm_f32x4_splat(8.3334519073E-3f));
  p = madd128(p, r, wasm_f32x4_splat(4.1665795894E-2f));
  p = madd128(p, r, wasm_f32x4_splat(1.6666665459E-1f));
  p = madd128(p, r, wasm_f32x4_splat(5.0000001201E-1f));
  p = madd128(p, wasm_f32x4_mul(r, r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  // 2^n by building the exponent field; n is a whole number in [-126, 128] here, so the conversion is exact.
  const v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(p, e), underflow);
}

// tanh: Cephes's odd polynomial for |x| < 0.625 (no cancellation near 0), otherwise sign(x)·(1 − 2/(e^{2|x|} + 1));
// saturates to ±1, NaN stays NaN.
static inline v128_t tanh128(v128_t x) {
  const v128_t sign = wasm_f32x4_splat(-0.0f), one = wasm_f32x4_splat(1.0f);
  const v128_t ax = wasm_v128_andnot(x, sign);
  const v128_t e = exp128(wasm_f32x4_pmin(wasm_f32x4_add(ax, ax), wasm_f32x4_splat(88.0f)));
  const v128_t big = wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
  const v128_t z = wasm_f32x4_mul(ax, ax);
  v128_t p = wasm_f32x4_splat(-5.70498872745e-3f);
  p = madd128(p, z, wasm_f32x4_splat(2.06390887954e-2f));
  p = madd128(p, z, wasm_f32x4_splat(-5.37397155531e-2f));
  p = madd128(p, z, wasm_f32x4_splat(1.33314422036e-1f));
  p = madd128(p, z, wasm_f32x4_splat(-3.33332819422e-1f));
  const v128_t small = madd128(wasm_f32x4_mul(p, z), ax, ax);
  v128_t r = wasm_v128_bitselect(small, big, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.625f)));
  r = wasm_v128_bitselect(r, x, wasm_f32x4_eq(x, x));  // a NaN input is its own result
  return wasm_v128_or(r, wasm_v128_and(x, sign));
}

// σ(x) with e = e^{−|x|} ∈ (0, 1], so nothing overflows: 1/(1 + e) for x ≥ 0, e/(1 + e) for x < 0.
static inline v128_t sigmoid128(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t e = exp128(wasm_v128_or(x, wasm_f32x4_splat(-0.0f)));
  const v128_t inv = wasm_f32x4_div(one, wasm_f32x4_add(one, e));
  const v128_t r = wasm_v128_bitselect(wasm_f32x4_mul(e, inv), inv, wasm_i32x4_shr(x, 31));
  return wasm_v128_bitselect(r, x, wasm_f32x4_eq(x, x));
}

}  // namespace attn
#endif
