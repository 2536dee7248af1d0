// Types the generated kernel argument structs (native/generated/kernel_args.h) are made of, and prod.
#pragma once

#include <vector>

namespace attn {

// The dtype of an array whose table dtype is 'any' (Any only names that rule in the glue).
enum class Dtype { F32, I32, U8, Any };

// Batch, head and row strides of one operand of a [batch, heads, t, features] kernel: row t of head h of batch
// element b starts at b·batch + h·head + t·row; its features are contiguous.
struct Strides3 {
  long batch, head, row;
};

// The number of elements of a shape (prod in the table's rules).
inline long prod(const std::vector<long>& shape) {
  long p = 1;
  for (long d : shape) p *= d;
  return p;
}

}  // namespace attn
