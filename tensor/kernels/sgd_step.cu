// CUDA kernel of sgd_step (one thread per element, grid-stride), registered beside the CPU one of
// tensor/kernels/sgd_step.cpp. It writes out the rounding of its CPU twin built with FMA
// contraction (-O3 -march=native on x86-64 with FMA, or aarch64): fma for d + wd * p,
// d + mu * buf and p - lr * d, and a separately rounded product and sum for mu * buf + d; on such
// a host the two agree bit for bit.
#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/sgd_step.h"

namespace bcl {
namespace {

using cuda::add_rn;
using cuda::fma_t;
using cuda::mul_rn;

template <class T>
__global__ void sgd_step_kernel(T* p, const T* g, T* buf, int64_t n, T wd, T mu, T neg_lr,
                                bool has_wd, bool nesterov, bool first_step) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    T d = g[i];
    if (has_wd) d = fma_t(wd, p[i], d);
    if (buf != nullptr) {
      const T b = first_step ? d : add_rn(mul_rn(buf[i], mu), d);
      buf[i] = b;
      d = nesterov ? fma_t(mu, b, d) : b;
    }
    p[i] = fma_t(neg_lr, d, p[i]);
  }
}

template <class T>
void sgd_step_cuda(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
                   const raw::SgdStepParams& s) {
  const int64_t n = param.numel();
  if (n == 0) return;
  sgd_step_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      param.data<T>(), grad.data<T>(), s.momentum != 0 ? momentum_buf.data<T>() : nullptr, n,
      static_cast<T>(s.weight_decay), static_cast<T>(s.momentum), static_cast<T>(-s.lr),
      s.weight_decay != 0, s.nesterov, s.first_step);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar sgd_f32(sgd_step_kernels(), Device::CUDA, DType::Float32,
                              &sgd_step_cuda<float>);
const KernelRegistrar sgd_f64(sgd_step_kernels(), Device::CUDA, DType::Float64,
                              &sgd_step_cuda<double>);

}  // namespace
}  // namespace bcl
