// CPU matrix products: CBLAS GEMM, and the triple loop that checks it.
#include "tensor/kernels/matmul.h"

#include <cblas.h>

namespace bcl {

namespace cpu {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace cpu

namespace {

// One GEMM per batch index. The batch loop is serial: OpenBLAS already spreads each product over
// its threads, and concurrent calls into it would only queue on its lock.
template <class T>
void matmul_cpu(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  const GemmOperand ga = gemm_operand(a), gb = gemm_operand(b);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  for (int64_t i = 0; i < batch; ++i) {
    cpu::gemm(ga.transposed, gb.transposed, m, n, k, T(1), pa + i * a.strides()[0], ga.ld,
              pb + i * b.strides()[0], gb.ld, T(0), pc + i * m * n, n);
  }
}

// out[i, r, c] = sum_j a[i, r, j] b[i, j, c] through the strides, accumulated in double so the
// oracle's own rounding is negligible next to GEMM's.
template <class T>
void matmul_reference_cpu(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  const Shape& sa = a.strides();
  const Shape& sb = b.strides();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < k; ++j) {
          acc += static_cast<double>(pa[i * sa[0] + r * sa[1] + j * sa[2]]) *
                 static_cast<double>(pb[i * sb[0] + j * sb[1] + c * sb[2]]);
        }
        pc[(i * m + r) * n + c] = static_cast<T>(acc);
      }
    }
  }
}

const KernelRegistrar matmul_f32(matmul_kernels(), Device::CPU, DType::Float32, &matmul_cpu<float>);
const KernelRegistrar matmul_f64(matmul_kernels(), Device::CPU, DType::Float64,
                                 &matmul_cpu<double>);
const KernelRegistrar matmul_ref_f32(matmul_reference_kernels(), Device::CPU, DType::Float32,
                                     &matmul_reference_cpu<float>);
const KernelRegistrar matmul_ref_f64(matmul_reference_kernels(), Device::CPU, DType::Float64,
                                     &matmul_reference_cpu<double>);

}  // namespace
}  // namespace bcl
