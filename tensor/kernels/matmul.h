// Kernel tables for matrix products (tensor/ops_matmul.cpp is the front-end), and the strided
// matrix layouts GEMM accepts.
//
// Every matmul kernel sees three 3-D tensors: a [B, m, k], b [B, k, n] and a contiguous out
// [B, m, n]. A 2-D operand of the op arrives expanded over the batch (batch stride 0). For the GEMM
// kernels the front-end guarantees that each operand's last two dims form a GemmOperand-usable
// matrix; the reference kernels take any strides.
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace bcl {

// How a strided [rows, cols] matrix is handed to a row-major GEMM. Element (i, j) sits at
// i * row_stride + j * col_stride. It is usable as is when
//   - col_stride == 1 and row_stride >= cols: row-major with leading dimension ld = row_stride;
//   - row_stride == 1 and col_stride >= rows: the transpose of a row-major [cols, rows] matrix with
//     ld = col_stride (what transpose() of a contiguous matrix gives), passed as a transpose.
// The stride of a size-1 dim never matters, so it does not disqualify a matrix.
struct GemmOperand {
  bool usable = false;
  bool transposed = false;
  int64_t ld = 0;
};
GemmOperand gemm_operand(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride);

// The last two dims of a tensor as a GemmOperand.
inline GemmOperand gemm_operand(const Tensor& t) {
  const int64_t d = t.dim();
  return gemm_operand(t.shape()[d - 2], t.shape()[d - 1], t.strides()[d - 2], t.strides()[d - 1]);
}

// out[i] = a[i] b[i] for each batch index i.
using MatmulKernel = void (*)(const Tensor& a, const Tensor& b, const Tensor& out);
DispatchTable<MatmulKernel>& matmul_kernels();
DispatchTable<MatmulKernel>& matmul_reference_kernels();

namespace cpu {
// Row-major C = alpha op(A) op(B) + beta C through CBLAS, with op(X) = X^T when trans_x. op(A) is
// [m, k], op(B) is [k, n]; lda, ldb, ldc are the row strides of A, B, C as stored.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);
}  // namespace cpu

}  // namespace bcl
