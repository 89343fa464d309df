// CUDA matrix products through cuBLAS, registered beside the CPU GEMM of tensor/kernels/matmul.cpp.
//
// The front-end (tensor/ops_matmul.cpp) hands over a [B, m, k], b [B, k, n] and a contiguous
// out [B, m, n] (overwritten, never accumulated), each operand's last two dims usable by GEMM as
// described by gemm_operand (row-major, or the transpose of a row-major matrix), its batch stride
// anything, 0 included for a 2-D operand broadcast over the batch. The whole batch is one
// strided-batched GEMM.
//
// cuBLAS is column-major, and a row-major [r, c] matrix with row stride ld is, read column-major,
// its transpose [c, r] with leading dimension ld. So row-major C = op(A) op(B) is column-major
//   C^T = op(B)^T op(A)^T,
// one cuBLAS GEMM with the operands swapped (B first), m and n swapped, each operand keeping its
// own transpose flag and ld, and ldc = n.
//
// fp32 stays plain fp32: the shared handle is in CUBLAS_DEFAULT_MATH, which does not use TF32.
#include <climits>

#include "tensor/kernels/cuda_context.h"
#include "tensor/kernels/matmul.h"

namespace bcl {
namespace {

cublasStatus_t gemm_strided_batched(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                    const float* alpha, const float* a, int lda, long long stride_a,
                                    const float* b, int ldb, long long stride_b, const float* beta,
                                    float* c, int ldc, long long stride_c, int batch) {
  return cublasSgemmStridedBatched(cuda::cublas(), ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb,
                                   stride_b, beta, c, ldc, stride_c, batch);
}

cublasStatus_t gemm_strided_batched(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                    const double* alpha, const double* a, int lda,
                                    long long stride_a, const double* b, int ldb,
                                    long long stride_b, const double* beta, double* c, int ldc,
                                    long long stride_c, int batch) {
  return cublasDgemmStridedBatched(cuda::cublas(), ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb,
                                   stride_b, beta, c, ldc, stride_c, batch);
}

// cuBLAS's 32-bit interface takes sizes and leading dimensions as int.
int as_int(int64_t v, const char* what, const Tensor& a, const Tensor& b) {
  BCL_CHECK(v <= INT_MAX, "matmul: ", what, " = ", v, " exceeds cuBLAS's int range (operands ",
            shape_str(a.shape()), " and ", shape_str(b.shape()), ")");
  return static_cast<int>(v);
}

template <class T>
void matmul_cuda(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  if (out.numel() == 0) return;
  const GemmOperand ga = gemm_operand(a), gb = gemm_operand(b);
  BCL_CHECK(ga.usable && gb.usable, "matmul: operands ", shape_str(a.shape()), " and ",
            shape_str(b.shape()), " reached the CUDA kernel with strides GEMM cannot read");
  const T alpha = 1, beta = 0;
  BCL_CUBLAS_CHECK(gemm_strided_batched(
      gb.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, ga.transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
      as_int(n, "n", a, b), as_int(m, "m", a, b), as_int(k, "k", a, b), &alpha, b.data<T>(),
      as_int(gb.ld, "ld of b", a, b), b.strides()[0], a.data<T>(), as_int(ga.ld, "ld of a", a, b),
      a.strides()[0], &beta, out.data<T>(), as_int(n, "n", a, b), m * n,
      as_int(batch, "batch", a, b)));
}

const KernelRegistrar matmul_f32(matmul_kernels(), Device::CUDA, DType::Float32,
                                 &matmul_cuda<float>);
const KernelRegistrar matmul_f64(matmul_kernels(), Device::CUDA, DType::Float64,
                                 &matmul_cuda<double>);

}  // namespace
}  // namespace bcl
