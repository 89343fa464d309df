// CUDA kernels of cross_entropy, registered beside the CPU ones of
// tensor/kernels/cross_entropy.cpp: the forward (one block per row: the max and the sum of exp by
// shared-memory trees) and the backward (one thread per element).
//
// Sums accumulate in double as on the CPU, but per thread and then by a tree, an order that
// differs from the CPU's: results differ from the CPU's by rounding only. Products that the CPU
// rounds on their own (the composition's separate kernels) are spelled __fmul_rn / __dmul_rn here,
// which nvcc never contracts into an FMA.
#include <cmath>

#include "tensor/kernels/cross_entropy.h"
#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

using cuda::block_sum;
using cuda::exp_t;
using cuda::grid_for;
using cuda::kRowThreads;
using cuda::mul_rn;
using cuda::row_threads;

// z = logits + offset; without an offset, the logits themselves (not + 0, which turns -0 into 0).
template <class T>
__device__ T logit(const T* row, const T* offset, int64_t j) {
  return offset != nullptr ? row[j] + offset[j] : row[j];
}

// Rows are handed out by block (uniform across a block, so the __syncthreads inside are safe).
template <class T>
__global__ void cross_entropy_forward_kernel(const T* logits, const T* offset,
                                             const int64_t* labels, T* nll, T* row_max, T* log_sum,
                                             int64_t n, int64_t c) {
  __shared__ T max_part[kRowThreads];
  __shared__ double sum_part[kRowThreads];
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    const T* row = logits + i * c;
    T m = -static_cast<T>(INFINITY);
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      m = cuda::MaxKeepFirst{}(m, logit(row, offset, j));
    m = cuda::block_reduce(m, max_part, cuda::MaxKeepFirst{});
    double s = 0;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      s += exp(static_cast<double>(logit(row, offset, j) - m));
    s = block_sum(s, sum_part);
    if (threadIdx.x == 0) {
      const T ls = static_cast<T>(log(s));
      const int64_t y = labels[i];  // checked in [0, c) on the host
      nll[i] = y >= 0 && y < c ? -((logit(row, offset, y) - m) - ls) : static_cast<T>(NAN);
      row_max[i] = m;
      log_sum[i] = ls;
    }
  }
}

// grad_logits = (exp((z - max) - log_sum) - [j == y]) * (g * scale), as the CPU rounds it.
template <class T>
__global__ void cross_entropy_backward_kernel(const T* grad, int64_t g_step, T scale,
                                              const T* logits, const T* offset,
                                              const int64_t* labels, const T* row_max,
                                              const T* log_sum, T* out, int64_t n, int64_t c) {
  const int64_t total = n * c;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t i = idx / c, j = idx - i * c;
    const T s = mul_rn(grad[i * g_step], scale);
    T p = exp_t((logit(logits + i * c, offset, j) - row_max[i]) - log_sum[i]);
    if (j == labels[i]) p = p - T(1);
    out[idx] = mul_rn(p, s);
  }
}

template <class T>
void cross_entropy_forward_cuda(const Tensor& logits, const Tensor& labels, const Tensor& offset,
                                const Tensor& nll, const Tensor& row_max, const Tensor& log_sum) {
  const int64_t n = logits.size(0), c = logits.size(1);
  if (n == 0) return;
  cross_entropy_forward_kernel<T><<<grid_for(n), row_threads(c), 0, cuda::stream()>>>(
      logits.data<T>(), offset.defined() ? offset.data<T>() : nullptr, labels.data<int64_t>(),
      nll.data<T>(), row_max.data<T>(), log_sum.data<T>(), n, c);
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
void cross_entropy_backward_cuda(const Tensor& grad, double scale, const Tensor& logits,
                                 const Tensor& labels, const Tensor& offset, const Tensor& row_max,
                                 const Tensor& log_sum, const Tensor& grad_logits) {
  const int64_t n = logits.size(0), c = logits.size(1);
  if (n * c == 0) return;
  cross_entropy_backward_kernel<T>
      <<<cuda::blocks_for(n * c), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
          grad.data<T>(), grad.numel() == 1 ? 0 : 1, static_cast<T>(scale), logits.data<T>(),
          offset.defined() ? offset.data<T>() : nullptr, labels.data<int64_t>(), row_max.data<T>(),
          log_sum.data<T>(), grad_logits.data<T>(), n, c);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar ce_fwd_f32(cross_entropy_forward_kernels(), Device::CUDA, DType::Float32,
                                 &cross_entropy_forward_cuda<float>);
const KernelRegistrar ce_fwd_f64(cross_entropy_forward_kernels(), Device::CUDA, DType::Float64,
                                 &cross_entropy_forward_cuda<double>);
const KernelRegistrar ce_bwd_f32(cross_entropy_backward_kernels(), Device::CUDA, DType::Float32,
                                 &cross_entropy_backward_cuda<float>);
const KernelRegistrar ce_bwd_f64(cross_entropy_backward_kernels(), Device::CUDA, DType::Float64,
                                 &cross_entropy_backward_cuda<double>);

}  // namespace
}  // namespace bcl
