// Entry points of the native kernels, one per Backend method (see src/backend/kernels.ts for the semantics,
// which src/backend/js/ defines). Arguments are validated by the binding before any of these runs.
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

enum class Unary { Neg, Exp, Log, Sqrt, Abs, Tanh, Sigmoid, Relu, Gelu, Sign, Square, Reciprocal };
enum class Binary { Add, Sub, Mul, Div, Pow, Maximum, Minimum };
enum class Compare { Eq, Ne, Lt, Le, Gt, Ge };
enum class Reduce { Sum, Max, Min, LogSumExp };

void unary(Unary op, const float* x, float* out, long n);
void unary_grad(Unary op, const float* x, const float* y, const float* dy, float* dx, long n);
void clamp(const float* x, float lo, float hi, float* out, long n);
void binary(Binary op, const float* a, const std::vector<long>& as, const float* b, const std::vector<long>& bs,
            float* out, const std::vector<long>& shape);
template <typename T>
void compare(Compare op, const T* a, const std::vector<long>& as, const T* b, const std::vector<long>& bs,
             uint8_t* out, const std::vector<long>& shape);
template <typename T>
void where(const uint8_t* cond, const std::vector<long>& cs, const T* a, const std::vector<long>& as, const T* b,
           const std::vector<long>& bs, T* out, const std::vector<long>& shape);

template <typename T>
void copy(const T* src, long src_offset, const std::vector<long>& ss, T* dst, long dst_offset,
          const std::vector<long>& ds, const std::vector<long>& shape);
void copy_add(const float* src, long src_offset, const std::vector<long>& ss, float* dst, long dst_offset,
              const std::vector<long>& ds, const std::vector<long>& shape);

void reduce(Reduce op, const float* x, long outer, long n, long inner, float* out);
template <typename T>
void arg_reduce(bool is_max, const T* x, long outer, long n, long inner, int32_t* out);

void softmax(const float* x, long outer, long n, long inner, bool log, float* out);
void softmax_grad(const float* y, const float* dy, long outer, long n, long inner, bool log, float* dx);
void cross_entropy(const float* logits, const int32_t* targets, long rows, long classes, int32_t ignore_index,
                   double label_smoothing, float* loss, float* log_sum_exp);
void cross_entropy_grad(const float* logits, const float* log_sum_exp, const int32_t* targets, long rows,
                        long classes, int32_t ignore_index, double label_smoothing, const float* row_grad,
                        float* d_logits);

// y ← act(y + bias) in place over [rows, n] (bias may be null; act is ReLU or nothing).
void linear_bias_act(float* y, const float* bias, long rows, long n, bool relu);
// The same on rows of y that lie ldy apart, on the calling thread: bias_act_rows for one micro-tile of a product,
// linear_bias_act_strided for a whole C (threaded).
void bias_act_rows(float* y, long ldy, const float* bias, long rows, long n, bool relu);
void linear_bias_act_strided(float* y, long ldy, const float* bias, long rows, long n, bool relu);
// dPre = g ⊙ act'(y) (relu: y > 0; otherwise g itself) into dpre (may be null), and bias_grad = Σ_rows dPre (may
// be null), over [rows, n].
void linear_act_grad(const float* y, const float* g, long rows, long n, bool relu, float* dpre, float* bias_grad);

void layer_norm(const float* x, const float* gamma, const float* beta, long rows, long n, double eps, float* out,
                float* mean, float* rstd);
void layer_norm_grad(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                     long rows, long n, float* dx, float* d_gamma, float* d_beta);

template <typename T>
void index_select(const T* src, long outer, long n, long inner, const int32_t* index, long m, T* out);
void index_add(float* dst, long outer, long n, long inner, const int32_t* index, long m, const float* src);
template <typename T>
void gather(const T* src, long outer, long n, long inner, const int32_t* index, long m, T* out);
void scatter_add(float* dst, long outer, long n, long inner, const int32_t* index, long m, const float* src);

// Fused scaled-dot-product attention; see src/backend/kernels.ts (AttentionArgs) for the layout.
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
void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v,
                       const uint8_t* key_padding, float* out, float* lse, float* weights);
// weights: the forward's [batch, heads, tq, tk] attention weights, read instead of recomputing P; or null.
void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                        const uint8_t* key_padding, const float* out, const float* lse, const float* d_out,
                        float* dq, float* dk, float* dv, const float* weights);

// Fused recurrent steps; gate pre-activations are gate-major [G, batch, hidden] (see src/backend/kernels.ts).
// GRU with rows = true: xg, hg, gates, dxg, dhg are [batch, 3·hidden] rows (r | z | n) instead.
void gru_cell(const float* xg, const float* hg, const float* h, const float* bias_hn, long batch, long hidden,
              bool rows, float* h_new, float* gates);
void gru_cell_grad(const float* hg, const float* h, const float* bias_hn, const float* gates, const float* dh_new,
                   long batch, long hidden, bool rows, float* dxg, float* dhg, float* dh);
void lstm_cell(const float* xg, const float* hg, const float* c, long batch, long hidden, float* h_new,
               float* c_new, float* gates);
void lstm_cell_grad(const float* c, const float* c_new, const float* gates, const float* dh_new,
                    const float* dc_new, long batch, long hidden, float* d_pre, float* dc);

// Additive (Bahdanau) attention of one decoder step; see src/backend/kernels.ts (AdditiveAttentionArgs).
struct AdditiveShape {
  long batch, length, units, width;
  float v_bias;
};
void additive_attention(const AdditiveShape& a, const float* keys, const float* query, const float* v,
                        const float* memory, const uint8_t* mask, float* weights, float* context);
void additive_attention_grad(const AdditiveShape& a, const float* keys, const float* query, const float* v,
                             const float* memory, const uint8_t* mask, const float* weights,
                             const float* d_context, const float* d_weights, float* d_scores, float* d_query,
                             float* d_keys, float* d_v, float* d_memory);

// One Adam/AdamW update of a parameter p with gradient g and moments m, v (v_max for AMSGrad, else null);
// see src/backend/kernels.ts (AdamArgs) for the constants, which the caller derives from the step count.
struct AdamStep {
  double beta1, beta2, step_size, bias_correction2_sqrt, eps, l2, decay, sign;
};
void adam(float* p, const float* g, float* m, float* v, float* v_max, long n, const AdamStep& s);

}  // namespace attn
