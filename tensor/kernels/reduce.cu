// CUDA reduction kernels (sum, max), registered beside the CPU ones of tensor/kernels/reduce.cpp.
//
// Both reduce the middle dim of a contiguous x of shape [outer, n, inner] into contiguous
// [outer, inner] outputs, in one of two layouts:
//  - inner == 1 (a sum over trailing dims, max_all, argmax over the last dim): each output reduces
//    one contiguous run of n elements; one block per output, its threads stride through the run
//    and combine their partials by a shared-memory tree.
//  - inner > 1: a block owns 32 neighbouring outputs (one warp-wide, coalesced slice of each row k)
//    and splits k among 8 thread rows, whose partials are combined by a shared-memory tree.
// The combination order is fixed by the launch shape, so results are reproducible run to run; it
// differs from the CPU's order, so floating sums differ from the CPU's by rounding only.
#include <type_traits>

#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/reduce.h"

namespace bcl {
namespace {

// Floating sums accumulate in double and integers in int64, as on the CPU.
template <class T>
using Accumulator = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

using cuda::grid_for;
using cuda::kRowThreads;
using cuda::row_threads;

constexpr int kColumnLanes = 32;  // outputs per block in the inner > 1 layout
constexpr int kColumnRows = 8;    // threads sharing one output's k range (a power of two)

template <class T>
__device__ T store_sum(Accumulator<T> sum, double scale) {
  if constexpr (std::is_integral_v<T>) {
    return sum;  // never scaled: there is no integer mean
  } else {
    return static_cast<T>(sum * scale);
  }
}

template <class T>
__global__ void sum_rows_kernel(const T* x, T* out, int64_t rows, int64_t n, double scale) {
  __shared__ Accumulator<T> partial[kRowThreads];
  for (int64_t o = blockIdx.x; o < rows; o += gridDim.x) {  // uniform across the block
    const T* row = x + o * n;
    Accumulator<T> acc = 0;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc += row[k];
    acc = cuda::block_sum(acc, partial);
    if (threadIdx.x == 0) out[o] = store_sum<T>(acc, scale);
  }
}

template <class T>
__global__ void sum_columns_kernel(const T* x, T* out, int64_t outer, int64_t n, int64_t inner,
                                   double scale) {
  __shared__ Accumulator<T> partial[kColumnRows][kColumnLanes];
  const int64_t slices = (inner + kColumnLanes - 1) / kColumnLanes;
  for (int64_t u = blockIdx.x; u < outer * slices; u += gridDim.x) {
    const int64_t o = u / slices, i = (u % slices) * kColumnLanes + threadIdx.x;
    Accumulator<T> acc = 0;
    if (i < inner) {
      for (int64_t k = threadIdx.y; k < n; k += kColumnRows) acc += x[(o * n + k) * inner + i];
    }
    partial[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    for (int s = kColumnRows / 2; s > 0; s /= 2) {
      if (threadIdx.y < s)
        partial[threadIdx.y][threadIdx.x] += partial[threadIdx.y + s][threadIdx.x];
      __syncthreads();
    }
    if (threadIdx.y == 0 && i < inner)
      out[o * inner + i] = store_sum<T>(partial[0][threadIdx.x], scale);
    __syncthreads();
  }
}

// An empty reduced dim (n == 0) stores 0 * scale, as the CPU does: 0 for a sum, NaN for a mean.
template <class T>
void sum_cuda(const Tensor& x, const Tensor& out, double scale) {
  const int64_t outer = x.shape()[0], n = x.shape()[1], inner = x.shape()[2];
  if (outer * inner == 0) return;
  if (inner == 1) {
    sum_rows_kernel<T><<<grid_for(outer), row_threads(n), 0, cuda::stream()>>>(
        x.data<T>(), out.data<T>(), outer, n, scale);
  } else {
    const int64_t slices = (inner + kColumnLanes - 1) / kColumnLanes;
    sum_columns_kernel<T>
        <<<grid_for(outer * slices), dim3(kColumnLanes, kColumnRows), 0, cuda::stream()>>>(
            x.data<T>(), out.data<T>(), outer, n, inner, scale);
  }
  BCL_CUDA_CHECK_LAUNCH();
}

// Whether candidate (v, k) beats the current (best, where) under the CPU's rule: a NaN beats any
// number, a larger value beats a smaller one, and among equal values (or NaNs) the first index
// wins. It is a total order on (value, index) pairs, so a tree over any split gives the CPU's
// sequential answer.
template <class T>
__device__ bool beats(T v, int64_t k, T best, int64_t where) {
  const bool v_nan = v != v, best_nan = best != best;
  if (v_nan || best_nan) return v_nan && (!best_nan || k < where);
  return v > best || (v == best && k < where);
}

template <class T>
__global__ void max_rows_kernel(const T* x, T* values, int64_t* indices, int64_t rows, int64_t n) {
  __shared__ T best[kRowThreads];
  __shared__ int64_t where[kRowThreads];
  for (int64_t o = blockIdx.x; o < rows; o += gridDim.x) {
    const T* row = x + o * n;
    // Threads past the run's end (n < blockDim.x) start from element 0, which changes no answer.
    T b = row[0];
    int64_t w = 0;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
      if (beats(row[k], k, b, w)) {
        b = row[k];
        w = k;
      }
    }
    best[threadIdx.x] = b;
    where[threadIdx.x] = w;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      if (threadIdx.x < s && beats(best[threadIdx.x + s], where[threadIdx.x + s], best[threadIdx.x],
                                   where[threadIdx.x])) {
        best[threadIdx.x] = best[threadIdx.x + s];
        where[threadIdx.x] = where[threadIdx.x + s];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      values[o] = best[0];
      indices[o] = where[0];
    }
    __syncthreads();
  }
}

template <class T>
__global__ void max_columns_kernel(const T* x, T* values, int64_t* indices, int64_t outer,
                                   int64_t n, int64_t inner) {
  __shared__ T best[kColumnRows][kColumnLanes];
  __shared__ int64_t where[kColumnRows][kColumnLanes];
  const int64_t slices = (inner + kColumnLanes - 1) / kColumnLanes;
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t u = blockIdx.x; u < outer * slices; u += gridDim.x) {
    const int64_t o = u / slices, i = (u % slices) * kColumnLanes + tx;
    const T* first = x + o * n * inner + i;  // element (o, 0, i)
    T b = T(0);
    int64_t w = 0;
    if (i < inner) {
      b = first[0];
      for (int64_t k = ty; k < n; k += kColumnRows) {
        if (beats(first[k * inner], k, b, w)) {
          b = first[k * inner];
          w = k;
        }
      }
    }
    best[ty][tx] = b;
    where[ty][tx] = w;
    __syncthreads();
    for (int s = kColumnRows / 2; s > 0; s /= 2) {
      if (ty < s && beats(best[ty + s][tx], where[ty + s][tx], best[ty][tx], where[ty][tx])) {
        best[ty][tx] = best[ty + s][tx];
        where[ty][tx] = where[ty + s][tx];
      }
      __syncthreads();
    }
    if (ty == 0 && i < inner) {
      values[o * inner + i] = best[0][tx];
      indices[o * inner + i] = where[0][tx];
    }
    __syncthreads();
  }
}

// n > 0 (the front-end refuses an empty dim).
template <class T>
void max_cuda(const Tensor& x, const Tensor& values, const Tensor& indices) {
  const int64_t outer = x.shape()[0], n = x.shape()[1], inner = x.shape()[2];
  if (outer * inner == 0) return;
  if (inner == 1) {
    max_rows_kernel<T><<<grid_for(outer), row_threads(n), 0, cuda::stream()>>>(
        x.data<T>(), values.data<T>(), indices.data<int64_t>(), outer, n);
  } else {
    const int64_t slices = (inner + kColumnLanes - 1) / kColumnLanes;
    max_columns_kernel<T>
        <<<grid_for(outer * slices), dim3(kColumnLanes, kColumnRows), 0, cuda::stream()>>>(
            x.data<T>(), values.data<T>(), indices.data<int64_t>(), outer, n, inner);
  }
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar sum_f32(sum_kernels(), Device::CUDA, DType::Float32, &sum_cuda<float>);
const KernelRegistrar sum_f64(sum_kernels(), Device::CUDA, DType::Float64, &sum_cuda<double>);
const KernelRegistrar sum_i64(sum_kernels(), Device::CUDA, DType::Int64, &sum_cuda<int64_t>);
const KernelRegistrar max_f32(max_kernels(), Device::CUDA, DType::Float32, &max_cuda<float>);
const KernelRegistrar max_f64(max_kernels(), Device::CUDA, DType::Float64, &max_cuda<double>);
const KernelRegistrar max_i64(max_kernels(), Device::CUDA, DType::Int64, &max_cuda<int64_t>);

}  // namespace
}  // namespace bcl
