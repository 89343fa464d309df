// Strided iteration for CPU kernels: visits every element of a shape in row-major order and hands
// the kernel each operand's element offset, so one loop serves contiguous, transposed, sliced and
// broadcast (stride 0) operands alike.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/shape.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace bcl::cpu {

// f(std::array<int64_t, N> offsets) for every index of `shape`; strides[k] are operand k's strides
// (same length as shape). Work is split into contiguous ranges of the flat index, one per thread,
// so each element is visited exactly once whatever the thread count.
template <size_t N, class F>
void for_each_strided(const Shape& shape, const std::array<Shape, N>& strides, F f) {
  const int64_t total = numel_of(shape);
  const int64_t ndim = static_cast<int64_t>(shape.size());
  if (total == 0) return;
#pragma omp parallel if (total > 32768)
  {
#ifdef _OPENMP
    const int64_t nthreads = omp_get_num_threads(), tid = omp_get_thread_num();
#else
    const int64_t nthreads = 1, tid = 0;
#endif
    const int64_t begin = total * tid / nthreads, end = total * (tid + 1) / nthreads;
    if (begin < end) {
      // Multi-index and offsets of `begin`.
      Shape index(shape.size());
      std::array<int64_t, N> off{};
      int64_t rest = begin;
      for (int64_t d = ndim - 1; d >= 0; --d) {
        index[d] = rest % shape[d];
        rest /= shape[d];
        for (size_t k = 0; k < N; ++k) off[k] += index[d] * strides[k][d];
      }
      for (int64_t i = begin; i < end; ++i) {
        f(off);
        // Odometer increment from the last dim.
        for (int64_t d = ndim - 1; d >= 0; --d) {
          if (++index[d] < shape[d]) {
            for (size_t k = 0; k < N; ++k) off[k] += strides[k][d];
            break;
          }
          index[d] = 0;
          for (size_t k = 0; k < N; ++k) off[k] -= (shape[d] - 1) * strides[k][d];
        }
      }
    }
  }
}

}  // namespace bcl::cpu
