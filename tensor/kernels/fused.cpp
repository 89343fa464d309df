// CPU kernels of the fused ops: the cross-entropy forward and backward and L2 normalisation along
// the last dim (one thread per row), and the SGD step (one thread per chunk of elements).
//
// Each follows, step for step and in the same dtype, the raw ops of the composition it replaces,
// so their results agree: the max, the double sum of exp and the log of log_softmax_cpu; the
// 8-lane double sums of sum_cpu; add_inplace_cpu's dst += alpha * src for the SGD step.
#include "tensor/kernels/fused.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

// sum_k f(k) for k in [0, n) in double, in reduce.cpp's run_sum order (8 interleaved partial
// sums, then added up), so that it equals raw::sum over a materialised f.
template <class F>
double lane_sum(int64_t n, F f) {
  constexpr int64_t kLanes = 8;
  double lanes[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] += f(k + l);
  }
  for (; k < n; ++k) lanes[k % kLanes] += f(k);
  double total = 0;
  for (double lane : lanes) total += lane;
  return total;
}

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

// Elements per chunk of the SGD step: the direction d of a chunk lives in a stack array.
constexpr int64_t kSgdChunk = 1024;

// Each step of the composition (raw::add_, raw::mul_) is one loop over the chunk with the very
// expression of add_inplace_cpu / mul_inplace_cpu, so the compiler rounds it the same way
// (including whether it contracts dst + alpha * src into one FMA); a loop of its own for
// buf *= momentum keeps that product rounded before buf + d, as when they were two kernels.
template <class T>
void sgd_step_cpu(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
                  const raw::SgdStepParams& s) {
  const int64_t n = param.numel();
  T* pp = param.data<T>();
  const T* gp = grad.data<T>();
  T* bp = s.momentum != 0 ? momentum_buf.data<T>() : nullptr;
  const T wd = static_cast<T>(s.weight_decay), mu = static_cast<T>(s.momentum),
          neg_lr = static_cast<T>(-s.lr);
  const int64_t chunks = (n + kSgdChunk - 1) / kSgdChunk;
#pragma omp parallel for schedule(static) if (n > kParallelThreshold)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t begin = ch * kSgdChunk, len = std::min(kSgdChunk, n - begin);
    T* p = pp + begin;
    const T* g = gp + begin;
    T d[kSgdChunk];
    for (int64_t k = 0; k < len; ++k) d[k] = g[k];
    if (s.weight_decay != 0) {
      for (int64_t k = 0; k < len; ++k) d[k] += wd * p[k];
    }
    if (bp != nullptr) {
      T* b = bp + begin;
      if (s.first_step) {
        for (int64_t k = 0; k < len; ++k) b[k] = d[k];
      } else {
        for (int64_t k = 0; k < len; ++k) b[k] *= mu;
        // add_(buf, d) with alpha 1: 1 * d is d, and buf + d rounds once either way.
        for (int64_t k = 0; k < len; ++k) b[k] += d[k];
      }
      if (s.nesterov) {
        for (int64_t k = 0; k < len; ++k) d[k] += mu * b[k];
      } else {
        for (int64_t k = 0; k < len; ++k) d[k] = b[k];
      }
    }
    for (int64_t k = 0; k < len; ++k) p[k] += neg_lr * d[k];
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
const KernelRegistrar l2_fwd_f32(l2_normalize_kernels(), Device::CPU, DType::Float32,
                                 &l2_normalize_cpu<float>);
const KernelRegistrar l2_fwd_f64(l2_normalize_kernels(), Device::CPU, DType::Float64,
                                 &l2_normalize_cpu<double>);
const KernelRegistrar l2_bwd_f32(l2_normalize_backward_kernels(), Device::CPU, DType::Float32,
                                 &l2_normalize_backward_cpu<float>);
const KernelRegistrar l2_bwd_f64(l2_normalize_backward_kernels(), Device::CPU, DType::Float64,
                                 &l2_normalize_backward_cpu<double>);
const KernelRegistrar sgd_f32(sgd_step_kernels(), Device::CPU, DType::Float32,
                              &sgd_step_cpu<float>);
const KernelRegistrar sgd_f64(sgd_step_kernels(), Device::CPU, DType::Float64,
                              &sgd_step_cpu<double>);

}  // namespace
}  // namespace bcl
