#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#if !defined(__wasm__)
#include <thread>
#endif

#include "cpu.h"
#include "kernels.h"
#include "simd128_math.h"
#include "simd_transpose.h"
#include "thread_pool.h"

namespace attn {
namespace {

// The register tile. V8 maps v128 values onto 16 XMM registers on x86-64 and keeps one for itself. SIMD128 has
// no fused multiply-add, so each product needs a register of its own before it is added: a 5×8 tile (10 f32x4
// accumulators, two B vectors, a broadcast A value and the product: 14 registers) fits, where 6×8 spilled and ran
// at two thirds of the speed. At n = 1024 in Node on one thread (Zen 4): 5×8 47 GFLOP/s, 4×8 41, 6×8 26; with
// relaxed SIMD's multiply-add 5×8 51 and 4×8 49, and 6×8 still spills (clang loads the six broadcasts of a step
// before their products); 2×16, 3×8, 3×16 and 1×32 were no faster than 4×8 in Node or Chromium.
#if defined(__wasm_simd128__)
constexpr int MR = 5;
constexpr int NR = 8;
#else
constexpr int MR = 6;
constexpr int NR = 16;
#endif
// A KC×NR panel of B (32 KiB) streams through L1 while an MC×KC block of A (about 290 KiB) sits in L2 and the
// whole KC×NC block of B in L3. KC = 512 rather than BLIS's 256 for these cores (Zen 3: 32 KiB L1, 512 KiB L2):
// half as many passes over C, 2-4% faster at n = 1024 on two threads. MC is a whole number of MR-row panels.
#ifdef ATTN_GEMM_TUNE
const int KC = std::getenv("KC") ? std::atoi(std::getenv("KC")) : 512;
const int MC = std::getenv("MC") ? std::atoi(std::getenv("MC")) : 144;
const int NC = std::getenv("NC") ? std::atoi(std::getenv("NC")) : 2048;
#else
constexpr int KC = 512;
constexpr int MC = 144 / MR * MR;
constexpr int NC = 2048;
#endif

// The body of a short spin-wait.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

inline float at(const Matrix& x, long r, long c) { return x.trans ? x.data[c * x.ld + r] : x.data[r * x.ld + c]; }

#if defined(__x86_64__)
// One full NR-column panel of a transposed B (B stored [n, k]: the panel's 16 columns are 16 rows of storage,
// `src` the first at its column p0): 8×8 blocks transposed in registers, so that the pack moves eight floats
// per instruction instead of one. Products with few rows (a 64-row recurrent step, a decoding beam) spend a
// large share of their time packing B, since each packed element is used only m/MR times.
__attribute__((target("avx2,fma"))) void pack_b_trans_panel_avx2(const float* src, long ld, int kc,
                                                                  float* panel) {
  int p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int half = 0; half < 2; half++) {
      __m256 r[8];
      for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (half * 8 + i) * ld + p);
      transpose8(r);
      for (int i = 0; i < 8; i++) _mm256_storeu_ps(panel + (p + i) * NR + half * 8, r[i]);
    }
  }
  for (; p < kc; p++)
    for (int c = 0; c < NR; c++) panel[p * NR + c] = src[c * ld + p];
}
// One full MR-row panel of an untransposed A: eight p at a time, the MR rows loaded side by side (MR streams the
// prefetcher follows) and turned into eight MR-value columns by an 8×8 register transpose (two rows of zeros).
// Each column's store writes eight lanes, two past its MR, which the next column overwrites; the panel's last
// column stores only its own. `next` asks for the following panel's rows ahead.
__attribute__((target("avx2,fma"))) void pack_a_panel_avx2(const float* src, long ld, int kc, float alpha,
                                                            float* panel, bool next) {
  static_assert(MR == 6, "the mask below takes six lanes");
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  const __m256 scale = _mm256_set1_ps(alpha);
  int p = 0;
  for (; p + 8 <= kc; p += 8) {
    if (next && p % 16 == 0)
      for (int r = 0; r < MR; r++) __builtin_prefetch(src + (MR + r) * ld + p);
    __m256 v[8];
    for (int r = 0; r < MR; r++) v[r] = _mm256_mul_ps(scale, _mm256_loadu_ps(src + r * ld + p));
    v[6] = v[7] = _mm256_setzero_ps();
    transpose8(v);
    for (int i = 0; i < 8; i++) {
      if (p + i + 1 < kc)
        _mm256_storeu_ps(panel + (p + i) * MR, v[i]);
      else
        _mm256_maskstore_ps(panel + (p + i) * MR, six, v[i]);
    }
  }
  for (; p < kc; p++)
    for (int r = 0; r < MR; r++) panel[p * MR + r] = alpha * src[r * ld + p];
}
// The full MR-row panels of rows [0, mc) of a transposed A (A stored [k, m], as in a weight gradient Gᵀ·X; `src`
// is the first row's element at the block's first column), one row of storage at a time: each p reads the
// block's mc contiguous values of that row and hands each panel its MR of them (one load, a scale and a store).
// Panel by panel would read MR values from each of kc rows ld floats apart, a line per row used for MR/16 of its
// values; at ld = 1024 those rows fall into a few cache sets, so every panel fetched its lines again from L3.
// A store writes eight lanes, two past the MR that belong to p, which the next p overwrites; the last p stores
// only its own. Loads read eight lanes where the block has them, the last panel six.
__attribute__((target("avx2,fma"))) void pack_a_trans_avx2(const float* src, long ld, int mc, int kc, float alpha,
                                                            float* dst) {
  static_assert(MR == 6, "the masks below take six lanes");
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  const __m256 scale = _mm256_set1_ps(alpha);
  constexpr int PB = 8;
  const int full = mc / MR;
  const long panel = static_cast<long>(MR) * kc;
  for (int p0 = 0; p0 < kc; p0 += PB) {
    const int p1 = std::min(kc, p0 + PB);
    for (int q = 0; q < full; q++) {
      const bool wide = q * MR + 8 <= mc;
      for (int p = p0; p < p1; p++) {
        const float* at = src + p * ld + q * MR;
        const __m256 v = _mm256_mul_ps(scale, wide ? _mm256_loadu_ps(at) : _mm256_maskload_ps(at, six));
        float* out = dst + q * panel + p * MR;
        if (p + 1 < kc)
          _mm256_storeu_ps(out, v);
        else
          _mm256_maskstore_ps(out, six, v);
      }
    }
  }
}
#endif

