// CPU kernels of cross_entropy: the forward and the backward, one thread per row.
//
// They follow, step for step and in the same dtype, the raw ops of the composition they replace
// (log_softmax, gather_labels, the mean), so the results agree bit for bit: the max, the double
// sum of exp (lane_sum) and the log of log_softmax_cpu.
#include "tensor/kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/kernels/lane_sum.h"

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

template <class T>
void cross_entropy_forward_cpu(const Tensor& logits, const Tensor& labels, const Tensor& offset,
                               const Tensor& nll, const Tensor& row_max, const Tensor& log_sum) {
  const int64_t n = logits.size(0), c = logits.size(1);
  const T* lp = logits.data<T>();
  const T* op = offset.defined() ? offset.data<T>() : nullptr;
  const int64_t* yp = labels.data<int64_t>();
  T* pn = nll.data<T>();
  T* pm = row_max.data<T>();
  T* ps = log_sum.data<T>();
#pragma omp parallel for schedule(static) if (logits.numel() > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const T* row = lp + i * c;
    // Without an offset z is the logits themselves, not logits + 0 (which would turn -0 into 0).
    auto z = [=](int64_t j) { return op != nullptr ? row[j] + op[j] : row[j]; };
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t j = 0; j < c; ++j) max = std::max(max, z(j));
    double sum = 0;
    for (int64_t j = 0; j < c; ++j) sum += std::exp(static_cast<double>(z(j) - max));
    // sum >= 1: the max term contributes exp(0).
    // cppcheck-suppress invalidFunctionArg
    const T ls = static_cast<T>(std::log(sum));
    pn[i] = -((z(yp[i]) - max) - ls);
    pm[i] = max;
    ps[i] = ls;
  }
}

// The composition computed d = exp(log_p), d += -1 * one_hot, d * (g * (1 / N)); adding -1 * 0
// leaves d as it is, so subtracting 1 at the label alone rounds the same way.
template <class T>
void cross_entropy_backward_cpu(const Tensor& grad, double scale, const Tensor& logits,
                                const Tensor& labels, const Tensor& offset, const Tensor& row_max,
                                const Tensor& log_sum, const Tensor& grad_logits) {
  const int64_t n = logits.size(0), c = logits.size(1);
  const T* gp = grad.data<T>();
  const int64_t g_step = grad.numel() == 1 ? 0 : 1;
  const T* lp = logits.data<T>();
  const T* op = offset.defined() ? offset.data<T>() : nullptr;
  const int64_t* yp = labels.data<int64_t>();
  const T* pm = row_max.data<T>();
  const T* ps = log_sum.data<T>();
  T* out = grad_logits.data<T>();
  const T scale_t = static_cast<T>(scale);
#pragma omp parallel for schedule(static) if (logits.numel() > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const T* row = lp + i * c;
    T* out_row = out + i * c;
    const T s = gp[i * g_step] * scale_t, max = pm[i], ls = ps[i];
    for (int64_t j = 0; j < c; ++j) {
      const T z = op != nullptr ? row[j] + op[j] : row[j];
      out_row[j] = std::exp((z - max) - ls) * s;
    }
    const int64_t y = yp[i];
    if (y >= 0 && y < c) {
      const T z = op != nullptr ? row[y] + op[y] : row[y];
      out_row[y] = (std::exp((z - max) - ls) - T(1)) * s;
    }
  }
}

const KernelRegistrar ce_fwd_f32(cross_entropy_forward_kernels(), Device::CPU, DType::Float32,
                                 &cross_entropy_forward_cpu<float>);
const KernelRegistrar ce_fwd_f64(cross_entropy_forward_kernels(), Device::CPU, DType::Float64,
                                 &cross_entropy_forward_cpu<double>);
const KernelRegistrar ce_bwd_f32(cross_entropy_backward_kernels(), Device::CPU, DType::Float32,
                                 &cross_entropy_backward_cpu<float>);
const KernelRegistrar ce_bwd_f64(cross_entropy_backward_kernels(), Device::CPU, DType::Float64,
                                 &cross_entropy_backward_cpu<double>);

}  // namespace
}  // namespace bcl
