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

// A right operand op(B) [k×n] packed once into the panels the micro-kernel reads, for many products with the
// same B: a recurrent weight multiplies a new state at every time step, and packing it costs a short product
// about as much as a quarter of its arithmetic. packed_b_floats is the size of the packed copy (floats);
// pack_b_whole writes it from B stored [k, n] (or [n, k] when trans_b).
long packed_b_floats(int k, int n);
void pack_b_whole(const float* b, int k, int n, bool trans_b, float* packed);

// C[m×n] = op(A) · op(B), with B given as stored (b, trans_b) and as pack_b_whole packed it: the same bits as
// matmul_batched with batch 1, which it runs (reading b) for the shapes that path does not pack B for.
void matmul_prepacked(const float* a, const float* b, const float* packed, float* c, int m, int n, int k,
                      bool trans_a, bool trans_b);

// Which of b and packed matmul_prepacked reads for these shapes (true: packed only; false: b only), so that a
// caller that must copy its operands somewhere first (the WebAssembly forwarder) copies one of them.
bool prepacked_reads_packed(int m, int n, int k, bool trans_a, bool trans_b);

}  // namespace attn
