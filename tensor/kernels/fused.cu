// CUDA kernels of the fused ops, registered beside the CPU ones of tensor/kernels/fused.cpp: the
// cross-entropy forward (one block per row: the max and the sum of exp by shared-memory trees)
// and backward (one thread per element), L2 normalisation along the last dim and its backward
// (one block per row), and the SGD step (one thread per element, grid-stride).
//
// Sums accumulate in double as on the CPU, but per thread and then by a tree, an order that
// differs from the CPU's: results differ from the CPU's by rounding only. Products that the CPU
// rounds on their own (the composition's separate kernels) are spelled __fmul_rn / __dmul_rn here,
// which nvcc never contracts into an FMA. The SGD step writes out the rounding of its CPU twin
// built with FMA contraction (-O3 -march=native on x86-64 with FMA, or aarch64): fma for
// d + wd * p, d + mu * buf and p - lr * d, and a separately rounded product and sum for
// mu * buf + d; on such a host the two agree bit for bit.
#include <cmath>

#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/fused.h"

namespace bcl {
namespace {

using cuda::add_rn;
using cuda::block_sum;
using cuda::exp_t;
using cuda::fma_t;
using cuda::grid_for;
using cuda::kRowThreads;
using cuda::mul_rn;
using cuda::row_threads;
using cuda::sqrt_t;

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
__global__ void sgd_step_kernel(T* p, const T* g, T* buf, int64_t n, T wd, T mu, T neg_lr,
                                bool has_wd, bool nesterov, bool first_step) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    T d = g[i];
    if (has_wd) d = fma_t(wd, p[i], d);
    if (buf != nullptr) {
      const T b = first_step ? d : add_rn(mul_rn(buf[i], mu), d);
      buf[i] = b;
      d = nesterov ? fma_t(mu, b, d) : b;
    }
    p[i] = fma_t(neg_lr, d, p[i]);
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

template <class T>
void sgd_step_cuda(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
                   const raw::SgdStepParams& s) {
  const int64_t n = param.numel();
  if (n == 0) return;
  sgd_step_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      param.data<T>(), grad.data<T>(), s.momentum != 0 ? momentum_buf.data<T>() : nullptr, n,
      static_cast<T>(s.weight_decay), static_cast<T>(s.momentum), static_cast<T>(-s.lr),
      s.weight_decay != 0, s.nesterov, s.first_step);
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
const KernelRegistrar l2_fwd_f32(l2_normalize_kernels(), Device::CUDA, DType::Float32,
                                 &l2_normalize_cuda<float>);
const KernelRegistrar l2_fwd_f64(l2_normalize_kernels(), Device::CUDA, DType::Float64,
                                 &l2_normalize_cuda<double>);
const KernelRegistrar l2_bwd_f32(l2_normalize_backward_kernels(), Device::CUDA, DType::Float32,
                                 &l2_normalize_backward_cuda<float>);
const KernelRegistrar l2_bwd_f64(l2_normalize_backward_kernels(), Device::CUDA, DType::Float64,
                                 &l2_normalize_backward_cuda<double>);
const KernelRegistrar sgd_f32(sgd_step_kernels(), Device::CUDA, DType::Float32,
                              &sgd_step_cuda<float>);
const KernelRegistrar sgd_f64(sgd_step_kernels(), Device::CUDA, DType::Float64,
                              &sgd_step_cuda<double>);

}  // namespace
}  // namespace bcl