// Packs rows [i0, i0+mc) × cols [p0, p0+kc) of alpha·op(A) into MR-row panels, zero-padding the last panel.
// A full panel of an untransposed A reads its MR rows side by side (MR sequential streams the prefetcher follows
// at once) and asks for the next panel's rows a little ahead: packing runs at the speed memory delivers A.
void pack_a(const Matrix& a, int i0, int mc, int p0, int kc, float alpha, float* dst) {
  int ir = 0;
#if defined(__x86_64__)
  if (a.trans && has_avx2_fma()) {
    pack_a_trans_avx2(a.data + static_cast<long>(p0) * a.ld + i0, a.ld, mc, kc, alpha, dst);
    ir = mc / MR * MR;
  }
#endif
  for (; ir < mc; ir += MR) {
    int rows = std::min(MR, mc - ir);
    float* panel = dst + static_cast<long>(ir) * kc;
#if defined(__x86_64__)
    if (!a.trans && rows == MR && has_avx2_fma()) {
      pack_a_panel_avx2(a.data + static_cast<long>(i0 + ir) * a.ld + p0, a.ld, kc, alpha, panel,
                        ir + 2 * MR <= mc);
      continue;
    }
#endif
    if (!a.trans && rows == MR) {
      const float* src[MR];
      for (int r = 0; r < MR; r++) src[r] = a.data + static_cast<long>(i0 + ir + r) * a.ld + p0;
      const bool next = ir + 2 * MR <= mc;
      for (int p = 0; p < kc; p++) {
        if (next && p % 16 == 0)
          for (int r = 0; r < MR; r++) __builtin_prefetch(src[r] + MR * a.ld + p);
        float* out = panel + p * MR;
        for (int r = 0; r < MR; r++) out[r] = alpha * src[r][p];
      }
      continue;
    }
    if (!a.trans) {
      for (int r = 0; r < rows; r++) {
        const float* src = a.data + static_cast<long>(i0 + ir + r) * a.ld + p0;
        for (int p = 0; p < kc; p++) panel[p * MR + r] = alpha * src[p];
      }
    } else {
      for (int p = 0; p < kc; p++) {
        const float* src = a.data + static_cast<long>(p0 + p) * a.ld + i0 + ir;
        for (int r = 0; r < rows; r++) panel[p * MR + r] = alpha * src[r];
      }
    }
    for (int r = rows; r < MR; r++)
      for (int p = 0; p < kc; p++) panel[p * MR + r] = 0.0f;
  }
}

// Packs rows [p0, p0+kc) × cols [j0, j0+nc) of op(B) into NR-column panels, zero-padding the last panel.
// An untransposed B is read eight rows at a time, each row front to back (eight streams the prefetcher follows),
// and written as 512 contiguous bytes per panel: panel by panel would read 64 bytes from each of kc rows, a
// page apart for a 1024-wide matrix, and row by row would write 64 bytes to each of nc/16 panels kc·64 bytes
// apart, which all fall into the same L1 set.
void pack_b(const Matrix& b, int p0, int kc, int j0, int nc, float* dst) {
  const int full = nc / NR * NR;
  if (!b.trans) {
    constexpr int ROWS = 8;
    for (int pb = 0; pb < kc; pb += ROWS) {
      const int rows = std::min(ROWS, kc - pb);
      const float* src = b.data + static_cast<long>(p0 + pb) * b.ld + j0;
      for (int jr = 0; jr < full; jr += NR) {
        float* out = dst + static_cast<long>(jr) * kc + static_cast<long>(pb) * NR;
        for (int r = 0; r < rows; r++) std::memcpy(out + r * NR, src + r * b.ld + jr, NR * sizeof(float));
      }
      if (full < nc) {
        const int cols = nc - full;
        float* out = dst + static_cast<long>(full) * kc + static_cast<long>(pb) * NR;
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) out[r * NR + c] = src[r * b.ld + full + c];
          for (int c = cols; c < NR; c++) out[r * NR + c] = 0.0f;
        }
      }
    }
    return;
  }
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = std::min(NR, nc - jr);
    float* panel = dst + static_cast<long>(jr) * kc;
#if defined(__x86_64__)
    if (cols == NR && has_avx2_fma()) {
      pack_b_trans_panel_avx2(b.data + static_cast<long>(j0 + jr) * b.ld + p0, b.ld, kc, panel);
      continue;
    }
#endif
    for (int c = 0; c < cols; c++) {
      const float* src = b.data + static_cast<long>(j0 + jr + c) * b.ld + p0;
      for (int p = 0; p < kc; p++) panel[p * NR + c] = src[p];
    }
    for (int c = cols; c < NR; c++)
      for (int p = 0; p < kc; p++) panel[p * NR + c] = 0.0f;
  }
}

// Writes (or adds) the MR×NR tile `acc` into C, clipped to rows × cols.
inline void store_tile(const float* acc, float* c, long ldc, int rows, int cols, bool accumulate) {
  for (int r = 0; r < rows; r++) {
    float* dst = c + r * ldc;
    const float* src = acc + r * NR;
    if (accumulate)
      for (int j = 0; j < cols; j++) dst[j] += src[j];
    else
      for (int j = 0; j < cols; j++) dst[j] = src[j];
  }
}

// Every micro-kernel writes (or adds) its tile, then, given `bias` (the tile's first column's) or `relu`, applies
// them to what it wrote: the operations of linear_bias_act, in its order, on the same values.
void kernel_portable(int kc, const float* a, const float* b, float* c, long ldc, int rows, int cols,
                     bool accumulate, const float* bias, bool relu) {
  float acc[MR * NR] = {0};
  for (int p = 0; p < kc; p++) {
    const float* ap = a + p * MR;
    const float* bp = b + p * NR;
    for (int r = 0; r < MR; r++) {
      float x = ap[r];
      for (int j = 0; j < NR; j++) acc[r * NR + j] += x * bp[j];
    }
  }
  store_tile(acc, c, ldc, rows, cols, accumulate);
  if (bias || relu) bias_act_rows(c, ldc, bias, rows, cols, relu);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void kernel_avx2(int kc, const float* a, const float* b, float* c, long ldc,
                                                      int rows, int cols, bool accumulate, const float* bias,
                                                      bool relu) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int r = 0; r < rows; r++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + NR - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int p = 0; p < kc; p++) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 16 * NR), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 x;
    x = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
    a += MR;
    b += NR;
  }
  if (rows == MR && cols == NR) {
    __m256* rowsv[MR][2] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21}, {&c30, &c31}, {&c40, &c41}, {&c50, &c51}};
    const __m256 zero = _mm256_setzero_ps();
    const __m256 bias0 = bias ? _mm256_loadu_ps(bias) : zero, bias1 = bias ? _mm256_loadu_ps(bias + 8) : zero;
    for (int r = 0; r < MR; r++) {
      float* dst = c + r * ldc;
      __m256 v0 = *rowsv[r][0], v1 = *rowsv[r][1];
      if (accumulate) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(dst), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(dst + 8), v1);
      }
      if (bias) {
        v0 = _mm256_add_ps(v0, bias0);
        v1 = _mm256_add_ps(v1, bias1);
      }
      if (relu) {
        // v > 0 ? v : 0, as linear_bias_act (a NaN becomes 0).
        v0 = _mm256_and_ps(v0, _mm256_cmp_ps(v0, zero, _CMP_GT_OQ));
        v1 = _mm256_and_ps(v1, _mm256_cmp_ps(v1, zero, _CMP_GT_OQ));
      }
      _mm256_storeu_ps(dst, v0);
      _mm256_storeu_ps(dst + 8, v1);
    }
    return;
  }
  alignas(32) float acc[MR * NR];
  _mm256_store_ps(acc + 0, c00);
  _mm256_store_ps(acc + 8, c01);
  _mm256_store_ps(acc + 16, c10);
  _mm256_store_ps(acc + 24, c11);
  _mm256_store_ps(acc + 32, c20);
  _mm256_store_ps(acc + 40, c21);
  _mm256_store_ps(acc + 48, c30);
  _mm256_store_ps(acc + 56, c31);
  _mm256_store_ps(acc + 64, c40);
  _mm256_store_ps(acc + 72, c41);
  _mm256_store_ps(acc + 80, c50);
  _mm256_store_ps(acc + 88, c51);
  store_tile(acc, c, ldc, rows, cols, accumulate);
  if (bias || relu) bias_act_rows(c, ldc, bias, rows, cols, relu);
}

