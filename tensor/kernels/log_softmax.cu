// CUDA kernels of log_softmax and its backward, registered beside the CPU ones of
// tensor/kernels/log_softmax.cpp, whose arithmetic they repeat step for step.
//
// The input is contiguous [outer, size, inner]; each (outer, inner) pair is one line of `size`
// elements, `inner` apart. Two layouts:
//  - inner == 1 (softmax over the last dim, e.g. logits [N, C]): the line is contiguous; one block
//    per line, its threads stride through the line and combine their partial max and sum by a
//    shared-memory tree.
//  - inner > 1: one thread per line, looping over the line as the CPU does; neighbouring threads
//    hold neighbouring lines, so each step of the loop reads contiguous memory.
// Sums of exponentials and of gradients accumulate in double, as on the CPU; the tree adds them in
// another order, so results differ from the CPU's by rounding only.
#include <limits>

#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/log_softmax.h"

namespace bcl {
namespace {

using cuda::exp_t;
using cuda::fma_t;
using cuda::grid_for;
using cuda::kRowThreads;
using cuda::row_threads;

// Maxes follow std::max's rule, as in the CPU kernel (cuda::MaxKeepFirst): a NaN operand b is
// skipped, so the max never becomes NaN and a NaN in the line shows up through x - max instead.
using Larger = cuda::MaxKeepFirst;

// Subtracting the line's max keeps every exp in (0, 1], so large inputs cannot overflow; the
// result is (x - max) - log sum exp(x - max), with x - max computed in T exactly as on the CPU.
template <class T>
__global__ void log_softmax_rows_kernel(const T* x, T* y, int64_t lines, int64_t size) {
  __shared__ T maxes[kRowThreads];
  __shared__ double sums[kRowThreads];
  const int t = threadIdx.x;
  for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {  // uniform across the block
    const T* xl = x + line * size;
    T* yl = y + line * size;
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t k = t; k < size; k += blockDim.x) max = Larger{}(max, xl[k]);
    max = cuda::block_reduce(max, maxes, Larger{});
    double sum = 0;
    for (int64_t k = t; k < size; k += blockDim.x) sum += exp(static_cast<double>(xl[k] - max));
    sum = cuda::block_sum(sum, sums);
    // sum >= 1: the max term contributes exp(0).
    const T log_sum = static_cast<T>(log(sum));
    for (int64_t k = t; k < size; k += blockDim.x) yl[k] = (xl[k] - max) - log_sum;
  }
}

template <class T>
__global__ void log_softmax_columns_kernel(const T* x, T* y, int64_t lines, int64_t size,
                                           int64_t inner) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t line = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; line < lines;
       line += step) {
    const int64_t start = (line / inner) * size * inner + line % inner;
    const T* xl = x + start;
    T* yl = y + start;
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t k = 0; k < size; ++k) max = Larger{}(max, xl[k * inner]);
    double sum = 0;
    for (int64_t k = 0; k < size; ++k) sum += exp(static_cast<double>(xl[k * inner] - max));
    const T log_sum = static_cast<T>(log(sum));
    for (int64_t k = 0; k < size; ++k) yl[k * inner] = (xl[k * inner] - max) - log_sum;
  }
}

template <class T>
void log_softmax_cuda(const Tensor& x, const DimGeometry& g, const Tensor& out) {
  const int64_t lines = g.outer * g.inner;
  if (g.size == 0 || lines == 0) return;
  if (g.inner == 1) {
    log_softmax_rows_kernel<T><<<grid_for(lines), row_threads(g.size), 0, cuda::stream()>>>(
        x.data<T>(), out.data<T>(), lines, g.size);
  } else {
    log_softmax_columns_kernel<T>
        <<<cuda::blocks_for(lines), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
            x.data<T>(), out.data<T>(), lines, g.size, g.inner);
  }
  BCL_CUDA_CHECK_LAUNCH();
}

// dx = dy - exp(y) * sum(dy), with the sum rounded to T first as on the CPU. The fused
// multiply-add rounds once, as GCC's contraction of the CPU's expression does on an FMA-capable
// CPU.
template <class T>
__global__ void log_softmax_backward_rows_kernel(const T* dy, const T* y, T* dx, int64_t lines,
                                                 int64_t size) {
  __shared__ double sums[kRowThreads];
  const int t = threadIdx.x;
  for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {
    const int64_t start = line * size;
    double sum = 0;
    for (int64_t k = t; k < size; k += blockDim.x) sum += dy[start + k];
    const T sum_t = static_cast<T>(cuda::block_sum(sum, sums));
    for (int64_t k = t; k < size; k += blockDim.x) {
      const int64_t i = start + k;
      dx[i] = fma_t(-exp_t(y[i]), sum_t, dy[i]);
    }
  }
}

template <class T>
__global__ void log_softmax_backward_columns_kernel(const T* dy, const T* y, T* dx, int64_t lines,
                                                    int64_t size, int64_t inner) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t line = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; line < lines;
       line += step) {
    const int64_t start = (line / inner) * size * inner + line % inner;
    double sum = 0;
    for (int64_t k = 0; k < size; ++k) sum += dy[start + k * inner];
    const T sum_t = static_cast<T>(sum);
    for (int64_t k = 0; k < size; ++k) {
      const int64_t i = start + k * inner;
      dx[i] = fma_t(-exp_t(y[i]), sum_t, dy[i]);
    }
  }
}

template <class T>
void log_softmax_backward_cuda(const Tensor& grad_out, const Tensor& y, const DimGeometry& g,
                               const Tensor& grad_in) {
  const int64_t lines = g.outer * g.inner;
  if (g.size == 0 || lines == 0) return;
  if (g.inner == 1) {
    log_softmax_backward_rows_kernel<T>
        <<<grid_for(lines), row_threads(g.size), 0, cuda::stream()>>>(
            grad_out.data<T>(), y.data<T>(), grad_in.data<T>(), lines, g.size);
  } else {
    log_softmax_backward_columns_kernel<T>
        <<<cuda::blocks_for(lines), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
            grad_out.data<T>(), y.data<T>(), grad_in.data<T>(), lines, g.size, g.inner);
  }
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar reg_f32(log_softmax_kernels(), Device::CUDA, DType::Float32,
                              &log_softmax_cuda<float>);
const KernelRegistrar reg_f64(log_softmax_kernels(), Device::CUDA, DType::Float64,
                              &log_softmax_cuda<double>);
const KernelRegistrar reg_backward_f32(log_softmax_backward_kernels(), Device::CUDA, DType::Float32,
                                       &log_softmax_backward_cuda<float>);
const KernelRegistrar reg_backward_f64(log_softmax_backward_kernels(), Device::CUDA, DType::Float64,
                                       &log_softmax_backward_cuda<double>);

}  // namespace
}  // namespace bcl
