// CPU kernel of sgd_step: one torch.optim.SGD step, one thread per chunk of elements, rounding
// each step as add_inplace_cpu's dst += alpha * src and mul_inplace_cpu do.
#include "tensor/kernels/sgd_step.h"

#include <algorithm>

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

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

const KernelRegistrar sgd_f32(sgd_step_kernels(), Device::CPU, DType::Float32,
                              &sgd_step_cpu<float>);
const KernelRegistrar sgd_f64(sgd_step_kernels(), Device::CPU, DType::Float64,
                              &sgd_step_cpu<double>);

}  // namespace
}  // namespace bcl
