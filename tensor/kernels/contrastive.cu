// CUDA kernels of the fused contrastive-loss ops, registered beside the CPU ones of
// tensor/kernels/contrastive.cpp: the class counts (one thread per class), the forward (one block
// per anchor row: the max, the weighted sum of exp and the positives' sum by shared-memory trees)
// and the backward (one thread per element of the logits).
//
// Column labels and class weights are recomputed from the N image labels in every thread (an
// index and a compare), so no [M, K] mask and no per-column table is ever stored. Labels are not
// range-checked here (that would need a read-back, see raw::contrastive_forward): a label outside
// [0, C) makes the weights that use it NaN and is never used as an index.
//
// Sums accumulate in double as on the CPU, but per thread and then by a tree, an order that
// differs from the CPU's: results differ from the CPU's by rounding only. Products that the CPU
// rounds to T on their own are spelled __fmul_rn / __dmul_rn, which nvcc never contracts into an
// FMA.
#include <cmath>

#include "tensor/kernels/contrastive.h"
#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

using cuda::block_sum;
using cuda::exp_t;
using cuda::grid_for;
using cuda::kRowThreads;
using cuda::log_t;
using cuda::mul_rn;
using cuda::row_threads;

// The label of column k: an anchor (k < m) repeats its image's label, a prototype is its class.
__device__ int64_t column_label(const int64_t* labels, int64_t n, int64_t m, int64_t k) {
  return k < m ? labels[k % n] : k - m;
}

// BCL's class-averaging weight 1 / (n_y - [positive]) of a column of class y.
template <class T>
__device__ T class_weight(const T* class_count, int64_t c, int64_t y, bool positive) {
  if (y < 0 || y >= c) return static_cast<T>(NAN);
  return T(1) / (class_count[y] - T(positive));
}

template <class T>
__global__ void class_count_kernel(const int64_t* labels, int64_t n, int64_t views, T* out,
                                   int64_t c) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < c; j += step) {
    int64_t images = 0;
    for (int64_t i = 0; i < n; ++i) images += labels[i] == j;
    out[j] = static_cast<T>(views * images + 1);
  }
}

// Rows are handed out by block (uniform across a block, so the __syncthreads inside are safe).
template <class T>
__global__ void contrastive_forward_kernel(const T* logits, const int64_t* labels,
                                           const T* class_count, int64_t c, T* loss, T* row_max,
                                           T* log_denom, T* positives, int64_t n, int64_t m,
                                           int64_t k) {
  __shared__ T max_part[kRowThreads];
  __shared__ double sum_part[kRowThreads];
  for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
    const T* row = logits + i * k;
    const int64_t yi = labels[i % n];
    T mx = -static_cast<T>(INFINITY);
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
      if (j != i) mx = cuda::MaxNan{}(mx, row[j]);
    }
    mx = cuda::block_reduce(mx, max_part, cuda::MaxNan{});
    double denom = 0, pos_sum = 0, pos_count = 0;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
      if (j == i) continue;
      const T shifted = row[j] - mx;
      const int64_t yj = column_label(labels, n, m, j);
      const bool positive = yj == yi;
      T e = exp_t(shifted);
      if (class_count != nullptr) e = mul_rn(e, class_weight(class_count, c, yj, positive));
      denom += e;
      if (positive) {
        pos_sum += shifted;
        pos_count += 1;
      }
    }
    denom = block_sum(denom, sum_part);
    pos_sum = block_sum(pos_sum, sum_part);
    pos_count = block_sum(pos_count, sum_part);  // a whole number: exact in double
    if (threadIdx.x == 0) {
      const T ld = log_t(static_cast<T>(denom));
      const T count = static_cast<T>(pos_count);
      const T mean_positive = static_cast<T>(pos_sum) / (count > 0 ? count : T(1));
      loss[i] = count > 0 ? ld - mean_positive : T(0);
      row_max[i] = mx;
      log_denom[i] = ld;
      positives[i] = count;
    }
  }
}

