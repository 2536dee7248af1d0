// Strided copy (permute, expand, slice, concat) and its accumulating twin (their gradients).
#include <algorithm>
#include <cstdint>
#include <cstring>


#include "cpu.h"
#include "kernels.h"
#include "simd_transpose.h"
#include "strided.h"

namespace attn {

namespace {

// dst[i·ldd + j] = src[j·lds + i] for an 8×8 block of 4-byte elements: eight 32-byte loads, a register transpose,
// eight 32-byte stores.
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void transpose8x8_avx2(const uint32_t* src, long lds, uint32_t* dst,
                                                           long ldd) {
  const float* s = reinterpret_cast<const float*>(src);
  float* d = reinterpret_cast<float*>(dst);
  __m256 r[8];
  for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(s + k * lds);
  transpose8(r);
  for (int k = 0; k < 8; k++) _mm256_storeu_ps(d + k * ldd, r[k]);
}
#endif

// One rows×cols block of the transpose (rows, cols ≤ B), 8×8 register blocks where the type and CPU allow.
template <typename T>
void transpose_block(const T* src, long lds, T* dst, long ldd, long rows, long cols) {
  long i = 0, j = 0;
#if defined(__x86_64__)
  if constexpr (sizeof(T) == 4) {
    if (has_avx2_fma()) {
      const uint32_t* s = reinterpret_cast<const uint32_t*>(src);
      uint32_t* d = reinterpret_cast<uint32_t*>(dst);
      for (i = 0; i + 8 <= rows; i += 8)
        for (j = 0; j + 8 <= cols; j += 8) transpose8x8_avx2(s + j * lds + i, lds, d + i * ldd + j, ldd);
      // The edges (rows or columns left over from the 8×8 blocks) element by element.
      for (long r = 0; r < rows; r++)
        for (long c = r < i ? j : 0; c < cols; c++) dst[r * ldd + c] = src[c * lds + r];
      return;
    }
  }
#endif
  for (; i < rows; i++)
    for (j = 0; j < cols; j++) dst[i * ldd + j] = src[j * lds + i];
}

// A transpose of the last two axes (dst contiguous along the last, src along the one before): element by element,
// every read or write of one would touch a new cache line, and the strides of power-of-two matrices map those
// lines to a few cache sets. Blocks of 32×32 go through 8×8 register transposes. Blocks are independent, so they
// are split over the pool.
template <typename T>
bool copy_transposed(const T* src, long src_offset, T* dst, long dst_offset, const Collapsed& c) {
  const int nd = static_cast<int>(c.shape.size());
  if (nd < 2) return false;
  const std::vector<long>& ss = c.strides[0];
  const std::vector<long>& ds = c.strides[1];
  if (ds[nd - 1] != 1 || ss[nd - 1] == 1 || ss[nd - 2] != 1) return false;
  constexpr long B = 32;
  const long rows = c.shape[nd - 2], cols = c.shape[nd - 1];
  const long src_col = ss[nd - 1], dst_row = ds[nd - 2];
  long outer = 1;
  for (int d = 0; d < nd - 2; d++) outer *= c.shape[d];
  const long row_tiles = (rows + B - 1) / B, col_tiles = (cols + B - 1) / B;
  const long tiles = outer * row_tiles * col_tiles;
  auto run = [&](long t0, long t1) {
    for (long t = t0; t < t1; t++) {
      long o = t / (row_tiles * col_tiles), rt = t / col_tiles % row_tiles, ct = t % col_tiles;
      long so = src_offset, dof = dst_offset;
      for (int d = nd - 3; d >= 0; d--) {
        long i = o % c.shape[d];
        o /= c.shape[d];
        so += i * ss[d];
        dof += i * ds[d];
      }
      const long i0 = rt * B, j0 = ct * B;
      transpose_block(src + so + j0 * src_col + i0, src_col, dst + dof + i0 * dst_row + j0, dst_row,
                      std::min(B, rows - i0), std::min(B, cols - j0));
    }
  };
  const int chunks = std::min<long>(chunks_for(static_cast<double>(outer) * rows * cols, 1 << 15), tiles);
  if (chunks <= 1) {
    run(0, tiles);
    return true;
  }
  const long per = (tiles + chunks - 1) / chunks;
  parallel_for(chunks, [&](int k) {
    long t0 = k * per, t1 = std::min(tiles, t0 + per);
    if (t0 < t1) run(t0, t1);
  });
  return true;
}

}  // namespace

template <typename T>
void copy_as(const CopyArgs& a) {
  for (long d : a.shape)
    if (d == 0) return;
  Collapsed c = collapse(a.shape, {a.srcStrides, a.dstStrides});
  if (copy_transposed(static_cast<const T*>(a.src), a.srcOffset, static_cast<T*>(a.dst), a.dstOffset, c)) return;
  const long base[2] = {a.srcOffset, a.dstOffset};
  walk<2>(c, base, [=, &a](const long* off, const long* st, long count, long) {
    const T* s = static_cast<const T*>(a.src) + off[0];
    T* t = static_cast<T*>(a.dst) + off[1];
    if (st[0] == 1 && st[1] == 1)
      std::memmove(t, s, sizeof(T) * count);
    else
      for (long i = 0; i < count; i++) t[i * st[1]] = s[i * st[0]];
  });
}

void copy_add(const CopyAddArgs& a) {
  for (long d : a.shape)
    if (d == 0) return;
  Collapsed c = collapse(a.shape, {a.srcStrides, a.dstStrides});
  const long base[2] = {a.srcOffset, a.dstOffset};
  // A destination stride of 0 sums several sources into one element: the walk must then stay on one thread
  // and in order, as the reference does.
  bool aliased = false;
  for (size_t d = 0; d < c.shape.size(); d++)
    if (c.strides[1][d] == 0) aliased = true;
  auto body = [=, &a](const long* off, const long* st, long count, long) {
    const float* s = a.src + off[0];
    float* t = a.dst + off[1];
    for (long i = 0; i < count; i++) t[i * st[1]] += s[i * st[0]];
  };
  if (!aliased) {
    walk<2>(c, base, body);
    return;
  }
  // Serial walk in row-major order.
  const int nd = static_cast<int>(c.shape.size());
  std::vector<long> index(nd, 0);
  long off[2] = {base[0], base[1]};
  const long st[2] = {c.strides[0][nd - 1], c.strides[1][nd - 1]};
  long rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= c.shape[d];
  for (long r = 0; r < rows; r++) {
    body(off, st, c.shape[nd - 1], 0);
    for (int d = nd - 2; d >= 0; d--) {
      index[d]++;
      off[0] += c.strides[0][d];
      off[1] += c.strides[1][d];
      if (index[d] < c.shape[d]) break;
      off[0] -= c.strides[0][d] * c.shape[d];
      off[1] -= c.strides[1][d] * c.shape[d];
      index[d] = 0;
    }
  }
}


// Entry point from the generated glue. 4-byte dtypes copy as uint32_t: a copy moves bits, not values.
void copy(const CopyArgs& a) { a.src_dtype == Dtype::U8 ? copy_as<uint8_t>(a) : copy_as<uint32_t>(a); }

}  // namespace attn