// The same tile with one 16-float zmm register per row (AVX-512F): per k, one load of B, six FMAs whose A
// operand is a broadcast folded into the instruction, against the AVX2 kernel's two loads, six broadcasts and
// twelve FMAs. Each element of C is still one FMA chain over p in the same order, so the bits are the AVX2
// kernel's.
__attribute__((target("avx512f"))) void kernel_avx512(int kc, const float* a, const float* b, float* c, long ldc,
                                                      int rows, int cols, bool accumulate, const float* bias,
                                                      bool relu) {
  __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
  __m512 c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps();
  for (int r = 0; r < rows; r++) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int p = 0; p < kc; p++) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 16 * NR), _MM_HINT_T0);
    const __m512 b0 = _mm512_loadu_ps(b);
    c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[0]), b0, c0);
    c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[1]), b0, c1);
    c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[2]), b0, c2);
    c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[3]), b0, c3);
    c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[4]), b0, c4);
    c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[5]), b0, c5);
    a += MR;
    b += NR;
  }
  const __m512 rowsv[MR] = {c0, c1, c2, c3, c4, c5};
  if (rows == MR && cols == NR) {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 vb = bias ? _mm512_loadu_ps(bias) : zero;
    for (int r = 0; r < MR; r++) {
      float* dst = c + r * ldc;
      __m512 v = rowsv[r];
      if (accumulate) v = _mm512_add_ps(_mm512_loadu_ps(dst), v);
      if (bias) v = _mm512_add_ps(v, vb);
      // v > 0 ? v : 0, as linear_bias_act (a NaN becomes 0).
      if (relu) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), v);
      _mm512_storeu_ps(dst, v);
    }
    return;
  }
  alignas(64) float acc[MR * NR];
  for (int r = 0; r < MR; r++) _mm512_store_ps(acc + r * NR, rowsv[r]);
  store_tile(acc, c, ldc, rows, cols, accumulate);
  if (bias || relu) bias_act_rows(c, ldc, bias, rows, cols, relu);
}
#endif

#if defined(__wasm_simd128__)
// The portable kernel's arithmetic on f32x4 vectors: per element of C, acc = acc + a·b over p in order from 0, so
// without relaxed SIMD (a multiply, then an add) it gives kernel_portable's bits.
void kernel_simd128(int kc, const float* a, const float* b, float* c, long ldc, int rows, int cols, bool accumulate,
                    const float* bias, bool relu) {
  constexpr int NV = NR / 4;  // f32x4 vectors per row of the tile
  v128_t acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
  for (int p = 0; p < kc; p++) {
    v128_t bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(b + 4 * v);
    for (int r = 0; r < MR; r++) {
      const v128_t x = wasm_v128_load32_splat(a + r);
      for (int v = 0; v < NV; v++) acc[r][v] = madd128(x, bv[v], acc[r][v]);
    }
    a += MR;
    b += NR;
  }
  if (rows == MR && cols == NR) {
    for (int r = 0; r < MR; r++) {
      float* dst = c + r * ldc;
      for (int v = 0; v < NV; v++) {
        v128_t x = acc[r][v];
        if (accumulate) x = wasm_f32x4_add(wasm_v128_load(dst + 4 * v), x);
        wasm_v128_store(dst + 4 * v, x);
      }
    }
  } else {
    alignas(16) float tile[MR * NR];
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) wasm_v128_store(tile + r * NR + 4 * v, acc[r][v]);
    store_tile(tile, c, ldc, rows, cols, accumulate);
  }
  if (bias || relu) bias_act_rows(c, ldc, bias, rows, cols, relu);
}
#endif

using Kernel = void (*)(int, const float*, const float*, float*, long, int, int, bool, const float*, bool);

Kernel micro_kernel() {
#if defined(__x86_64__)
  if (has_avx512f()) return kernel_avx512;
  if (has_avx2_fma()) return kernel_avx2;
#endif
#if defined(__wasm_simd128__)
  if (has_simd128()) return kernel_simd128;
#endif
  return kernel_portable;
}

// What a product applies to C once its last KC slice is in (a Linear layer's bias and ReLU; see
// matmul_bias_act): `bias` points at the bias of C's column 0, or is null.
struct Epilogue {
  const float* bias = nullptr;
  bool relu = false;
  bool any() const { return bias != nullptr || relu; }
};

// Multiplies a packed MC×KC block of A by nc columns of a packed KC×NC block of B (starting at panel jr0). With
// `epi` (only on a product's last KC slice; its bias already offset to c's first column), the micro-kernels add
// the bias and apply the ReLU to each tile in registers before storing it: the same operations, in the same
// order, as linear_bias_act's pass over the finished C, without reading C back from memory.
void macro_kernel(int mc, int nc, int kc, const float* pa, const float* pb, float* c, long ldc, bool accumulate,
                  const Epilogue& epi = Epilogue{}) {
  const Kernel kernel = micro_kernel();
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = std::min(NR, nc - jr);
    const float* bp = pb + static_cast<long>(jr) * kc;
    for (int ir = 0; ir < mc; ir += MR) {
      int rows = std::min(MR, mc - ir);
      kernel(kc, pa + static_cast<long>(ir) * kc, bp, c + ir * ldc + jr, ldc, rows, cols, accumulate,
             epi.bias ? epi.bias + jr : nullptr, epi.relu);
    }
  }
}

