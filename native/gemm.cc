#include "gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu.h"
#include "thread_pool.h"

namespace attn {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;
// A KC×NR panel of B (16 KiB) stays in L1 while an MC×KC block of A (about 140 KiB) sits in L2 and the whole
// KC×NC block of B in L3.
constexpr int KC = 256;
constexpr int MC = 144;
constexpr int NC = 2048;

inline float at(const Matrix& x, long r, long c) { return x.trans ? x.data[c * x.ld + r] : x.data[r * x.ld + c]; }

// Packs rows [i0, i0+mc) × cols [p0, p0+kc) of alpha·op(A) into MR-row panels, zero-padding the last panel.
void pack_a(const Matrix& a, int i0, int mc, int p0, int kc, float alpha, float* dst) {
  for (int ir = 0; ir < mc; ir += MR) {
    int rows = std::min(MR, mc - ir);
    float* panel = dst + static_cast<long>(ir) * kc;
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
void pack_b(const Matrix& b, int p0, int kc, int j0, int nc, float* dst) {
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = std::min(NR, nc - jr);
    float* panel = dst + static_cast<long>(jr) * kc;
    if (!b.trans) {
      for (int p = 0; p < kc; p++) {
        const float* src = b.data + static_cast<long>(p0 + p) * b.ld + j0 + jr;
        float* row = panel + p * NR;
        for (int c = 0; c < cols; c++) row[c] = src[c];
        for (int c = cols; c < NR; c++) row[c] = 0.0f;
      }
    } else {
      for (int c = 0; c < cols; c++) {
        const float* src = b.data + static_cast<long>(j0 + jr + c) * b.ld + p0;
        for (int p = 0; p < kc; p++) panel[p * NR + c] = src[p];
      }
      for (int c = cols; c < NR; c++)
        for (int p = 0; p < kc; p++) panel[p * NR + c] = 0.0f;
    }
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

void kernel_portable(int kc, const float* a, const float* b, float* c, long ldc, int rows, int cols,
                     bool accumulate) {
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
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void kernel_avx2(int kc, const float* a, const float* b, float* c, long ldc,
                                                      int rows, int cols, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
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
    for (int r = 0; r < MR; r++) {
      float* dst = c + r * ldc;
      if (accumulate) {
        _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), *rowsv[r][0]));
        _mm256_storeu_ps(dst + 8, _mm256_add_ps(_mm256_loadu_ps(dst + 8), *rowsv[r][1]));
      } else {
        _mm256_storeu_ps(dst, *rowsv[r][0]);
        _mm256_storeu_ps(dst + 8, *rowsv[r][1]);
      }
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
}
#endif

using Kernel = void (*)(int, const float*, const float*, float*, long, int, int, bool);

Kernel micro_kernel() {
#if defined(__x86_64__)
  if (has_avx2_fma()) return kernel_avx2;
#endif
  return kernel_portable;
}

// Multiplies a packed MC×KC block of A by nc columns of a packed KC×NC block of B (starting at panel jr0).
void macro_kernel(int mc, int nc, int kc, const float* pa, const float* pb, float* c, long ldc, bool accumulate) {
  static const Kernel kernel = micro_kernel();
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = std::min(NR, nc - jr);
    const float* bp = pb + static_cast<long>(jr) * kc;
    for (int ir = 0; ir < mc; ir += MR) {
      int rows = std::min(MR, mc - ir);
      kernel(kc, pa + static_cast<long>(ir) * kc, bp, c + ir * ldc + jr, ldc, rows, cols, accumulate);
    }
  }
}

std::vector<float>& scratch_a() {
  thread_local std::vector<float> buffer(static_cast<size_t>(MC + MR) * KC);
  return buffer;
}

std::vector<float>& scratch_b() {
  thread_local std::vector<float> buffer;
  return buffer;
}

void zero_or_keep(int m, int n, float* c, long ldc, bool accumulate) {
  if (accumulate) return;
  for (int i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
}

// The blocked product, with the blocks of C spread over the pool when `threaded`.
void gemm_blocked(int m, int n, int k, float alpha, const Matrix& a, const Matrix& b, float* c, long ldc,
                  bool accumulate, bool threaded) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    zero_or_keep(m, n, c, ldc, accumulate);
    return;
  }
  const int ncap = std::min(n, NC);
  std::vector<float>& pb = scratch_b();
  const size_t need = static_cast<size_t>(KC) * ((ncap + NR - 1) / NR * NR);
  if (pb.size() < need) pb.resize(need);
  for (int j0 = 0; j0 < n; j0 += NC) {
    int nc = std::min(NC, n - j0);
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = std::min(KC, k - p0);
      bool acc = accumulate || p0 > 0;
      int mblocks = (m + MC - 1) / MC;
      int panels = (nc + NR - 1) / NR;
      int threads = threaded ? chunks_for(static_cast<double>(m) * nc * kc, 1 << 18) : 1;
      if (threads > 1) {
        // Each thread packs a contiguous run of B's panels (they are independent).
        int per = (panels + threads - 1) / threads;
        parallel_for(threads, [&](int t) {
          int c0 = t * per * NR, c1 = std::min(nc, (t + 1) * per * NR);
          if (c0 < c1) pack_b(b, p0, kc, j0 + c0, c1 - c0, pb.data() + static_cast<long>(c0) * kc);
        });
      } else {
        pack_b(b, p0, kc, j0, nc, pb.data());
      }
      const float* packed_b = pb.data();
      // Split the columns too when there are fewer row blocks than threads (short, wide products).
      int nsplit = std::max(1, std::min(panels, (threads * 2 + mblocks - 1) / mblocks));
      if (threads == 1) nsplit = 1;
      int panels_per = (panels + nsplit - 1) / nsplit;
      auto task = [&](int t) {
        int ib = t / nsplit;
        int js = t % nsplit;
        int i0 = ib * MC;
        int mc = std::min(MC, m - i0);
        int jp0 = js * panels_per * NR;
        int jp1 = std::min(nc, (js + 1) * panels_per * NR);
        if (jp0 >= jp1) return;
        std::vector<float>& pa = scratch_a();
        pack_a(a, i0, mc, p0, kc, alpha, pa.data());
        macro_kernel(mc, jp1 - jp0, kc, pa.data(), packed_b + static_cast<long>(jp0) * kc,
                     c + static_cast<long>(i0) * ldc + j0 + jp0, ldc, acc);
      };
      int tasks = mblocks * nsplit;
      if (threads > 1)
        parallel_for(tasks, task);
      else
        for (int t = 0; t < tasks; t++) task(t);
    }
  }
}

}  // namespace

void gemm_serial(int m, int n, int k, float alpha, Matrix a, Matrix b, float* c, long ldc, bool accumulate) {
  gemm_blocked(m, n, k, alpha, a, b, c, ldc, accumulate, false);
}

void matmul_batched(const float* a, const float* b, float* c, int batch, int m, int n, int k, bool trans_a,
                    bool trans_b, long stride_a, long stride_b) {
  const long lda = trans_a ? m : k;
  const long ldb = trans_b ? k : n;
  const long stride_c = static_cast<long>(m) * n;
  const double flops = static_cast<double>(m) * n * k;
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

}  // namespace attn
