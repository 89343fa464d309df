// CUDA kernels of l2_normalize along the last dim and its backward (one block per row), registered
// beside the CPU ones of tensor/kernels/l2_normalize.cpp. Sums accumulate in double per thread,
// then by a tree: the results differ from the CPU's by rounding only.
#include <cmath>

#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/l2_normalize.h"

namespace bcl {
namespace {

using cuda::block_sum;
using cuda::grid_for;
using cuda::kRowThreads;
using cuda::mul_rn;
using cuda::row_threads;
using cuda::sqrt_t;

template <class T>
__global__ void l2_normalize_kernel(const T* x, T* out, T* denom, int64_t rows, int64_t n, T eps) {
  __shared__ double sum_part[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    double acc = 0;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc += mul_rn(xr[k], xr[k]);
    const T norm = sqrt_t(static_cast<T>(block_sum(acc, sum_part)));
    // raw::maximum(norm, eps): a NaN norm wins.
    const T d = norm != norm || norm > eps ? norm : eps;
    if (threadIdx.x == 0) denom[r] = d;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) out[r * n + k] = xr[k] / d;
  }
}

// dx = (g - (y * s) * [denom > eps]) / denom with s = sum(g * y) over the row.
template <class T>
__global__ void l2_normalize_backward_kernel(const T* g, const T* y, const T* denom, T* dx,
                                             int64_t rows, int64_t n, T eps) {
  __shared__ double sum_part[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* gr = g + r * n;
    const T* yr = y + r * n;
    double acc = 0;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc += mul_rn(gr[k], yr[k]);
    const T s = static_cast<T>(block_sum(acc, sum_part));
    const T d = denom[r];
    const T active = T(d > eps);  // multiplied, not branched on: NaN * 0 stays NaN as on the CPU
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x)
      dx[r * n + k] = (gr[k] - mul_rn(mul_rn(yr[k], s), active)) / d;
  }
}

template <class T>
void l2_normalize_cuda(const Tensor& x, int64_t rows, int64_t n, double eps, const Tensor& out,
                       const Tensor& denom) {
  if (rows == 0) return;
  l2_normalize_kernel<T><<<grid_for(rows), row_threads(n), 0, cuda::stream()>>>(
      x.data<T>(), out.data<T>(), denom.data<T>(), rows, n, static_cast<T>(eps));
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
void l2_normalize_backward_cuda(const Tensor& grad_out, const Tensor& y, const Tensor& denom,
                                int64_t rows, int64_t n, double eps, const Tensor& grad_in) {
  if (rows * n == 0) return;
  l2_normalize_backward_kernel<T><<<grid_for(rows), row_threads(n), 0, cuda::stream()>>>(
      grad_out.data<T>(), y.data<T>(), denom.data<T>(), grad_in.data<T>(), rows, n,
      static_cast<T>(eps));
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar l2_fwd_f32(l2_normalize_kernels(), Device::CUDA, DType::Float32,
                                 &l2_normalize_cuda<float>);
const KernelRegistrar l2_fwd_f64(l2_normalize_kernels(), Device::CUDA, DType::Float64,
                                 &l2_normalize_cuda<double>);
const KernelRegistrar l2_bwd_f32(l2_normalize_backward_kernels(), Device::CUDA, DType::Float32,
                                 &l2_normalize_backward_cuda<float>);
const KernelRegistrar l2_bwd_f64(l2_normalize_backward_kernels(), Device::CUDA, DType::Float64,
                                 &l2_normalize_backward_cuda<double>);

}  // namespace
}  // namespace bcl