// The epilogue for the tile of C that starts at column j, or none before the last KC slice.
inline Epilogue at_column(const Epilogue& epi, long j, bool last) {
  if (!last) return Epilogue{};
  return Epilogue{epi.bias ? epi.bias + j : nullptr, epi.relu};
}

// Packing buffers, one pair per thread (each thread packs its own operands, so nothing is shared or written by
// two threads), 64-byte aligned so that panels start on cache lines.
struct Scratch {
  float* data = nullptr;
  size_t size = 0;
  ~Scratch() { std::free(data); }
  float* get(size_t need) {
    if (need > size) {
      std::free(data);
      // A buffer of 2 MiB or more (the shared B of a large product) sits on transparent huge pages where Linux
      // offers them: the micro-kernels walk it panel by panel, and 4 KiB pages would cost a TLB miss every 4 KiB.
      constexpr size_t huge = 2u << 20;
      size_t bytes = (need * sizeof(float) + 63) / 64 * 64;
      const bool big = bytes >= huge;
      if (big) bytes = (bytes + huge - 1) / huge * huge;
      data = static_cast<float*>(std::aligned_alloc(big ? huge : 64, bytes));
#if defined(__cpp_exceptions)
      if (data == nullptr) throw std::bad_alloc();
#else
      if (data == nullptr) std::abort();
#endif
      size = bytes / sizeof(float);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      if (big) madvise(data, bytes, MADV_HUGEPAGE);
#endif
    }
    return data;
  }
};

Scratch& scratch_a() {
  thread_local Scratch buffer;
  return buffer;
}

Scratch& scratch_b() {
  thread_local Scratch buffer;
  return buffer;
}

void zero_or_keep(int m, int n, float* c, long ldc, bool accumulate) {
  if (accumulate) return;
  for (int i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
}

// The serial blocked product of rows [i0, i1) × columns [j0, j1) of C (goto/BLIS loop order: NC columns of B
// packed once per KC slice, then MC-row blocks of A against them).
void gemm_region(int i0, int i1, int j0, int j1, int k, float alpha, const Matrix& a, const Matrix& b, float* c,
                 long ldc, bool accumulate, const Epilogue& epi = Epilogue{}) {
  const int ncap = std::min(j1 - j0, NC);
  const int mcap = std::min(i1 - i0, MC);
  float* pb = scratch_b().get(static_cast<size_t>(KC) * ((ncap + NR - 1) / NR * NR));
  float* pa = scratch_a().get(static_cast<size_t>(KC) * ((mcap + MR - 1) / MR * MR));
  for (int jc = j0; jc < j1; jc += NC) {
    int nc = std::min(NC, j1 - jc);
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = std::min(KC, k - p0);
      bool acc = accumulate || p0 > 0;
      pack_b(b, p0, kc, jc, nc, pb);
      for (int ic = i0; ic < i1; ic += MC) {
        int mc = std::min(MC, i1 - ic);
        pack_a(a, ic, mc, p0, kc, alpha, pa);
        macro_kernel(mc, nc, kc, pa, pb, c + static_cast<long>(ic) * ldc + jc, ldc, acc,
                     at_column(epi, jc, p0 + kc == k));
      }
    }
  }
}

// Whether gemm_blocked takes the matrix-vector path below: at most four rows of an untransposed A times a
// transposed B, on AVX2, unless the kernels must be batch-invariant (cpu.h).
bool takes_gemv(int m, const Matrix& a, const Matrix& b) {
#if defined(__x86_64__)
  return m <= 4 && !a.trans && b.trans && has_avx2_fma() && !batch_invariant();
#else
  (void)m, (void)a, (void)b;
  return false;
#endif
}

#if defined(__x86_64__)
// Rows [j0, j1) of C = alpha·A·Bᵀ for at most four rows of A, with B stored [n, k] (a Linear layer applied to
// one token, or to a few decoding beams): each output is the dot product of two contiguous rows, so B streams
// from memory once and is never packed. Packing would copy all of B to use each element only M times; this is
// a memory-bound matrix-vector product and runs at the speed B can be read. NB rows of B at a time share each
// load of A's rows; every dot product sums eight lanes over k in order, then the lanes in a fixed order, so the
// bits do not depend on how the rows of C are split between threads.
//
// NB is how many rows of B share each load of A's rows: M·NB accumulators, NB vectors of B and one of A must stay
// in registers. The AVX2 register file (16 ymm) holds NB = 4 for one or two rows of A but only NB = 2 for three
// or four, where each 8 products then cost 1.5 loads; with AVX-512VL the same 256-bit instructions may use 32
// registers, and NB = 4 or 8 fits. NB changes only which columns share a pass, not any column's sums: the bits
// are the same for every NB.
//
// While it reads rows j..j+NB, it prefetches rows j+NB..j+2NB (one line of each per 16 floats): rows of k floats
// are short streams that the hardware prefetchers barely start on before they end, and NB = 4 streams alone
// leave too few misses in flight to keep memory busy (B comes from memory: a decoder's weights do not fit in
// cache). The last block prefetches its own last row, never past B.
template <int M, int NB>
__attribute__((target("avx2,fma"), always_inline)) inline void gemv_nt_columns(int k, float alpha, const Matrix& a,
                                                                               const Matrix& b, float* c, long ldc,
                                                                               bool accumulate, int j0, int j1) {
  const int k8 = k / 8 * 8;
  for (int j = j0; j < j1; j += NB) {
    const int nb = std::min(NB, j1 - j);
    const float* brow[NB];
    const float* ahead[NB];
    for (int q = 0; q < NB; q++) {
      brow[q] = b.data + static_cast<long>(j + std::min(q, nb - 1)) * b.ld;
      ahead[q] = b.data + static_cast<long>(std::min(j + NB + q, j1 - 1)) * b.ld;
    }
    __m256 acc[M][NB];
    for (int r = 0; r < M; r++)
      for (int q = 0; q < NB; q++) acc[r][q] = _mm256_setzero_ps();
    for (int p = 0; p < k8; p += 8) {
      if ((p & 15) == 0)
        for (int q = 0; q < NB; q++) _mm_prefetch(reinterpret_cast<const char*>(ahead[q] + p), _MM_HINT_T0);
      __m256 bv[NB];
      for (int q = 0; q < NB; q++) bv[q] = _mm256_loadu_ps(brow[q] + p);
      for (int r = 0; r < M; r++) {
        const __m256 av = _mm256_loadu_ps(a.data + static_cast<long>(r) * a.ld + p);
        for (int q = 0; q < NB; q++) acc[r][q] = _mm256_fmadd_ps(av, bv[q], acc[r][q]);
      }
    }
    for (int r = 0; r < M; r++) {
      const float* arow = a.data + static_cast<long>(r) * a.ld;
      for (int q = 0; q < nb; q++) {
        const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc[r][q]), _mm256_extractf128_ps(acc[r][q], 1));
        const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
        float sum = _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
        // The k mod 8 tail: one rounding per product-and-add, written out so that no build (vectorised or not,
        // with any register file) rounds it differently.
        for (int p = k8; p < k; p++) sum = std::fma(arow[p], brow[q][p], sum);
        float* dst = c + static_cast<long>(r) * ldc + j + q;
        *dst = accumulate ? *dst + alpha * sum : alpha * sum;
      }
    }
  }
}

