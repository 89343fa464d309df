// Helpers for CUDA kernels that give one block to each row (a line of a reduction, an anchor of a
// contrastive loss, a sample of cross-entropy): the launch shape, block-wide trees, and math
// overloads so that one template body serves float and double.
//
// Rounding spelled out: the CPU kernels round some products on their own, and nvcc would contract
// `a * b + c` into one FMA. mul_rn / add_rn (__fmul_rn, __dmul_rn, ...) are never contracted, so
// a kernel that uses them rounds as its CPU twin does; fma_t rounds once where the CPU's
// expression is contracted by GCC on an FMA-capable host.
#pragma once

#include <cmath>
#include <cstdint>

namespace bcl::cuda {

constexpr int kRowThreads = 256;  // the most threads per row; a power of two, for the trees
constexpr int64_t kMaxBlocks = 65535;

// The smallest power of two from 32 (one warp) to kRowThreads that covers a row of n.
inline int row_threads(int64_t n) {
  int threads = 32;
  while (threads < n && threads < kRowThreads) threads *= 2;
  return threads;
}

// One block per row, up to kMaxBlocks; kernels loop over rows with a grid stride.
inline unsigned grid_for(int64_t rows) {
  return static_cast<unsigned>(rows < kMaxBlocks ? rows : kMaxBlocks);
}

__device__ inline float exp_t(float x) {
  return expf(x);
}
__device__ inline double exp_t(double x) {
  return exp(x);
}
__device__ inline float log_t(float x) {
  return logf(x);
}
__device__ inline double log_t(double x) {
  return log(x);
}
__device__ inline float sqrt_t(float x) {
  return sqrtf(x);
}
__device__ inline double sqrt_t(double x) {
  return sqrt(x);
}
__device__ inline float fma_t(float a, float b, float c) {
  return fmaf(a, b, c);
}
__device__ inline double fma_t(double a, double b, double c) {
  return fma(a, b, c);
}
__device__ inline float mul_rn(float a, float b) {
  return __fmul_rn(a, b);
}
__device__ inline double mul_rn(double a, double b) {
  return __dmul_rn(a, b);
}
__device__ inline float add_rn(float a, float b) {
  return __fadd_rn(a, b);
}
__device__ inline double add_rn(double a, double b) {
  return __dadd_rn(a, b);
}

// The max as std::max(a, b) takes it on the CPU: a NaN b never replaces a, so partials that start
// at -inf skip NaNs.
struct MaxKeepFirst {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a < b ? b : a;
  }
};

// The larger of a and b with a NaN winning, as raw::max does.
struct MaxNan {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return b > a || (b != b && a == a) ? b : a;
  }
};

struct Plus {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

// combine(v of thread 0, ..., v of thread blockDim.x - 1) by a shared-memory tree (blockDim.x a
// power of two, `shared` at least blockDim.x long); every thread gets the result. Every thread of
// the block must call it: it holds __syncthreads.
template <class T, class Combine>
__device__ T block_reduce(T v, T* shared, Combine combine) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      shared[threadIdx.x] = combine(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  const T total = shared[0];
  __syncthreads();  // every thread has read shared[0] before it is written again
  return total;
}

template <class T>
__device__ T block_sum(T v, T* shared) {
  return block_reduce(v, shared, Plus{});
}

}  // namespace bcl::cuda
