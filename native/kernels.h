// What the native kernels share across files. Each kernel's entry point, `void <kernel>(const <Kernel>Args&)`,
// is declared in generated/kernel_args.h, which scripts/gen-native-glue.mjs writes from the kernel table
// (src/backend/kernel-table.ts, where each kernel's semantics and formula are documented); the generated glue has
// checked every argument against the table before an entry point runs.
#pragma once

#include <cstdint>
#include <vector>

#include "generated/kernel_args.h"

namespace attn {

// The number of elements of a shape.
inline long elements(const std::vector<long>& shape) {
  long p = 1;
  for (long d : shape) p *= d;
  return p;
}

// The linear epilogue y ← act(y + bias) on rows of y that lie ldy apart: bias_act_rows for one micro-tile of a
// product, on the calling thread; linear_bias_act_strided for a whole C (threaded).
void bias_act_rows(float* y, long ldy, const float* bias, long rows, long n, bool relu);
void linear_bias_act_strided(float* y, long ldy, const float* bias, long rows, long n, bool relu);

// The fused attention's shape (see the attention kernel in the table), as attention.cc and attention_short.cc read it.
// Row t of head h of batch element b of an operand starts at b·batch + h·head + t·row; its features are
// contiguous. dq, dk, dv share q, k, v's layout and dOut shares out's; lse and weights are always contiguous.
struct AttentionStrides {
  long batch, head, row;
};
struct AttentionShape {
  long batch, heads, tq, tk, d, dv;
  float scale;
  bool causal;
  AttentionStrides q, k, v, o;
};
// The contiguous [batch, heads, t, features] layout.
inline AttentionStrides contiguous_strides(long heads, long t, long features) {
  return {heads * t * features, t * features, features};
}

// The shape of one additive (Bahdanau) attention step (see additiveAttention in the table).
struct AdditiveShape {
  long batch, length, units, width;
  float v_bias;
};

// One Adam/AdamW update of a parameter p with gradient g and moments m, v (v_max for AMSGrad, else null);
// see the adam kernel in the table for the constants, which the caller derives from the step count.
struct AdamStep {
  double beta1, beta2, step_size, bias_correction2_sqrt, eps, l2, decay, sign;
};

}  // namespace attn