template <int M>
__attribute__((target("avx2,fma"))) void gemv_nt_avx2(int k, float alpha, const Matrix& a, const Matrix& b,
                                                       float* c, long ldc, bool accumulate, int j0, int j1) {
  gemv_nt_columns<M, M <= 2 ? 4 : 2>(k, alpha, a, b, c, ldc, accumulate, j0, j1);
}

// The same arithmetic with the EVEX registers: NB = 8 for up to two rows of A (M·8 + 9 ≤ 32), 4 beyond (≤ 21).
template <int M>
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void gemv_nt_avx512vl(int k, float alpha, const Matrix& a,
                                                                            const Matrix& b, float* c, long ldc,
                                                                            bool accumulate, int j0, int j1) {
  gemv_nt_columns<M, M <= 2 ? 8 : 4>(k, alpha, a, b, c, ldc, accumulate, j0, j1);
}

// The matrix-vector path for m ≤ 4 rows of an untransposed A times a transposed B; false when it does not apply
// (no AVX2, other layouts), and the caller runs the general product.
bool gemv_nt(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, float* c, long ldc,
             bool accumulate, bool threaded) {
  if (!takes_gemv(m, a, b)) return false;
  const int tasks = threaded ? chunks_for(static_cast<double>(n) * k, 1 << 17) : 1;
  // Blocks of 4 rows of B, so that every task starts on a block boundary whatever the split.
  const int blocks = (n + 3) / 4;
  const bool wide = has_avx512vl();
  auto run = [&](int t) {
    const int j0 = std::min(n, blocks * t / tasks * 4), j1 = std::min(n, blocks * (t + 1) / tasks * 4);
    if (wide) {
      switch (m) {
        case 1: gemv_nt_avx512vl<1>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
        case 2: gemv_nt_avx512vl<2>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
        case 3: gemv_nt_avx512vl<3>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
        default: gemv_nt_avx512vl<4>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
      }
      return;
    }
    switch (m) {
      case 1: gemv_nt_avx2<1>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
      case 2: gemv_nt_avx2<2>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
      case 3: gemv_nt_avx2<3>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
      default: gemv_nt_avx2<4>(k, alpha, a, b, c, ldc, accumulate, j0, j1); break;
    }
  };
  if (tasks <= 1)
    run(0);
  else
    parallel_for(tasks, run);
  return true;
}
#else
bool gemv_nt(int, int, int, float, const Matrix&, const Matrix&, float*, long, bool, bool) { return false; }
#endif

// Products too small to pay for packing: a decoder step's attention for each of 64 sentences over a short source
// (1×7 times 7×256, or its gradient 7×1 times 1×256), where packing both operands into padded panels and
// clipping one micro-kernel tile cost several times the 1,792 multiply-adds. C is computed straight from A and B,
// eight columns of a row at a time when B's rows are contiguous. Every element is the blocked path's: from zero,
// one fused multiply-add of alpha·a(i,p) and b(p,j) per p in order (k ≤ KC: a single slice), then written or
// added to C; so the bits do not depend on the path, and batch-invariant kernels may take it.
constexpr double TINY_MADDS = 1 << 14;

bool takes_tiny(int m, int n, int k) {
#if defined(__x86_64__)
  return k <= KC && static_cast<double>(m) * n * k <= TINY_MADDS && has_avx2_fma();
#else
  (void)m, (void)n, (void)k;
  return false;
#endif
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void gemm_tiny(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b,
                                                    float* c, long ldc, bool accumulate) {
  for (int i = 0; i < m; i++) {
    float* crow = c + static_cast<long>(i) * ldc;
    int j = 0;
    if (!b.trans) {
      for (; j + 8 <= n; j += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int p = 0; p < k; p++)
          acc = _mm256_fmadd_ps(_mm256_set1_ps(alpha * at(a, i, p)), _mm256_loadu_ps(b.data + p * b.ld + j), acc);
        if (accumulate) acc = _mm256_add_ps(_mm256_loadu_ps(crow + j), acc);
        _mm256_storeu_ps(crow + j, acc);
      }
    }
    for (; j < n; j++) {
      float acc = 0.0f;
      for (int p = 0; p < k; p++) acc = std::fma(alpha * at(a, i, p), at(b, p, j), acc);
      crow[j] = accumulate ? crow[j] + acc : acc;
    }
  }
}
#else
void gemm_tiny(int, int, int, float, const Matrix&, const Matrix&, float*, long, bool) {}
#endif

// Waits until `counter` reaches `target`: another task of the same dispatch is still packing. The task that
// claimed the work is always running (the pool runs a dispatch's tasks on the calling thread when it is busy,
// and then the first task packs everything), so the wait ends.
void wait_for(const std::atomic<int>& counter, int target) {
  for (int spins = 0; counter.load(std::memory_order_acquire) < target; spins++) {
#if defined(__wasm__)
    (void)spins;  // WebAssembly has no pause or yield: poll
#else
    if (spins < 4096)
      cpu_relax();
    else
      std::this_thread::yield();
#endif
  }
}

// op(B) packed whole: for each KC slice [p0, p0+kc) in turn, its NR-column panels (kc×NR each, columns padded to
// a multiple of NR with zeros). Slice p0 starts at p0·npad, its panel jp at p0·npad + jp·NR·kc.
inline int padded_n(int n) { return (n + NR - 1) / NR * NR; }
inline long packed_offset(int p0, int kc, int jp, int npad) {
  return static_cast<long>(p0) * npad + static_cast<long>(jp) * NR * kc;
}

// The product for a short A (m ≤ MC rows, e.g. a 64-row step of a recurrent layer, or a few decoding beams):
// all of A is packed first (every KC slice, m·k floats), then each task takes groups of NR panels of B and runs
// every KC slice of a group in turn, packing that group's slice of B (kc×64 floats, 128 KiB) just before the
// micro-kernels use it, while it sits in L1/L2: B is read from memory once and its packed copy never leaves the
// cache. (The large-matrix path below packs a whole KC×NC block of B first, megabytes written to and re-read
// from L3, which for 64 rows costs about as much as the product itself.) With `packed` (op(B) packed whole once,
// for a weight that multiplies a new state at every step of a recurrence) the groups read it instead of packing.
// One dispatch per product: the tasks pack A together, wait until it is complete, then take their groups. The
// k order of every sum (KC slices in turn, one micro-kernel call each) is the other paths', so the bits do not
// depend on the path, on prepacking or on the thread count.
constexpr int SHORT_GROUP = 4;  // NR panels per group: 64 columns × KC rows = 128 KiB

