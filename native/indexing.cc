// Row selection and its adjoint (embedding lookup and backward), torch.gather and scatter-add. The adds are
// split over outer slices only, so two index entries naming the same row are summed in index order.
#include <cstring>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

template <typename T>
void index_select(const T* src, long outer, long n, long inner, const int32_t* index, long m, T* out) {
  int chunks = chunks_for(static_cast<double>(outer) * m * inner, 1 << 15);
  if (chunks > outer * m) chunks = static_cast<int>(outer * m);
  long rows = outer * m;
  long per = chunks > 0 ? (rows + chunks - 1) / chunks : rows;
  auto run = [=](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      long o = r / m, j = r % m;
      std::memcpy(out + r * inner, src + (o * n + index[j]) * inner, sizeof(T) * inner);
    }
  };
  if (chunks <= 1) {
    run(0, rows);
    return;
  }
  parallel_for(chunks, [&](int t) { run(t * per, std::min(rows, (t + 1) * per)); });
}

void index_add(float* dst, long outer, long n, long inner, const int32_t* index, long m, const float* src) {
  for (long o = 0; o < outer; o++)
    for (long j = 0; j < m; j++) {
      float* to = dst + (o * n + index[j]) * inner;
      const float* from = src + (o * m + j) * inner;
      for (long i = 0; i < inner; i++) to[i] += from[i];
    }
}

template <typename T>
void gather(const T* src, long outer, long n, long inner, const int32_t* index, long m, T* out) {
  for (long o = 0; o < outer; o++)
    for (long j = 0; j < m; j++) {
      long row = (o * m + j) * inner;
      for (long i = 0; i < inner; i++) out[row + i] = src[(o * n + index[row + i]) * inner + i];
    }
}

void scatter_add(float* dst, long outer, long n, long inner, const int32_t* index, long m, const float* src) {
  for (long o = 0; o < outer; o++)
    for (long j = 0; j < m; j++) {
      long row = (o * m + j) * inner;
      for (long i = 0; i < inner; i++) dst[(o * n + index[row + i]) * inner + i] += src[row + i];
    }
}

template void index_select<uint32_t>(const uint32_t*, long, long, long, const int32_t*, long, uint32_t*);
template void index_select<uint8_t>(const uint8_t*, long, long, long, const int32_t*, long, uint8_t*);
template void gather<uint32_t>(const uint32_t*, long, long, long, const int32_t*, long, uint32_t*);
template void gather<uint8_t>(const uint8_t*, long, long, long, const int32_t*, long, uint8_t*);

// Entry points from the generated glue. 4-byte dtypes move as uint32_t: a gather moves bits, not values.
void index_select(const IndexSelectArgs& a) {
  if (a.outer * a.inner == 0) return;
  if (a.src_dtype == Dtype::U8)
    index_select(static_cast<const uint8_t*>(a.src), a.outer, a.n, a.inner, a.index, a.index_len,
                 static_cast<uint8_t*>(a.out));
  else
    index_select(static_cast<const uint32_t*>(a.src), a.outer, a.n, a.inner, a.index, a.index_len,
                 static_cast<uint32_t*>(a.out));
}

void index_add(const IndexAddArgs& a) {
  if (a.outer * a.inner == 0) return;
  index_add(a.dst, a.outer, a.n, a.inner, a.index, a.index_len, a.src);
}

void gather(const GatherArgs& a) {
  if (a.src_dtype == Dtype::U8)
    gather(static_cast<const uint8_t*>(a.src), a.outer, a.n, a.inner, a.index, a.m, static_cast<uint8_t*>(a.out));
  else
    gather(static_cast<const uint32_t*>(a.src), a.outer, a.n, a.inner, a.index, a.m, static_cast<uint32_t*>(a.out));
}

void scatter_add(const ScatterAddArgs& a) { scatter_add(a.dst, a.outer, a.n, a.inner, a.index, a.m, a.src); }

}  // namespace attn
