// CUDA elementwise kernels (binary, unary, where, add_, mul_), registered beside the CPU ones of
// tensor/kernels/elementwise.cpp (the pattern the other CUDA kernels follow). Every operand arrives
// with the output's shape and its own strides, so one strided loop serves all of them.
//
// Arithmetic, comparisons, sqrt and clamping give the CPU kernel's result bit for bit: + - * / and
// sqrt are correctly rounded on both (nvcc keeps IEEE division and square root unless
// --use_fast_math). exp, log and pow are not: CUDA's expf is within 2 ulp, logf 1 ulp, powf 4 ulp,
// and the double versions within 1-2 ulp, while glibc's are within 1 ulp.
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/elementwise.h"

namespace bcl {
namespace {

using raw::BinaryOp;
using raw::UnaryOp;

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
  binary_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      op, a.data<T>(), b.data<T>(), out.data<T>(), n,
      cuda::strided_geometry<3>({out, a, b}, "binary"));
  BCL_CUDA_CHECK_LAUNCH();
}

// The libm function of each precision, named once so that apply_unary reads like the CPU's.
__device__ float math_exp(float v) {
  return expf(v);
}
__device__ double math_exp(double v) {
  return exp(v);
}
__device__ float math_log(float v) {
  return logf(v);
}
__device__ double math_log(double v) {
  return log(v);
}
__device__ float math_sqrt(float v) {
  return sqrtf(v);
}
__device__ double math_sqrt(double v) {
  return sqrt(v);
}
__device__ float math_abs(float v) {
  return fabsf(v);
}
__device__ double math_abs(double v) {
  return fabs(v);
}
__device__ float math_pow(float v, float p) {
  return powf(v, p);
}
__device__ double math_pow(double v, double p) {
  return pow(v, p);
}
__device__ float math_fma(float a, float b, float c) {
  return fmaf(a, b, c);
}
__device__ double math_fma(double a, double b, double c) {
  return fma(a, b, c);
}

// The CPU kernel's formulas, with p and q already in T as there.
template <class T>
__device__ T apply_unary(UnaryOp op, T v, T p, T q) {
  switch (op) {
    case UnaryOp::Neg:
      return -v;
    case UnaryOp::Exp:
      return math_exp(v);
    case UnaryOp::Log:
      return math_log(v);
    case UnaryOp::Sqrt:
      return math_sqrt(v);
    // Two roundings, as on the CPU: CUDA's rsqrt would differ from 1 / sqrt in the last bit.
    case UnaryOp::Rsqrt:
      return T(1) / math_sqrt(v);
    case UnaryOp::Relu:
      return v > T(0) ? v : T(0);
    case UnaryOp::Step:
      return T(v > T(0));
    case UnaryOp::Abs:
      return math_abs(v);
    case UnaryOp::PowScalar:
      return math_pow(v, p);
    case UnaryOp::AddScalar:
      return v + p;
    case UnaryOp::MulScalar:
      return v * p;
    // A NaN fails both comparisons and passes through, as on the CPU.
    case UnaryOp::Clamp:
      return v < p ? p : (v > q ? q : v);
    case UnaryOp::InRange:
      return T(p <= v && v <= q);
  }
  return T(0);
}

template <class T>
__global__ void unary_kernel(UnaryOp op, const T* x, T p, T q, T* out, int64_t n,
                             cuda::StridedGeometry<2> g) {
  cuda::for_each_strided<2>(
      n, g, [&](const int64_t(&o)[2]) { out[o[0]] = apply_unary(op, x[o[1]], p, q); });
}

template <class T>
void unary_cuda(UnaryOp op, const Tensor& x, double p, double q, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  unary_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      op, x.data<T>(), static_cast<T>(p), static_cast<T>(q), out.data<T>(), n,
      cuda::strided_geometry<2>({out, x}, "unary"));
  BCL_CUDA_CHECK_LAUNCH();
}