void gemm_short(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, const float* packed, float* c,
                long ldc, bool accumulate, int threads, const Epilogue& epi = Epilogue{}) {
  const int rpanels = (m + MR - 1) / MR;
  const long mpad = static_cast<long>(rpanels) * MR;
  const int npad = padded_n(n);
  const int slices = (k + KC - 1) / KC;
  const int groups = (n + SHORT_GROUP * NR - 1) / (SHORT_GROUP * NR);
  const int tasks = std::min(groups, threads * 4);
  float* pa = scratch_a().get(static_cast<size_t>(mpad) * k);
  // A is packed in units of one KC slice × a share of its row panels, so that two threads share even one slice.
  const int shares = tasks > 1 ? std::min(rpanels, threads) : 1;
  const int units = slices * shares;
  auto pack_a_unit = [&](int u) {
    const int p0 = u / shares * KC, kc = std::min(KC, k - p0), s = u % shares;
    const int i0 = rpanels * s / shares * MR, i1 = std::min(m, rpanels * (s + 1) / shares * MR);
    pack_a(a, i0, i1 - i0, p0, kc, alpha, pa + mpad * p0 + static_cast<long>(i0) * kc);
  };
  std::atomic<int> claimed{0}, done{0};
  auto task = [&](int t) {
    for (int u; (u = claimed.fetch_add(1, std::memory_order_relaxed)) < units;) {
      pack_a_unit(u);
      done.fetch_add(1, std::memory_order_release);
    }
    wait_for(done, units);
    const int g0 = groups * t / tasks, g1 = groups * (t + 1) / tasks;
    float* pb = packed ? nullptr : scratch_b().get(static_cast<size_t>(std::min(k, KC)) * SHORT_GROUP * NR);
    for (int g = g0; g < g1; g++) {
      const int j0 = g * SHORT_GROUP * NR;
      const int nc = std::min(SHORT_GROUP * NR, n - j0);
      for (int p0 = 0; p0 < k; p0 += KC) {
        const int kc = std::min(KC, k - p0);
        const float* bp = pb;
        if (packed)
          bp = packed + packed_offset(p0, kc, j0 / NR, npad);
        else
          pack_b(b, p0, kc, j0, nc, pb);
        macro_kernel(m, nc, kc, pa + mpad * p0, bp, c + j0, ldc, accumulate || p0 > 0,
                     at_column(epi, j0, p0 + kc == k));
      }
    }
  };
  if (tasks <= 1)
    task(0);
  else
    parallel_for(tasks, task);
}

// Threaded products share one packed copy of B and split C by rows, so that every element of A and B is packed
// once however many threads run. (Rectangles that each packed their own operands packed A four times and B
// twice for a 1024³ product on two threads, and packing is memory-bound: on one thread, packing each once is
// already a tenth of the time.) B is packed in chunks of at most KCB rows (whole KC slices) × 4 MiB, by all
// threads, then every task reads it.
#ifdef ATTN_GEMM_TUNE
const int KCB = 4 * KC;
#else
constexpr int KCB = 4 * KC;
#endif
constexpr long CHUNK_FLOATS = 1l << 20;
// About TASKS_PER_THREAD tasks per thread, taken dynamically, so that a thread slowed down by another process
// on its core hands its share to the others (which thread computes a task never changes its values).
constexpr int TASKS_PER_THREAD = 4;

// Offset of KC slice `s` (rows [s·KC, ...) of the chunk) and NR panel `jp` in a packed chunk of B whose
// columns are padded to ncp and whose rows are [0, kcb).
inline long chunk_offset(int p, int kc, int jp, int ncp) {
  return static_cast<long>(p) * ncp + static_cast<long>(jp) * NR * kc;
}

// Packs column group g of `groups` (of the block's cpanels NR-wide panels, columns jc.. of an nc-wide block) for
// every KC slice of k0..k1, into the slots chunk_offset gives: the unit of packing work the threads claim.
void pack_b_group(const Matrix& b, int g, int groups, int cpanels, int nc, int jc, int k0, int k1, int ncp,
                  float* pb) {
  const int q0 = cpanels * g / groups, q1 = cpanels * (g + 1) / groups;
  const int cols = std::min(nc, q1 * NR) - q0 * NR;
  for (int p0 = k0; p0 < k1; p0 += KC) {
    const int kc = std::min(KC, k1 - p0);
    pack_b(b, p0, kc, jc + q0 * NR, cols, pb + chunk_offset(p0 - k0, kc, q0, ncp));
  }
}

void gemm_threaded_shared_a(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, float* c, long ldc,
                            bool accumulate, int threads, int want, const Epilogue& epi);

void gemm_threaded(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, float* c, long ldc,
                   bool accumulate, int threads, const Epilogue& epi) {
  const int rpanels = (m + MR - 1) / MR;
  // Tasks are row bands of C, at least MC/2 rows each: fewer rows go to gemm_threaded_shared_a. (Bands of MC/2
  // to MC rows stay here: their A, packed by the task that uses it just before it does, is still in L2, where
  // the shared buffer's, packed by any thread, comes from L3: 1024×512×8000 ran 5% slower shared.)
  const int want = threads * TASKS_PER_THREAD;
  if (2 * rpanels < want * (MC / MR)) {
    gemm_threaded_shared_a(m, n, k, alpha, a, b, c, ldc, accumulate, threads, want, epi);
    return;
  }
  const int kcb = std::min(k, KCB);
  const int ncb = std::min(n, std::max(NR, static_cast<int>(CHUNK_FLOATS / kcb) / NR * NR));
  float* pb = scratch_b().get(static_cast<size_t>(kcb) * ((ncb + NR - 1) / NR * NR));
  const int tm = std::min(rpanels, want);
  for (int jc = 0; jc < n; jc += ncb) {
    const int nc = std::min(ncb, n - jc);
    const int cpanels = (nc + NR - 1) / NR;
    const int ncp = cpanels * NR;
    const int tn = std::min(cpanels, std::max(1, (want + tm - 1) / tm));
    for (int k0 = 0; k0 < k; k0 += kcb) {
      const int k1 = std::min(k, k0 + kcb);
      // The tasks pack B[k0:k1, jc:jc+nc] together before any computes: each claims groups of NR panels (every
      // KC slice of them) until none is left, then waits for the groups others are still packing. A claimed
      // group is always being packed by a running thread, so the wait ends, even when the pool is busy and runs
      // the tasks one after another on the calling thread (the first then packs everything). One dispatch per
      // chunk instead of a packing dispatch and a computing one: waking the pool costs microseconds.
      const int groups = std::min(cpanels, 2 * threads);
      std::atomic<int> claimed{0}, packed{0};
      parallel_for(tm * tn, [&](int t) {
        for (int g; (g = claimed.fetch_add(1, std::memory_order_relaxed)) < groups;) {
          pack_b_group(b, g, groups, cpanels, nc, jc, k0, k1, ncp, pb);
          packed.fetch_add(1, std::memory_order_release);
        }
        wait_for(packed, groups);
        const int ti = t / tn, tj = t % tn;
        const int i0 = rpanels * ti / tm * MR, i1 = std::min(m, rpanels * (ti + 1) / tm * MR);
        const int q0 = cpanels * tj / tn, q1 = cpanels * (tj + 1) / tn;
        const int j0 = q0 * NR, cols = std::min(nc, q1 * NR) - j0;
        if (i0 >= i1 || cols <= 0) return;
        const int mcap = std::min(i1 - i0, MC);
        float* pa = scratch_a().get(static_cast<size_t>(KC) * ((mcap + MR - 1) / MR * MR));
        for (int p0 = k0; p0 < k1; p0 += KC) {
          const int kc = std::min(KC, k1 - p0);
          const bool acc = accumulate || p0 > 0;
          const float* bp = pb + chunk_offset(p0 - k0, kc, q0, ncp);
          for (int ic = i0; ic < i1; ic += MC) {
            const int mc = std::min(MC, i1 - ic);
            pack_a(a, ic, mc, p0, kc, alpha, pa);
            macro_kernel(mc, cols, kc, pa, bp, c + static_cast<long>(ic) * ldc + jc + j0, ldc, acc,
                         at_column(epi, jc + j0, p0 + kc == k));
          }
        }
      });
    }
  }
}

