// Strided elementwise loops for CUDA kernels: the GPU twin of tensor/kernels/strided.h.
//
// A kernel receives its operands' geometry by value (a kernel argument lives in constant memory),
// and each thread turns a flat row-major index into one element offset per operand. One kernel
// thus serves contiguous, transposed, sliced and broadcast (stride 0) operands alike.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/kernels/cuda_context.h"
#include "tensor/tensor.h"

namespace bcl::cuda {

// Geometry travels in fixed-size arrays, which caps the rank of a CUDA elementwise operand.
constexpr int kMaxDims = 8;

// The shared shape of N operands and each one's strides, in elements.
template <int N>
struct StridedGeometry {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};

  // Element offsets in each operand of flat row-major index i: peel off the index's digits from
  // the last dim.
  __device__ void offsets(int64_t i, int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % sizes[d];
      i /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
  }
};

// The geometry of `operands`, which share operands[0]'s shape.
template <int N>
StridedGeometry<N> strided_geometry(const std::array<Tensor, N>& operands, const char* op) {
  const Shape& shape = operands[0].shape();
  BCL_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), op, ": CUDA kernels take at most ",
            kMaxDims, " dims, got shape ", shape_str(shape));
  StridedGeometry<N> g;
  g.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < g.ndim; ++d) {
    g.sizes[d] = shape[d];
    for (int k = 0; k < N; ++k) g.strides[k][d] = operands[k].strides()[d];
  }
  return g;
}

constexpr int kThreadsPerBlock = 256;

// Enough blocks to give each thread about one element, capped: the kernels loop with a grid
// stride, so a capped grid still covers every element.
inline unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

// The body of every elementwise kernel: f(offsets) for each flat index in [0, n).
template <int N, class F>
__device__ void for_each_strided(int64_t n, const StridedGeometry<N>& g, F f) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[N];
    g.offsets(i, off);
    f(off);
  }
}

}  // namespace bcl::cuda
