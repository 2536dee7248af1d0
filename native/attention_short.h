// The fused attention path for short key ranges (attention_short.cc), which attention.cc runs instead of its
// tiled one when attention_short_applies: same arguments and results as attention/attention_grad.
#pragma once

#include "kernels.h"

namespace attn {

// True for tk ≤ 256 keys and d, dv multiples of 16 on a CPU with AVX2+FMA.
bool attention_short_applies(const AttentionShape& s);
void attention_short_forward(const AttentionShape& s, const float* q, const float* k, const float* v,
                             const uint8_t* key_padding, float* out, float* lse, float* weights);
void attention_short_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                              const uint8_t* key_padding, const float* out, const float* lse, const float* d_out,
                              float* dq, float* dk, float* dv, const float* weights);

}  // namespace attn
