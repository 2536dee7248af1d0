// The Adam / AdamW update of one parameter (Backend.adam; src/backend/js/optim.ts is the reference). Every
// element is independent, so chunks go to the pool and the result does not depend on the thread count.
//
// The arithmetic is float32 throughout, one IEEE operation at a time in the order of PyTorch's single-tensor
// Adam (m = β1·m + (1−β1)·g, v = β2·v + ((1−β2)·g)·g, denom = √v̂ / √(1−β2ᵗ) + ε, p = p·decay − (step·m)/denom),
// with the scalars rounded to float as PyTorch's float kernels take them. The reference rounds every operation
// to float (Math.fround; double rounding is exact for +, −, ×, ÷ and √ from float operands), so the bits are
// the same. The addon is compiled for baseline x86-64 and the vector function for AVX without FMA, and the
// WebAssembly build with -ffp-contract=off and SIMD128 (which has no multiply-add), so the compiler cannot
// contract a multiply and an add either. (In double, 4 lanes, the update was bound by its divisions and square
// roots at about 28 GB/s on two threads, where a streaming pass runs at 46 GB/s.)
#include <algorithm>
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace attn {
namespace {

// The step's scalars as the float kernel uses them.
struct AdamScalars {
  float beta1, c1, beta2, c2, step_size, bc2, eps, l2, decay, sign;
  explicit AdamScalars(const AdamArgs& s)
      : beta1(static_cast<float>(s.beta1)),
        c1(static_cast<float>(1 - s.beta1)),
        beta2(static_cast<float>(s.beta2)),
        c2(static_cast<float>(1 - s.beta2)),
        step_size(static_cast<float>(s.stepSize)),
        bc2(static_cast<float>(s.biasCorrection2Sqrt)),
        eps(static_cast<float>(s.eps)),
        l2(static_cast<float>(s.l2)),
        decay(static_cast<float>(s.decay)),
        sign(static_cast<float>(s.sign)) {}
};

void adam_scalar(float* p, const float* g, float* m, float* v, float* v_max, long i0, long i1, const AdamScalars& s) {
  for (long i = i0; i < i1; i++) {
    float grad = s.sign * g[i];
    if (s.l2 != 0) grad = grad + s.l2 * p[i];
    const float mi = s.beta1 * m[i] + s.c1 * grad;
    const float vi = s.beta2 * v[i] + (s.c2 * grad) * grad;
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (v_max) {
      if (second > v_max[i])
        v_max[i] = second;
      else
        second = v_max[i];
    }
    const float denom = std::sqrt(second) / s.bc2 + s.eps;
    p[i] = p[i] * s.decay - (s.step_size * mi) / denom;
  }
}

#if defined(__x86_64__)
// Elements [i0, i0 + 8·blocks) of the update, the scalar loop's operations 8 lanes at a time.
__attribute__((target("avx"))) void adam_avx(float* p, const float* g, float* m, float* v, float* v_max, long i0,
                                             long blocks, const AdamScalars& s) {
  const __m256 sign = _mm256_set1_ps(s.sign), l2 = _mm256_set1_ps(s.l2);
  const __m256 b1 = _mm256_set1_ps(s.beta1), c1 = _mm256_set1_ps(s.c1);
  const __m256 b2 = _mm256_set1_ps(s.beta2), c2 = _mm256_set1_ps(s.c2);
  const __m256 bc2 = _mm256_set1_ps(s.bc2), eps = _mm256_set1_ps(s.eps);
  const __m256 decay = _mm256_set1_ps(s.decay), step = _mm256_set1_ps(s.step_size);
  for (long b = 0; b < blocks; b++) {
    const long i = i0 + 8 * b;
    const __m256 pv = _mm256_loadu_ps(p + i);
    __m256 grad = _mm256_mul_ps(sign, _mm256_loadu_ps(g + i));
    if (s.l2 != 0) grad = _mm256_add_ps(grad, _mm256_mul_ps(l2, pv));
    const __m256 mv = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, grad));
    const __m256 vv =
        _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(c2, grad), grad));
    _mm256_storeu_ps(m + i, mv);
    _mm256_storeu_ps(v + i, vv);
    __m256 second = vv;
    if (v_max) {
      const __m256 vm = _mm256_loadu_ps(v_max + i);
      // second > v̂ (false for NaN, as the scalar comparison) keeps second, else v̂; v̂ takes the same value.
      second = _mm256_blendv_ps(vm, vv, _mm256_cmp_ps(vv, vm, _CMP_GT_OQ));
      _mm256_storeu_ps(v_max + i, second);
    }
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(second), bc2), eps);
    const __m256 update = _mm256_div_ps(_mm256_mul_ps(step, mv), denom);
    _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_mul_ps(pv, decay), update));
  }
}
#endif

