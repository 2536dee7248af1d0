// Strided copy (permute, expand, slice, concat) and its accumulating twin (their gradients).
#include <cstring>

#include "kernels.h"
#include "strided.h"

namespace attn {

template <typename T>
void copy(const T* src, long src_offset, const std::vector<long>& ss, T* dst, long dst_offset,
          const std::vector<long>& ds, const std::vector<long>& shape) {
  for (long d : shape)
    if (d == 0) return;
  Collapsed c = collapse(shape, {ss, ds});
  const long base[2] = {src_offset, dst_offset};
  walk<2>(c, base, [=](const long* off, const long* st, long count, long) {
    const T* s = src + off[0];
    T* t = dst + off[1];
    if (st[0] == 1 && st[1] == 1)
      std::memmove(t, s, sizeof(T) * count);
    else
      for (long i = 0; i < count; i++) t[i * st[1]] = s[i * st[0]];
  });
}

void copy_add(const float* src, long src_offset, const std::vector<long>& ss, float* dst, long dst_offset,
              const std::vector<long>& ds, const std::vector<long>& shape) {
  for (long d : shape)
    if (d == 0) return;
  Collapsed c = collapse(shape, {ss, ds});
  const long base[2] = {src_offset, dst_offset};
  // A destination stride of 0 sums several sources into one element: the walk must then stay on one thread
  // and in order, as the reference does.
  bool aliased = false;
  for (size_t d = 0; d < c.shape.size(); d++)
    if (c.strides[1][d] == 0) aliased = true;
  auto body = [=](const long* off, const long* st, long count, long) {
    const float* s = src + off[0];
    float* t = dst + off[1];
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

template void copy<uint32_t>(const uint32_t*, long, const std::vector<long>&, uint32_t*, long,
                             const std::vector<long>&, const std::vector<long>&);
template void copy<uint8_t>(const uint8_t*, long, const std::vector<long>&, uint8_t*, long, const std::vector<long>&,
                            const std::vector<long>&);

}  // namespace attn