// Products with too few rows for gemm_threaded's row bands (m < 576 on two threads: the weight gradients Gᵀ·X of
// a layer of 256 or 512 units over a long k): bands of C would be thinner than MC/2 rows, and each band's
// micro-kernels would use every panel of B, fetched from L3, for a few MR-row panels only. Here A is packed into a buffer all threads share, as B is, and C is cut into tiles
// of up to MC rows × a block of columns, so that a B panel serves up to MC/MR micro-kernel calls while it sits in
// L1, and no row of A is packed twice per chunk. Chunks: kcb rows of k (whole KC slices) × ncb columns; kcb
// shrinks so that a B chunk of at most 4 MiB spans all of n where it can, since every column chunk repacks A.
void gemm_threaded_shared_a(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, float* c, long ldc,
                            bool accumulate, int threads, int want, const Epilogue& epi) {
  const int rpanels = (m + MR - 1) / MR;
  const long mpad = static_cast<long>(rpanels) * MR;
  const int npad = padded_n(n);
  const int kfit = static_cast<int>(CHUNK_FLOATS / npad) / KC * KC;
  const int kcb = std::min(k, std::max(KC, std::min(KCB, kfit)));
  const int ncb = std::min(n, std::max(NR, static_cast<int>(CHUNK_FLOATS / kcb) / NR * NR));
  float* pb = scratch_b().get(static_cast<size_t>(kcb) * padded_n(ncb));
  float* pa = scratch_a().get(static_cast<size_t>(kcb) * mpad);
  // Row blocks of at most MC/MR panels, and enough column blocks for about `want` tiles.
  const int rb = (rpanels + MC / MR - 1) / (MC / MR);
  for (int jc = 0; jc < n; jc += ncb) {
    const int nc = std::min(ncb, n - jc);
    const int cpanels = (nc + NR - 1) / NR;
    const int ncp = cpanels * NR;
    // Tiles a multiple of the threads where the columns allow: 9 equal tiles on two threads leave one idle for
    // a ninth of the time.
    int cb = std::min(cpanels, std::max(1, (want + rb - 1) / rb));
    while (cb < cpanels && rb * cb % threads != 0) cb++;
    for (int k0 = 0; k0 < k; k0 += kcb) {
      const int k1 = std::min(k, k0 + kcb);
      const int slices = (k1 - k0 + KC - 1) / KC;
      // Packing units, claimed by the tasks before any computes (as in gemm_threaded): one row block of A in one
      // KC slice, then groups of B's panels with every KC slice of them.
      const int a_units = slices * rb, groups = std::min(cpanels, 2 * threads), units = a_units + groups;
      std::atomic<int> claimed{0}, done{0};
      parallel_for(rb * cb, [&](int t) {
        for (int u; (u = claimed.fetch_add(1, std::memory_order_relaxed)) < units;) {
          if (u < a_units) {
            const int p0 = k0 + u / rb * KC, kc = std::min(KC, k1 - p0), bi = u % rb;
            const int i0 = rpanels * bi / rb * MR, i1 = std::min(m, rpanels * (bi + 1) / rb * MR);
            pack_a(a, i0, i1 - i0, p0, kc, alpha, pa + mpad * (p0 - k0) + static_cast<long>(i0) * kc);
          } else {
            pack_b_group(b, u - a_units, groups, cpanels, nc, jc, k0, k1, ncp, pb);
          }
          done.fetch_add(1, std::memory_order_release);
        }
        wait_for(done, units);
        const int bi = t / cb, bj = t % cb;
        const int i0 = rpanels * bi / rb * MR, i1 = std::min(m, rpanels * (bi + 1) / rb * MR);
        const int q0 = cpanels * bj / cb, q1 = cpanels * (bj + 1) / cb;
        const int j0 = q0 * NR, cols = std::min(nc, q1 * NR) - j0;
        if (i0 >= i1 || cols <= 0) return;
        for (int p0 = k0; p0 < k1; p0 += KC) {
          const int kc = std::min(KC, k1 - p0);
          macro_kernel(i1 - i0, cols, kc, pa + mpad * (p0 - k0) + static_cast<long>(i0) * kc,
                       pb + chunk_offset(p0 - k0, kc, q0, ncp), c + static_cast<long>(i0) * ldc + jc + j0, ldc,
                       accumulate || p0 > 0, at_column(epi, jc + j0, p0 + kc == k));
        }
      });
    }
  }
}