// grad_ik = grad_i (w_ik exp((L_ik - m_i) - log_denom_i) - [k in P(i)] / |P(i)|), as the CPU
// rounds it; 0 on the diagonal and on rows without a positive.
template <class T>
__global__ void contrastive_backward_kernel(const T* grad, const T* logits, const int64_t* labels,
                                            const T* class_count, int64_t c, const T* row_max,
                                            const T* log_denom, const T* positives, T* out,
                                            int64_t n, int64_t m, int64_t k) {
  const int64_t total = m * k;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t i = idx / k, j = idx - i * k;
    const T count = positives[i];
    T value = T(0);
    if (j != i && count > 0) {
      const int64_t yj = column_label(labels, n, m, j);
      const bool positive = yj == labels[i % n];
      T p = exp_t((logits[idx] - row_max[i]) - log_denom[i]);
      if (class_count != nullptr) p = mul_rn(p, class_weight(class_count, c, yj, positive));
      if (positive) p = p - T(1) / count;
      value = mul_rn(p, grad[i]);
    }
    out[idx] = value;
  }
}

template <class T>
void class_count_cuda(const Tensor& labels, int64_t views, const Tensor& class_count) {
  const int64_t c = class_count.numel();
  if (c == 0) return;
  class_count_kernel<T><<<cuda::blocks_for(c), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      labels.data<int64_t>(), labels.numel(), views, class_count.data<T>(), c);
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
void forward_cuda(const Tensor& logits, const Tensor& labels, const Tensor& class_count,
                  const Tensor& loss, const Tensor& row_max, const Tensor& log_denom,
                  const Tensor& positives) {
  const int64_t m = logits.size(0), k = logits.size(1);
  if (m == 0) return;
  contrastive_forward_kernel<T><<<grid_for(m), row_threads(k), 0, cuda::stream()>>>(
      logits.data<T>(), labels.data<int64_t>(),
      class_count.defined() ? class_count.data<T>() : nullptr,
      class_count.defined() ? class_count.numel() : 0, loss.data<T>(), row_max.data<T>(),
      log_denom.data<T>(), positives.data<T>(), labels.numel(), m, k);
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
void backward_cuda(const Tensor& grad, const Tensor& logits, const Tensor& labels,
                   const Tensor& class_count, const Tensor& row_max, const Tensor& log_denom,
                   const Tensor& positives, const Tensor& grad_logits) {
  const int64_t m = logits.size(0), k = logits.size(1);
  if (m * k == 0) return;
  contrastive_backward_kernel<T>
      <<<cuda::blocks_for(m * k), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
          grad.data<T>(), logits.data<T>(), labels.data<int64_t>(),
          class_count.defined() ? class_count.data<T>() : nullptr,
          class_count.defined() ? class_count.numel() : 0, row_max.data<T>(), log_denom.data<T>(),
          positives.data<T>(), grad_logits.data<T>(), labels.numel(), m, k);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar count_f32(contrastive_class_count_kernels(), Device::CUDA, DType::Float32,
                                &class_count_cuda<float>);
const KernelRegistrar count_f64(contrastive_class_count_kernels(), Device::CUDA, DType::Float64,
                                &class_count_cuda<double>);
const KernelRegistrar fwd_f32(contrastive_forward_kernels(), Device::CUDA, DType::Float32,
                              &forward_cuda<float>);
const KernelRegistrar fwd_f64(contrastive_forward_kernels(), Device::CUDA, DType::Float64,
                              &forward_cuda<double>);
const KernelRegistrar bwd_f32(contrastive_backward_kernels(), Device::CUDA, DType::Float32,
                              &backward_cuda<float>);
const KernelRegistrar bwd_f64(contrastive_backward_kernels(), Device::CUDA, DType::Float64,
                              &backward_cuda<double>);

}  // namespace
}  // namespace bcl
