// CUDA binary elementwise kernels, registered beside the CPU ones of tensor/kernels/elementwise.cpp
// (the pattern the other CUDA kernels follow). Each op must give the CPU kernel's result bit for
// bit: + - * / are correctly rounded on both (nvcc keeps IEEE division unless --use_fast_math).
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/elementwise.h"

namespace bcl {
namespace {

using raw::BinaryOp;

template <class T>
__device__ T apply_binary(BinaryOp op, T x, T y) {
  switch (op) {
    case BinaryOp::Add:
      return x + y;
    case BinaryOp::Sub:
      return x - y;
    case BinaryOp::Mul:
      return x * y;
    case BinaryOp::Div:
      return x / y;
    // NaN wins, as on the CPU (x != x only for NaN).
    case BinaryOp::Maximum:
      return x != x || x > y ? x : y;
    case BinaryOp::Minimum:
      return x != x || x < y ? x : y;
    case BinaryOp::Eq:
      return T(x == y);
    case BinaryOp::Ne:
      return T(x != y);
    case BinaryOp::Lt:
      return T(x < y);
    case BinaryOp::Le:
      return T(x <= y);
    case BinaryOp::Gt:
      return T(x > y);
    case BinaryOp::Ge:
      return T(x >= y);
    case BinaryOp::ReluGrad:
      return y > T(0) ? x : T(0);
  }
  return T(0);
}

// The switch on op is uniform across the grid, so it costs no divergence.
template <class T>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, T* out, int64_t n,
                              cuda::StridedGeometry<3> g) {
  cuda::for_each_strided<3>(
      n, g, [&](const int64_t(&o)[3]) { out[o[0]] = apply_binary(op, a[o[1]], b[o[2]]); });
}

template <class T>
void binary_cuda(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  binary_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock>>>(
      op, a.data<T>(), b.data<T>(), out.data<T>(), n,
      cuda::strided_geometry<3>({out, a, b}, "binary"));
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar binary_f32(binary_kernels(), Device::CUDA, DType::Float32,
                                 &binary_cuda<float>);
const KernelRegistrar binary_f64(binary_kernels(), Device::CUDA, DType::Float64,
                                 &binary_cuda<double>);
const KernelRegistrar binary_i64(binary_kernels(), Device::CUDA, DType::Int64,
                                 &binary_cuda<int64_t>);

}  // namespace
}  // namespace bcl
