// CUDA kernels of log_softmax and its backward, registered beside the CPU ones of
// tensor/kernels/softmax.cpp, whose arithmetic they repeat step for step.
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

#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/softmax.h"

namespace bcl {
namespace {

constexpr int kMaxRowThreads = 256;  // a power of two, for the tree
constexpr int64_t kMaxBlocks = 65535;

// The smallest power of two from 32 (one warp) to kMaxRowThreads that covers a line of `size`.
int row_threads(int64_t size) {
  int threads = 32;
  while (threads < size && threads < kMaxRowThreads) threads *= 2;
  return threads;
}

unsigned grid_for(int64_t lines) {
  return static_cast<unsigned>(lines < kMaxBlocks ? lines : kMaxBlocks);
}

// std::max's rule, as in the CPU kernel: a NaN operand b is skipped, so the max never becomes NaN
// and a NaN in the line shows up through x - max instead.
template <class T>
__device__ T larger(T a, T b) {
  return a < b ? b : a;
}

__device__ float math_exp(float v) {
  return expf(v);
}
__device__ double math_exp(double v) {
  return exp(v);
}
__device__ float math_fma(float a, float b, float c) {
  return fmaf(a, b, c);
}
__device__ double math_fma(double a, double b, double c) {
  return fma(a, b, c);
}

// Subtracting the line's max keeps every exp in (0, 1], so large inputs cannot overflow; the
// result is (x - max) - log sum exp(x - max), with x - max computed in T exactly as on the CPU.
template <class T>
__global__ void log_softmax_rows_kernel(const T* x, T* y, int64_t lines, int64_t size) {
  __shared__ T maxes[kMaxRowThreads];
  __shared__ double sums[kMaxRowThreads];
  const int t = threadIdx.x;
  for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {  // uniform across the block
    const T* xl = x + line * size;
    T* yl = y + line * size;
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t k = t; k < size; k += blockDim.x) max = larger(max, xl[k]);
    maxes[t] = max;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      if (t < s) maxes[t] = larger(maxes[t], maxes[t + s]);
      __syncthreads();
    }
    max = maxes[0];
    double sum = 0;
    for (int64_t k = t; k < size; k += blockDim.x) sum += exp(static_cast<double>(xl[k] - max));
    sums[t] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      if (t < s) sums[t] += sums[t + s];
      __syncthreads();
    }
    // sum >= 1: the max term contributes exp(0).
    const T log_sum = static_cast<T>(log(sums[0]));
    for (int64_t k = t; k < size; k += blockDim.x) yl[k] = (xl[k] - max) - log_sum;
    __syncthreads();  // maxes[0] and sums[0] are read before the next line overwrites them
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
    for (int64_t k = 0; k < size; ++k) max = larger(max, xl[k * inner]);
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
  __shared__ double sums[kMaxRowThreads];
  const int t = threadIdx.x;
  for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {
    const int64_t start = line * size;
    double sum = 0;
    for (int64_t k = t; k < size; k += blockDim.x) sum += dy[start + k];
    sums[t] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      if (t < s) sums[t] += sums[t + s];
      __syncthreads();
    }
    const T sum_t = static_cast<T>(sums[0]);
    for (int64_t k = t; k < size; k += blockDim.x) {
      const int64_t i = start + k;
      dx[i] = math_fma(-math_exp(y[i]), sum_t, dy[i]);
    }
    __syncthreads();
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
      dx[i] = math_fma(-math_exp(y[i]), sum_t, dy[i]);
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
