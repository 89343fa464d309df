// CPU kernels of batch normalisation, fast and reference.
//
// Both accumulate the per-channel sums in double, so float32 statistics stay accurate over large
// batches. The fast kernels give each channel to one thread (its sums are then added in a fixed
// order, whatever the thread count), vectorise the sums (`omp simd`: several partial sums, in an
// order fixed by the build's vector width, instead of one serial chain of dependent adds), and
// fold the per-channel constants into one multiply-add per element. The reference kernels are the
// formulas written out with plain serial loops.
#include "tensor/kernels/batch_norm.h"

#include <cmath>
#include <vector>

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

// x[n, c, s] of a contiguous [N, C, S] tensor.
inline int64_t at(const BatchNormDims& d, int64_t n, int64_t c, int64_t s) {
  return (n * d.c + c) * d.s + s;
}

template <class T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// ---- Fast ------------------------------------------------------------------------------------

template <class T>
void batch_norm_train_cpu(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                          const Tensor& running_mean, const Tensor& running_var, double momentum,
                          double eps, const Tensor& out, const Tensor& save_mean,
                          const Tensor& save_invstd) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  const int64_t m = d.n * d.s;  // values per channel
  const T* xp = x.data<T>();
  const T* gp = data_or_null<T>(gamma);
  const T* bp = data_or_null<T>(beta);
  T* rm = running_mean.defined() ? running_mean.data<T>() : nullptr;
  T* rv = running_var.defined() ? running_var.data<T>() : nullptr;
  T* op = out.data<T>();
  T* mean_p = save_mean.data<T>();
  T* invstd_p = save_invstd.data<T>();

#pragma omp parallel for schedule(static) if (d.c > 1 && x.numel() > kParallelThreshold)
  for (int64_t c = 0; c < d.c; ++c) {
    // Two passes (mean, then squared deviations) avoid the cancellation of E[x^2] - E[x]^2.
    double sum = 0;
    for (int64_t n = 0; n < d.n; ++n) {
      const T* row = xp + at(d, n, c, 0);
#pragma omp simd reduction(+ : sum)
      for (int64_t s = 0; s < d.s; ++s) sum += row[s];
    }
    const double mean = sum / static_cast<double>(m);
    double squares = 0;
    for (int64_t n = 0; n < d.n; ++n) {
      const T* row = xp + at(d, n, c, 0);
#pragma omp simd reduction(+ : squares)
      for (int64_t s = 0; s < d.s; ++s) {
        const double dev = row[s] - mean;
        squares += dev * dev;
      }
    }
    const double var = squares / static_cast<double>(m);
    const double invstd = 1.0 / std::sqrt(var + eps);

    // gamma (x - mean) invstd + beta = x * scale + shift.
    const double scale_d = (gp ? gp[c] : 1.0) * invstd;
    const T scale = static_cast<T>(scale_d);
    const T shift = static_cast<T>((bp ? bp[c] : 0.0) - mean * scale_d);
    for (int64_t n = 0; n < d.n; ++n) {
      const T* row = xp + at(d, n, c, 0);
      T* out_row = op + at(d, n, c, 0);
      for (int64_t s = 0; s < d.s; ++s) out_row[s] = row[s] * scale + shift;
    }

    mean_p[c] = static_cast<T>(mean);
    invstd_p[c] = static_cast<T>(invstd);
    if (rm) rm[c] = static_cast<T>((1 - momentum) * rm[c] + momentum * mean);
    if (rv) {
      const double unbiased = squares / static_cast<double>(m - 1);
      rv[c] = static_cast<T>((1 - momentum) * rv[c] + momentum * unbiased);
    }
  }
}

template <class T>
void batch_norm_eval_cpu(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                         const Tensor& running_mean, const Tensor& running_var, double eps,
                         const Tensor& out) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  const T* gp = data_or_null<T>(gamma);
  const T* bp = data_or_null<T>(beta);
  const T* rm = running_mean.data<T>();
  const T* rv = running_var.data<T>();
  // gamma (x - mean) / sqrt(var + eps) + beta = x * scale + shift.
  std::vector<T> scale(d.c), shift(d.c);
  for (int64_t c = 0; c < d.c; ++c) {
    const double sc = (gp ? gp[c] : 1.0) / std::sqrt(static_cast<double>(rv[c]) + eps);
    scale[c] = static_cast<T>(sc);
    shift[c] = static_cast<T>((bp ? bp[c] : 0.0) - rm[c] * sc);
  }
  const T* xp = x.data<T>();
  T* op = out.data<T>();
  const int64_t planes = d.n * d.c;