// The product, on the pool's threads when `threaded` and the product is large enough. Which path runs depends
// only on the shapes and the CPU, and every path sums each element of C over k in an order that does not depend
// on the thread count (the blocked paths: KC slices in turn, each in one micro-kernel call), so neither does the
// result.
void gemm_blocked(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, float* c, long ldc,
                  bool accumulate, bool threaded, const Epilogue& epi = Epilogue{}) {
  if (m == 0 || n == 0) return;
  // The matrix-vector path (a few rows, C still in cache) applies the epilogue as one pass over C afterwards:
  // the same operations on the same values.
  auto finish = [&] {
    if (epi.any()) linear_bias_act_strided(c, ldc, epi.bias, m, n, epi.relu);
  };
  if (k == 0) {
    zero_or_keep(m, n, c, ldc, accumulate);
    finish();
    return;
  }
  if (gemv_nt(m, n, k, alpha, a, b, c, ldc, accumulate, threaded)) {
    finish();
    return;
  }
  if (takes_tiny(m, n, k)) {
    gemm_tiny(m, n, k, alpha, a, b, c, ldc, accumulate);
    finish();
    return;
  }
  const int threads = threaded ? chunks_for(static_cast<double>(m) * n * k, 1 << 20) : 1;
  if (m <= MC) {
    gemm_short(m, n, k, alpha, a, b, nullptr, c, ldc, accumulate, threads, epi);
  } else if (threads <= 1) {
    gemm_region(0, m, 0, n, k, alpha, a, b, c, ldc, accumulate, epi);
  } else {
    gemm_threaded(m, n, k, alpha, a, b, c, ldc, accumulate, threads, epi);
  }
}

}  // namespace

void gemm_serial(int m, int n, int k, float alpha, Matrix a, Matrix b, float* c, long ldc, bool accumulate) {
  gemm_blocked(m, n, k, alpha, a, b, c, ldc, accumulate, false);
}

namespace {

// Asks Linux for transparent huge pages under a large output before the product first writes it. An op's output
// is a fresh allocation, so the product would otherwise take one page fault per 4 KiB page (about 2 ms for a
// 4 MiB C on a small VM, 15% of a 1024³ product); with THP in "madvise" mode this makes it one per 2 MiB. Only
// the 2 MiB-aligned interior is advised; a failure (other kernels, THP off) is harmless and ignored.
void advise_huge_pages(float* c, long count) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t huge = 2u << 20;
  uintptr_t begin = reinterpret_cast<uintptr_t>(c), end = begin + static_cast<uintptr_t>(count) * sizeof(float);
  uintptr_t first = (begin + huge - 1) & ~(huge - 1), last = end & ~(huge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)c;
  (void)count;
#endif
}

}  // namespace

void matmul_batched(const float* a, const float* b, float* c, int batch, int m, int n, int k, bool trans_a,
                    bool trans_b, long stride_a, long stride_b) {
  const long lda = trans_a ? m : k;
  const long ldb = trans_b ? k : n;
  const long stride_c = static_cast<long>(m) * n;
  const double flops = static_cast<double>(m) * n * k;
  if (stride_c * batch * sizeof(float) >= (4u << 20)) advise_huge_pages(c, stride_c * batch);
  auto one = [&](int i, bool threaded) {
    Matrix A{a + i * stride_a, lda, trans_a};
    Matrix B{b + i * stride_b, ldb, trans_b};
    gemm_blocked(m, n, k, 1.0f, A, B, c + i * stride_c, n, false, threaded);
  };
  // Many small products: one per task. Large ones: threads inside each product.
  if (batch > 1 && flops < (1 << 21)) {
    int chunks = chunks_for(flops * batch, 1 << 18);
    if (chunks <= 1) {
      for (int i = 0; i < batch; i++) one(i, false);
      return;
    }
    parallel_for(batch, [&](int i) { one(i, false); });
    return;
  }
  for (int i = 0; i < batch; i++) one(i, true);
}

// A Linear layer's forward in one product: C[m×n] = act(op(A) · op(B) + bias), bias [n] or null, act ReLU when
// relu (v > 0 ? v : 0) or none: the bits of matmul_batched (batch 1) followed by linear_bias_act, with the bias
// and ReLU applied to each tile of C as its last KC slice is stored instead of in a second pass over C.
void matmul_bias_act(const MatmulBiasActArgs& a) {
  const int m = static_cast<int>(a.m), n = static_cast<int>(a.n), k = static_cast<int>(a.k);
  const long stride_c = static_cast<long>(m) * n;
  if (stride_c * sizeof(float) >= (4u << 20)) advise_huge_pages(a.out, stride_c);
  const Matrix A{a.a, a.transA ? m : k, a.transA};
  const Matrix B{a.b, a.transB ? k : n, a.transB};
  gemm_blocked(m, n, k, 1.0f, A, B, a.out, n, false, true, Epilogue{a.bias, a.activation == Activation::Relu});
}

long packed_b_floats(int k, int n) { return static_cast<long>(k) * padded_n(n); }

void pack_b_whole(const float* b, int k, int n, bool trans_b, float* packed) {
  const Matrix B{b, trans_b ? k : n, trans_b};
  const int npad = padded_n(n), cpanels = npad / NR;
  // Column blocks of whole panels, every KC slice of them, as gemm_threaded packs its shared B.
  const int tasks = std::min(cpanels, 2 * chunks_for(static_cast<double>(k) * n, 1 << 16));
  auto run = [&](int t) {
    const int q0 = cpanels * t / tasks, q1 = cpanels * (t + 1) / tasks;
    const int cols = std::min(n, q1 * NR) - q0 * NR;
    for (int p0 = 0; p0 < k && cols > 0; p0 += KC) {
      const int kc = std::min(KC, k - p0);
      pack_b(B, p0, kc, q0 * NR, cols, packed + packed_offset(p0, kc, q0, npad));
    }
  };
  if (tasks <= 1)
    run(0);
  else
    parallel_for(tasks, run);
}

bool prepacked_reads_packed(int m, int n, int k, bool trans_a, bool trans_b) {
  // gemm_blocked's choice of path: only its short path packs B, and only it can read a prepacked B.
  const Matrix A{nullptr, trans_a ? m : k, trans_a};
  const Matrix B{nullptr, trans_b ? k : n, trans_b};
  return !(m == 0 || n == 0 || k == 0 || m > MC || takes_gemv(m, A, B));
}

void matmul_prepacked(const float* a, const float* b, const float* packed, float* c, int m, int n, int k,
                      bool trans_a, bool trans_b) {
  const Matrix A{a, trans_a ? m : k, trans_a};
  const Matrix B{b, trans_b ? k : n, trans_b};
  if (!prepacked_reads_packed(m, n, k, trans_a, trans_b)) {
    matmul_batched(a, b, c, 1, m, n, k, trans_a, trans_b, 0, 0);
    return;
  }
  const int threads = chunks_for(static_cast<double>(m) * n * k, 1 << 20);
  gemm_short(m, n, k, 1.0f, A, B, packed, c, n, false, threads);
}

// Entry point from the generated glue.
void matmul(const MatmulArgs& a) {
  if (a.batch == 0 || a.m == 0 || a.n == 0) return;
  matmul_batched(a.a, a.b, a.out, static_cast<int>(a.batch), static_cast<int>(a.m), static_cast<int>(a.n),
                 static_cast<int>(a.k), a.transA, a.transB, a.strideA, a.strideB);
}

}  // namespace attn
