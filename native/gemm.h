// Single-precision matrix products: C = alpha · op(A) · op(B) (+ C), row-major, with op a transpose when asked.
// Operands are packed into panels so that a register-blocked micro-kernel (6×16, AVX2+FMA when the CPU has it)
// streams through contiguous memory.
#pragma once

namespace attn {

struct Matrix {
  const float* data;
  long ld;     // elements between rows of the stored matrix
  bool trans;  // the stored matrix is the transpose of the operand
};

// C[m×n] (row stride ldc) = alpha · op(A)[m×k] · op(B)[k×n], added to C when accumulate. Runs on the calling
// thread only; used inside kernels that are already parallel (attention tiles) and for small batched products.
void gemm_serial(int m, int n, int k, float alpha, Matrix a, Matrix b, float* c, long ldc, bool accumulate);

// The Backend's matmul: `batch` products C[i] = op(A[i]) · op(B[i]) with A[i] at a + i·strideA (0 reuses one
// matrix), C contiguous [batch, m, n]. Threaded over batches or over blocks of C, never over k, so every
// element is summed in the same order whatever the thread count.
void matmul_batched(const float* a, const float* b, float* c, int batch, int m, int n, int k, bool trans_a,
                    bool trans_b, long stride_a, long stride_b);

}  // namespace attn
