// What the native kernels share across files. Each kernel's entry point, `void <kernel>(const <Kernel>Args&)`,
// is declared in generated/kernel_args.h, which scripts/gen-native-glue.mjs writes from the kernel table
// (src/backend/kernel-table.ts, where each kernel's semantics and formula are documented); the generated glue has
// checked every argument against the table before an entry point runs.
#pragma once

#include <cstdint>
#include <vector>

#include "generated/kernel_args.h"

namespace attn {

// f(T()) for T the element type of dtype t.
template <typename F>
void with_element_type(Dtype t, const F& f) {
  if (t == Dtype::F32) return f(float());
  if (t == Dtype::I32) return f(int32_t());
  f(uint8_t());
}

// The linear epilogue y ← act(y + bias) on rows of y that lie ldy apart: bias_act_rows for one micro-tile of a
// product, on the calling thread; linear_bias_act_strided for a whole C (threaded).
void bias_act_rows(float* y, long ldy, const float* bias, long rows, long n, bool relu);
void linear_bias_act_strided(float* y, long ldy, const float* bias, long rows, long n, bool relu);

// The fused attention's shape (see the attention kernel in the table), as attention.cc and attention_short.cc
// read it; attention_shape takes it from an attention or attentionGrad call. dq, dk, dv share q, k, v's strides
// and dOut shares out's; lse and weights are always contiguous.
struct AttentionShape {
  long batch, heads, tq, tk, d, dv;
  float scale;
  bool causal;
  Strides3 q, k, v, o;
};
template <typename Args>
AttentionShape attention_shape(const Args& a) {
  return {a.batch, a.heads, a.tq, a.tk, a.d, a.dv, static_cast<float>(a.scale), a.causal, a.layout_q,
          a.layout_k, a.layout_v, a.layout_out};
}

}  // namespace attn