#if defined(__wasm_simd128__)
// adam_avx on four lanes (SIMD128's multiply, add, divide and square root round as the scalar ones do).
void adam_simd128(float* p, const float* g, float* m, float* v, float* v_max, long i0, long blocks,
                  const AdamScalars& s) {
  const v128_t sign = wasm_f32x4_splat(s.sign), l2 = wasm_f32x4_splat(s.l2);
  const v128_t b1 = wasm_f32x4_splat(s.beta1), c1 = wasm_f32x4_splat(s.c1);
  const v128_t b2 = wasm_f32x4_splat(s.beta2), c2 = wasm_f32x4_splat(s.c2);
  const v128_t bc2 = wasm_f32x4_splat(s.bc2), eps = wasm_f32x4_splat(s.eps);
  const v128_t decay = wasm_f32x4_splat(s.decay), step = wasm_f32x4_splat(s.step_size);
  for (long b = 0; b < blocks; b++) {
    const long i = i0 + 4 * b;
    const v128_t pv = wasm_v128_load(p + i);
    v128_t grad = wasm_f32x4_mul(sign, wasm_v128_load(g + i));
    if (s.l2 != 0) grad = wasm_f32x4_add(grad, wasm_f32x4_mul(l2, pv));
    const v128_t mv = wasm_f32x4_add(wasm_f32x4_mul(b1, wasm_v128_load(m + i)), wasm_f32x4_mul(c1, grad));
    const v128_t vv =
        wasm_f32x4_add(wasm_f32x4_mul(b2, wasm_v128_load(v + i)), wasm_f32x4_mul(wasm_f32x4_mul(c2, grad), grad));
    wasm_v128_store(m + i, mv);
    wasm_v128_store(v + i, vv);
    v128_t second = vv;
    if (v_max) {
      const v128_t vm = wasm_v128_load(v_max + i);
      // second > v̂ (false for NaN, as the scalar comparison) keeps second, else v̂; v̂ takes the same value.
      second = wasm_v128_bitselect(vv, vm, wasm_f32x4_gt(vv, vm));
      wasm_v128_store(v_max + i, second);
    }
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(second), bc2), eps);
    const v128_t update = wasm_f32x4_div(wasm_f32x4_mul(step, mv), denom);
    wasm_v128_store(p + i, wasm_f32x4_sub(wasm_f32x4_mul(pv, decay), update));
  }
}
#endif

}  // namespace

void adam(const AdamArgs& a) {
  const AdamScalars s(a);
  int chunks = chunks_for(static_cast<double>(a.p_len) * 8, 1 << 15);
  long per = chunks > 1 ? (a.p_len + chunks - 1) / chunks : a.p_len;
  auto run = [&](long i0, long i1) {
#if defined(__x86_64__)
    if (has_avx2_fma()) {
      const long blocks = (i1 - i0) / 8;
      adam_avx(a.p, a.g, a.m, a.v, a.vMax, i0, blocks, s);
      i0 += 8 * blocks;
    }
#endif
#if defined(__wasm_simd128__)
    if (has_simd128()) {
      const long blocks = (i1 - i0) / 4;
      adam_simd128(a.p, a.g, a.m, a.v, a.vMax, i0, blocks, s);
      i0 += 4 * blocks;
    }
#endif
    adam_scalar(a.p, a.g, a.m, a.v, a.vMax, i0, i1, s);
  };
  if (chunks <= 1) {
    run(0, a.p_len);
    return;
  }
  parallel_for(chunks, [&](int t) {
    long i0 = t * per, i1 = std::min(a.p_len, i0 + per);
    if (i0 < i1) run(i0, i1);
  });
}

}  // namespace attn