#pragma omp parallel for schedule(static) if (x.numel() > kParallelThreshold)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t c = p % d.c;
    const T* row = xp + p * d.s;
    T* out_row = op + p * d.s;
    for (int64_t s = 0; s < d.s; ++s) out_row[s] = row[s] * scale[c] + shift[c];
  }
}

template <class T>
void batch_norm_backward_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& gamma,
                             const Tensor& save_mean, const Tensor& save_invstd,
                             const Tensor& grad_input, const Tensor& grad_gamma,
                             const Tensor& grad_beta) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  const double m = static_cast<double>(d.n * d.s);
  const T* dy = grad_out.data<T>();
  const T* xp = x.data<T>();
  const T* gp = data_or_null<T>(gamma);
  const T* mean_p = save_mean.data<T>();
  const T* invstd_p = save_invstd.data<T>();
  T* dx = grad_input.data<T>();
  T* dgamma = grad_gamma.data<T>();
  T* dbeta = grad_beta.data<T>();

#pragma omp parallel for schedule(static) if (d.c > 1 && x.numel() > kParallelThreshold)
  for (int64_t c = 0; c < d.c; ++c) {
    const double mean = mean_p[c], invstd = invstd_p[c];
    // One pass for both sums: sum dy and sum dy (x - mean) = sum(dy xh) / invstd.
    double sum_dy = 0, sum_dy_dev = 0;
    for (int64_t n = 0; n < d.n; ++n) {
      const T* dy_row = dy + at(d, n, c, 0);
      const T* x_row = xp + at(d, n, c, 0);
#pragma omp simd reduction(+ : sum_dy, sum_dy_dev)
      for (int64_t s = 0; s < d.s; ++s) {
        sum_dy += dy_row[s];
        sum_dy_dev += dy_row[s] * (x_row[s] - mean);
      }
    }
    const double sum_dy_xh = sum_dy_dev * invstd;
    dgamma[c] = static_cast<T>(sum_dy_xh);
    dbeta[c] = static_cast<T>(sum_dy);

    // dx = k (dy - sum dy / M - xh sum(dy xh) / M) with k = gamma invstd and xh = (x - mean)
    // invstd, i.e. dx = k dy + b (x - mean) + a with the constants below.
    const double k = (gp ? gp[c] : 1.0) * invstd;
    const T kt = static_cast<T>(k);
    const T b = static_cast<T>(-k * invstd * sum_dy_xh / m);
    const T a = static_cast<T>(-k * sum_dy / m);
    const T mean_t = static_cast<T>(mean);
    for (int64_t n = 0; n < d.n; ++n) {
      const T* dy_row = dy + at(d, n, c, 0);
      const T* x_row = xp + at(d, n, c, 0);
      T* dx_row = dx + at(d, n, c, 0);
      for (int64_t s = 0; s < d.s; ++s) dx_row[s] = kt * dy_row[s] + b * (x_row[s] - mean_t) + a;
    }
  }
}

// ---- Reference -------------------------------------------------------------------------------

