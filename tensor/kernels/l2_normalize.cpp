// CPU kernels of l2_normalize along the last dim and its backward, one thread per row. The sums
// are lane_sum's, the order of sum_cpu, so the results agree with the composition they replace.
#include "tensor/kernels/l2_normalize.h"

#include <algorithm>
#include <cmath>

#include "tensor/kernels/lane_sum.h"

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

template <class T>
void l2_normalize_cpu(const Tensor& x, int64_t rows, int64_t n, double eps, const Tensor& out,
                      const Tensor& denom) {
  const T* xp = x.data<T>();
  T* yp = out.data<T>();
  T* dp = denom.data<T>();
  const T eps_t = static_cast<T>(eps);
#pragma omp parallel for schedule(static) if (rows * n > kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = xp + r * n;
    T* yr = yp + r * n;
    const T sum_sq = static_cast<T>(lane_sum(n, [=](int64_t k) { return xr[k] * xr[k]; }));
    const T norm = std::sqrt(sum_sq);
    // raw::maximum(norm, eps): a NaN norm wins.
    const T d = norm != norm || norm > eps_t ? norm : eps_t;
    dp[r] = d;
    for (int64_t k = 0; k < n; ++k) yr[k] = xr[k] / d;
  }
}

template <class T>
void l2_normalize_backward_cpu(const Tensor& grad_out, const Tensor& y, const Tensor& denom,
                               int64_t rows, int64_t n, double eps, const Tensor& grad_in) {
  const T* gp = grad_out.data<T>();
  const T* yp = y.data<T>();
  const T* dp = denom.data<T>();
  T* out = grad_in.data<T>();
  const T eps_t = static_cast<T>(eps);
#pragma omp parallel for schedule(static) if (rows * n > kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = gp + r * n;
    const T* yr = yp + r * n;
    T* dx = out + r * n;
    const T s = static_cast<T>(lane_sum(n, [=](int64_t k) { return gr[k] * yr[k]; }));
    const T d = dp[r];
    // 1 where the norm, not eps, is the divisor (denom > eps exactly then, and a NaN norm gives 0
    // as norm > eps did). Multiplying, not branching, keeps the composition's NaN * 0.
    const T active = T(d > eps_t);
    for (int64_t k = 0; k < n; ++k) dx[k] = (gr[k] - (yr[k] * s) * active) / d;
  }
}

const KernelRegistrar l2_fwd_f32(l2_normalize_kernels(), Device::CPU, DType::Float32,
                                 &l2_normalize_cpu<float>);
const KernelRegistrar l2_fwd_f64(l2_normalize_kernels(), Device::CPU, DType::Float64,
                                 &l2_normalize_cpu<double>);
const KernelRegistrar l2_bwd_f32(l2_normalize_backward_kernels(), Device::CPU, DType::Float32,
                                 &l2_normalize_backward_cpu<float>);
const KernelRegistrar l2_bwd_f64(l2_normalize_backward_kernels(), Device::CPU, DType::Float64,
                                 &l2_normalize_backward_cpu<double>);

}  // namespace
}  // namespace bcl
