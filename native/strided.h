// Walking N-dimensional strided operands, as src/backend/js/strided.ts does: axes of size 1 are dropped and
// axes contiguous in every operand are merged, so common cases become one long inner loop.
#pragma once

#include <vector>

#include "thread_pool.h"

namespace attn {

struct Collapsed {
  std::vector<long> shape;
  std::vector<std::vector<long>> strides;  // one list per operand
};

inline Collapsed collapse(const std::vector<long>& shape, const std::vector<std::vector<long>>& strides) {
  Collapsed out;
  out.strides.resize(strides.size());
  for (size_t d = 0; d < shape.size(); d++) {
    long size = shape[d];
    if (size == 1) continue;
    bool mergeable = !out.shape.empty();
    if (mergeable) {
      for (size_t o = 0; o < strides.size(); o++)
        if (out.strides[o].back() != strides[o][d] * size) {
          mergeable = false;
          break;
        }
    }
    if (mergeable) {
      out.shape.back() *= size;
      for (size_t o = 0; o < strides.size(); o++) out.strides[o].back() = strides[o][d];
    } else {
      out.shape.push_back(size);
      for (size_t o = 0; o < strides.size(); o++) out.strides[o].push_back(strides[o][d]);
    }
  }
  if (out.shape.empty()) {
    out.shape.push_back(1);
    for (auto& s : out.strides) s.push_back(0);
  }
  return out;
}

// Calls fn(offsets, inner_strides, count, out_index) for runs of the last axis, covering every element once
// in row-major order; out_index is the row-major position of the run's first element (the contiguous output).
// Large walks are split into chunks run on the pool; each element's computation is independent of the split.
template <int NOPS, typename F>
void walk(const Collapsed& c, const long (&base)[NOPS], F fn) {
  const int nd = static_cast<int>(c.shape.size());
  const long n = c.shape[nd - 1];
  long rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= c.shape[d];
  const long total = rows * n;
  long inner[NOPS];
  for (int o = 0; o < NOPS; o++) inner[o] = c.strides[o][nd - 1];
  // Offsets of element (row, j): decompose the row index over the outer axes.
  auto offsets_at = [&](long row, long j, long (&off)[NOPS]) {
    for (int o = 0; o < NOPS; o++) off[o] = base[o] + j * inner[o];
    for (int d = nd - 2; d >= 0; d--) {
      long i = row % c.shape[d];
      row /= c.shape[d];
      for (int o = 0; o < NOPS; o++) off[o] += i * c.strides[o][d];
    }
  };
  const int chunks = chunks_for(static_cast<double>(total), 1 << 15);
  auto run = [&](long e0, long e1) {
    long row = e0 / n;
    long j = e0 % n;
    long off[NOPS];
    while (e0 < e1) {
      offsets_at(row, j, off);
      long count = std::min(n - j, e1 - e0);
      fn(off, inner, count, e0);
      e0 += count;
      row++;
      j = 0;
    }
  };
  if (chunks <= 1) {
    run(0, total);
    return;
  }
  const long per = (total + chunks - 1) / chunks;
  parallel_for(chunks, [&](int t) {
    long e0 = t * per;
    long e1 = std::min(total, e0 + per);
    if (e0 < e1) run(e0, e1);
  });
}

}  // namespace attn
