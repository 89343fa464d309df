// CPU kernels of log_softmax. One thread per line; sums are accumulated in double.
#include "tensor/kernels/log_softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

// Subtracting the line's max keeps every exp in (0, 1], so large inputs (1000) cannot overflow;
// the result is then (x - max) - log sum exp(x - max), which also keeps the small differences
// x - max exact instead of rounding them against a large max.
template <class T>
void log_softmax_cpu(const Tensor& x, const DimGeometry& g, const Tensor& out) {
  if (g.size == 0) return;  // nothing to normalise (and log(0) below would be -inf)
  const T* xp = x.data<T>();
  T* yp = out.data<T>();
  const int64_t lines = g.outer * g.inner;
#pragma omp parallel for schedule(static) if (x.numel() > kParallelThreshold)
  for (int64_t line = 0; line < lines; ++line) {
    const int64_t start = (line / g.inner) * g.size * g.inner + line % g.inner;
    const T* xl = xp + start;
    T* yl = yp + start;
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t k = 0; k < g.size; ++k) max = std::max(max, xl[k * g.inner]);
    double sum = 0;
    for (int64_t k = 0; k < g.size; ++k)
      sum += std::exp(static_cast<double>(xl[k * g.inner] - max));
    // sum >= 1: the max term contributes exp(0).
    // cppcheck-suppress invalidFunctionArg
    const T log_sum = static_cast<T>(std::log(sum));
    for (int64_t k = 0; k < g.size; ++k) yl[k * g.inner] = (xl[k * g.inner] - max) - log_sum;
  }
}

template <class T>
void log_softmax_backward_cpu(const Tensor& grad_out, const Tensor& y, const DimGeometry& g,
                              const Tensor& grad_in) {
  const T* dy = grad_out.data<T>();
  const T* yp = y.data<T>();
  T* dx = grad_in.data<T>();
  const int64_t lines = g.outer * g.inner;
#pragma omp parallel for schedule(static) if (y.numel() > kParallelThreshold)
  for (int64_t line = 0; line < lines; ++line) {
    const int64_t start = (line / g.inner) * g.size * g.inner + line % g.inner;
    double sum = 0;
    for (int64_t k = 0; k < g.size; ++k) sum += dy[start + k * g.inner];
    const T sum_t = static_cast<T>(sum);
    for (int64_t k = 0; k < g.size; ++k) {
      const int64_t i = start + k * g.inner;
      dx[i] = dy[i] - std::exp(yp[i]) * sum_t;
    }
  }
}

static const KernelRegistrar reg_f32(log_softmax_kernels(), Device::CPU, DType::Float32,
                                     &log_softmax_cpu<float>);
static const KernelRegistrar reg_f64(log_softmax_kernels(), Device::CPU, DType::Float64,
                                     &log_softmax_cpu<double>);
static const KernelRegistrar reg_backward_f32(log_softmax_backward_kernels(), Device::CPU,
                                              DType::Float32, &log_softmax_backward_cpu<float>);
static const KernelRegistrar reg_backward_f64(log_softmax_backward_kernels(), Device::CPU,
                                              DType::Float64, &log_softmax_backward_cpu<double>);

}  // namespace
}  // namespace bcl