template <class T>
void batch_norm_train_reference_cpu(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& running_mean, const Tensor& running_var,
                                    double momentum, double eps, const Tensor& out,
                                    const Tensor& save_mean, const Tensor& save_invstd) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  const double m = static_cast<double>(d.n * d.s);
  const T* xp = x.data<T>();
  T* op = out.data<T>();
  for (int64_t c = 0; c < d.c; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t s = 0; s < d.s; ++s) sum += xp[at(d, n, c, s)];
    const double mean = sum / m;

    double squares = 0;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t s = 0; s < d.s; ++s) {
        const double dev = xp[at(d, n, c, s)] - mean;
        squares += dev * dev;
      }
    const double var = squares / m;
    const double invstd = 1.0 / std::sqrt(var + eps);

    const double g = gamma.defined() ? gamma.data<T>()[c] : 1.0;
    const double b = beta.defined() ? beta.data<T>()[c] : 0.0;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t s = 0; s < d.s; ++s) {
        const double xh = (xp[at(d, n, c, s)] - mean) * invstd;
        op[at(d, n, c, s)] = static_cast<T>(g * xh + b);
      }

    save_mean.data<T>()[c] = static_cast<T>(mean);
    save_invstd.data<T>()[c] = static_cast<T>(invstd);
    if (running_mean.defined()) {
      T& r = running_mean.data<T>()[c];
      r = static_cast<T>((1 - momentum) * r + momentum * mean);
    }
    if (running_var.defined()) {
      T& r = running_var.data<T>()[c];
      r = static_cast<T>((1 - momentum) * r + momentum * squares / (m - 1));
    }
  }
}

template <class T>
void batch_norm_backward_reference_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& gamma,
                                       const Tensor& save_mean, const Tensor& save_invstd,
                                       const Tensor& grad_input, const Tensor& grad_gamma,
                                       const Tensor& grad_beta) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  const double m = static_cast<double>(d.n * d.s);
  const T* dy = grad_out.data<T>();
  const T* xp = x.data<T>();
  T* dx = grad_input.data<T>();
  for (int64_t c = 0; c < d.c; ++c) {
    const double mean = save_mean.data<T>()[c];
    const double invstd = save_invstd.data<T>()[c];
    const double g = gamma.defined() ? gamma.data<T>()[c] : 1.0;

    double sum_dy = 0;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t s = 0; s < d.s; ++s) sum_dy += dy[at(d, n, c, s)];
    double sum_dy_xh = 0;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t s = 0; s < d.s; ++s) {
        const int64_t i = at(d, n, c, s);
        sum_dy_xh += dy[i] * (xp[i] - mean) * invstd;
      }

    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t s = 0; s < d.s; ++s) {
        const int64_t i = at(d, n, c, s);
        const double xh = (xp[i] - mean) * invstd;
        dx[i] = static_cast<T>(g * invstd / m * (m * dy[i] - sum_dy - xh * sum_dy_xh));
      }
    grad_gamma.data<T>()[c] = static_cast<T>(sum_dy_xh);
    grad_beta.data<T>()[c] = static_cast<T>(sum_dy);
  }
}

static const KernelRegistrar reg_train_f32(batch_norm_train_kernels(), Device::CPU, DType::Float32,
                                           &batch_norm_train_cpu<float>);
static const KernelRegistrar reg_train_f64(batch_norm_train_kernels(), Device::CPU, DType::Float64,
                                           &batch_norm_train_cpu<double>);
static const KernelRegistrar reg_eval_f32(batch_norm_eval_kernels(), Device::CPU, DType::Float32,
                                          &batch_norm_eval_cpu<float>);
static const KernelRegistrar reg_eval_f64(batch_norm_eval_kernels(), Device::CPU, DType::Float64,
                                          &batch_norm_eval_cpu<double>);
static const KernelRegistrar reg_backward_f32(batch_norm_backward_kernels(), Device::CPU,
                                              DType::Float32, &batch_norm_backward_cpu<float>);
static const KernelRegistrar reg_backward_f64(batch_norm_backward_kernels(), Device::CPU,
                                              DType::Float64, &batch_norm_backward_cpu<double>);
static const KernelRegistrar reg_train_ref_f32(batch_norm_train_reference_kernels(), Device::CPU,
                                               DType::Float32,
                                               &batch_norm_train_reference_cpu<float>);
static const KernelRegistrar reg_train_ref_f64(batch_norm_train_reference_kernels(), Device::CPU,
                                               DType::Float64,
                                               &batch_norm_train_reference_cpu<double>);
static const KernelRegistrar reg_backward_ref_f32(batch_norm_backward_reference_kernels(),
                                                  Device::CPU, DType::Float32,
                                                  &batch_norm_backward_reference_cpu<float>);
static const KernelRegistrar reg_backward_ref_f64(batch_norm_backward_reference_kernels(),
                                                  Device::CPU, DType::Float64,
                                                  &batch_norm_backward_reference_cpu<double>);

}  // namespace
}  // namespace bcl