// cond has the dtype of a and b; any nonzero value (NaN included) selects a.
template <class T>
__global__ void where_kernel(const T* cond, const T* a, const T* b, T* out, int64_t n,
                             cuda::StridedGeometry<4> g) {
  cuda::for_each_strided<4>(
      n, g, [&](const int64_t(&o)[4]) { out[o[0]] = cond[o[1]] != T(0) ? a[o[2]] : b[o[3]]; });
}

template <class T>
void where_cuda(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  where_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      cond.data<T>(), a.data<T>(), b.data<T>(), out.data<T>(), n,
      cuda::strided_geometry<4>({out, cond, a, b}, "where"));
  BCL_CUDA_CHECK_LAUNCH();
}

// dst + alpha * src with one rounding: GCC contracts the CPU kernel's `dst += alpha * src` into a
// fused multiply-add on any FMA-capable CPU (-march=native, -ffp-contract=fast by default), so the
// explicit fma gives the same bits there; a CPU without FMA differs by at most one rounding.
// The front-end refuses a broadcast dst, so no two threads write one element.
template <class T>
__global__ void add_inplace_kernel(T* dst, const T* src, T alpha, int64_t n,
                                   cuda::StridedGeometry<2> g) {
  cuda::for_each_strided<2>(
      n, g, [&](const int64_t(&o)[2]) { dst[o[0]] = math_fma(alpha, src[o[1]], dst[o[0]]); });
}

template <class T>
void add_inplace_cuda(const Tensor& dst, const Tensor& src, double alpha) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  add_inplace_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      dst.data<T>(), src.data<T>(), static_cast<T>(alpha), n,
      cuda::strided_geometry<2>({dst, src}, "add_"));
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
__global__ void mul_inplace_kernel(T* dst, T alpha, int64_t n, cuda::StridedGeometry<1> g) {
  cuda::for_each_strided<1>(n, g, [&](const int64_t(&o)[1]) { dst[o[0]] *= alpha; });
}

template <class T>
void mul_inplace_cuda(const Tensor& dst, double alpha) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  mul_inplace_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      dst.data<T>(), static_cast<T>(alpha), n, cuda::strided_geometry<1>({dst}, "mul_"));
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar binary_f32(binary_kernels(), Device::CUDA, DType::Float32,
                                 &binary_cuda<float>);
const KernelRegistrar binary_f64(binary_kernels(), Device::CUDA, DType::Float64,
                                 &binary_cuda<double>);
const KernelRegistrar binary_i64(binary_kernels(), Device::CUDA, DType::Int64,
                                 &binary_cuda<int64_t>);
const KernelRegistrar unary_f32(unary_kernels(), Device::CUDA, DType::Float32, &unary_cuda<float>);
const KernelRegistrar unary_f64(unary_kernels(), Device::CUDA, DType::Float64, &unary_cuda<double>);
const KernelRegistrar where_f32(where_kernels(), Device::CUDA, DType::Float32, &where_cuda<float>);
const KernelRegistrar where_f64(where_kernels(), Device::CUDA, DType::Float64, &where_cuda<double>);
const KernelRegistrar where_i64(where_kernels(), Device::CUDA, DType::Int64, &where_cuda<int64_t>);
const KernelRegistrar add_f32(add_inplace_kernels(), Device::CUDA, DType::Float32,
                              &add_inplace_cuda<float>);
const KernelRegistrar add_f64(add_inplace_kernels(), Device::CUDA, DType::Float64,
                              &add_inplace_cuda<double>);
const KernelRegistrar mul_f32(mul_inplace_kernels(), Device::CUDA, DType::Float32,
                              &mul_inplace_cuda<float>);
const KernelRegistrar mul_f64(mul_inplace_kernels(), Device::CUDA, DType::Float64,
                              &mul_inplace_cuda<double>);

}  // namespace
}  // namespace bcl
