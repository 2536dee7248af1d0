// Row selection and its adjoint (embedding lookup and backward), torch.gather and scatter-add. The adds are
// split over outer slices only, so two index entries naming the same row are summed in index order.
#include <cstring>

#include "kernels.h"
#include "thread_pool.h"

namespace attn {

template <typename T>
void index_select_as(const IndexSelectArgs& a) {
  if (a.outer * a.inner == 0) return;
  const T* src = static_cast<const T*>(a.src);
  T* out = static_cast<T*>(a.out);
  int chunks = chunks_for(static_cast<double>(a.outer) * a.index_len * a.inner, 1 << 15);
  if (chunks > a.outer * a.index_len) chunks = static_cast<int>(a.outer * a.index_len);
  long rows = a.outer * a.index_len;
  long per = chunks > 0 ? (rows + chunks - 1) / chunks : rows;
  auto run = [=, &a](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      long o = r / a.index_len, j = r % a.index_len;
      std::memcpy(out + r * a.inner, src + (o * a.n + a.index[j]) * a.inner, sizeof(T) * a.inner);
    }
  };
  if (chunks <= 1) {
    run(0, rows);
    return;
  }
  parallel_for(chunks, [&](int t) { run(t * per, std::min(rows, (t + 1) * per)); });
}

void index_add(const IndexAddArgs& a) {
  for (long o = 0; o < a.outer; o++)
    for (long j = 0; j < a.index_len; j++) {
      float* to = a.dst + (o * a.n + a.index[j]) * a.inner;
      const float* from = a.src + (o * a.index_len + j) * a.inner;
      for (long i = 0; i < a.inner; i++) to[i] += from[i];
    }
}

template <typename T>
void gather_as(const GatherArgs& a) {
  const T* src = static_cast<const T*>(a.src);
  T* out = static_cast<T*>(a.out);
  for (long o = 0; o < a.outer; o++)
    for (long j = 0; j < a.m; j++) {
      long row = (o * a.m + j) * a.inner;
      for (long i = 0; i < a.inner; i++) out[row + i] = src[(o * a.n + a.index[row + i]) * a.inner + i];
    }
}

void scatter_add(const ScatterAddArgs& a) {
  for (long o = 0; o < a.outer; o++)
    for (long j = 0; j < a.m; j++) {
      long row = (o * a.m + j) * a.inner;
      for (long i = 0; i < a.inner; i++) a.dst[(o * a.n + a.index[row + i]) * a.inner + i] += a.src[row + i];
    }
}


// Entry points from the generated glue. 4-byte dtypes move as uint32_t: a gather moves bits, not values.
void index_select(const IndexSelectArgs& a) {
  a.src_dtype == Dtype::U8 ? index_select_as<uint8_t>(a) : index_select_as<uint32_t>(a);
}

void gather(const GatherArgs& a) { a.src_dtype == Dtype::U8 ? gather_as<uint8_t>(a) : gather_as<uint32_t>(a); }

}  // namespace attn
