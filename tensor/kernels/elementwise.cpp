// CPU elementwise kernels (float, double; int64 for the binary ops).
#include "tensor/kernels/elementwise.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace bcl {
namespace {

using raw::BinaryOp;
using raw::UnaryOp;

template <size_t N>
using Offsets = std::array<int64_t, N>;

// Below this many elements a loop stays on one thread: a parallel region costs more.
constexpr int64_t kParallelGrain = 32768;
// The strided path hands threads fixed chunks of the flat index.
constexpr int64_t kChunk = 16384;

// The operands' common shape and strides, simplified for iteration: size-1 dims are dropped and
// neighbouring dims are merged wherever every operand steps through them as through one dim
// (stride[d] == stride[d + 1] * size[d + 1]). Contiguous operands become a single dim, and the
// last dim, the strided path's inner loop, becomes as long as possible.
template <size_t N>
struct Layout {
  Shape shape;
  std::array<Shape, N> strides;
};

template <size_t N>
Layout<N> coalesce(const std::array<Tensor, N>& operands) {
  const Shape& shape = operands[0].shape();
  Layout<N> l;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !l.shape.empty();
    for (size_t k = 0; k < N && merge; ++k) {
      merge = l.strides[k].back() == operands[k].strides()[d] * shape[d];
    }
    if (merge) {
      l.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) l.strides[k].back() = operands[k].strides()[d];
    } else {
      l.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) l.strides[k].push_back(operands[k].strides()[d]);
    }
  }
  if (l.shape.empty()) {  // a single element
    l.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) l.strides[k].push_back(1);
  }
  return l;
}

// Calls f(offsets) once per element of the operands, which share one shape; offsets[k] is the
// element's offset in operand k. Contiguous operands take a flat loop; transposed, sliced and
// broadcast (stride 0) ones are walked one run of the last dim at a time.
template <size_t N, class F>
void for_each_element(const std::array<Tensor, N>& operands, F f) {
  const int64_t n = operands[0].numel();
  if (n == 0) return;
  const Layout<N> l = coalesce(operands);
  const int64_t ndim = static_cast<int64_t>(l.shape.size()), inner = l.shape.back();
  std::array<int64_t, N> step;
  bool flat = ndim == 1;
  for (size_t k = 0; k < N; ++k) {
    step[k] = l.strides[k].back();
    flat = flat && step[k] == 1;
  }
  if (flat) {
#pragma omp parallel for schedule(static) if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) {
      Offsets<N> o;
      o.fill(i);
      f(o);
    }
    return;
  }
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > kParallelGrain)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kChunk);
    for (int64_t i = c * kChunk; i < end;) {
      // The run [j, stop) of row `row`; the row's first element has the offsets `base`.
      const int64_t row = i / inner, stop = std::min(inner, i % inner + (end - i));
      int64_t j = i % inner;
      Offsets<N> base{};
      for (int64_t d = ndim - 2, rest = row; d >= 0; --d) {
        const int64_t index = rest % l.shape[d];
        rest /= l.shape[d];
        for (size_t k = 0; k < N; ++k) base[k] += index * l.strides[k][d];
      }
      for (; j < stop; ++j, ++i) {
        Offsets<N> o;
        for (size_t k = 0; k < N; ++k) o[k] = base[k] + j * step[k];
        f(o);
      }
    }
  }
}

// NaN wins, as in NumPy's maximum and minimum: a NaN must not vanish from a computation.
template <class T>
bool is_nan(T x) {
  return x != x;
}

template <class T, class F>
void map_binary(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  for_each_element<3>({out, a, b}, [=](const Offsets<3>& o) { po[o[0]] = f(pa[o[1]], pb[o[2]]); });
}

template <class T>
void binary_cpu(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::Add:
      return map_binary<T>(a, b, out, [](T x, T y) { return x + y; });
    case BinaryOp::Sub:
      return map_binary<T>(a, b, out, [](T x, T y) { return x - y; });
    case BinaryOp::Mul:
      return map_binary<T>(a, b, out, [](T x, T y) { return x * y; });
    case BinaryOp::Div:
      return map_binary<T>(a, b, out, [](T x, T y) { return x / y; });
    case BinaryOp::Maximum:
      return map_binary<T>(a, b, out, [](T x, T y) { return is_nan(x) || x > y ? x : y; });
    case BinaryOp::Minimum:
      return map_binary<T>(a, b, out, [](T x, T y) { return is_nan(x) || x < y ? x : y; });
    case BinaryOp::Eq:
      return map_binary<T>(a, b, out, [](T x, T y) { return T(x == y); });
    case BinaryOp::Ne:
      return map_binary<T>(a, b, out, [](T x, T y) { return T(x != y); });
    case BinaryOp::Lt:
      return map_binary<T>(a, b, out, [](T x, T y) { return T(x < y); });
    case BinaryOp::Le:
      return map_binary<T>(a, b, out, [](T x, T y) { return T(x <= y); });
    case BinaryOp::Gt:
      return map_binary<T>(a, b, out, [](T x, T y) { return T(x > y); });
    case BinaryOp::Ge:
      return map_binary<T>(a, b, out, [](T x, T y) { return T(x >= y); });
    case BinaryOp::ReluGrad:
      return map_binary<T>(a, b, out, [](T g, T x) { return x > T(0) ? g : T(0); });
  }
}

template <class T, class F>
void map_unary(const Tensor& x, const Tensor& out, F f) {
  const T* px = x.data<T>();
  T* po = out.data<T>();
  for_each_element<2>({out, x}, [=](const Offsets<2>& o) { po[o[0]] = f(px[o[1]]); });
}

template <class T>
void unary_cpu(UnaryOp op, const Tensor& x, double p_, double q_, const Tensor& out) {
  const T p = static_cast<T>(p_), q = static_cast<T>(q_);
  switch (op) {
    case UnaryOp::Neg:
      return map_unary<T>(x, out, [](T v) { return -v; });
    case UnaryOp::Exp:
      return map_unary<T>(x, out, [](T v) { return std::exp(v); });
    case UnaryOp::Log:
      return map_unary<T>(x, out, [](T v) { return std::log(v); });
    case UnaryOp::Sqrt:
      return map_unary<T>(x, out, [](T v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt:
      return map_unary<T>(x, out, [](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::Relu:
      return map_unary<T>(x, out, [](T v) { return v > T(0) ? v : T(0); });
    case UnaryOp::Step:
      return map_unary<T>(x, out, [](T v) { return T(v > T(0)); });
    case UnaryOp::Abs:
      return map_unary<T>(x, out, [](T v) { return std::abs(v); });
    case UnaryOp::PowScalar:
      return map_unary<T>(x, out, [p](T v) { return std::pow(v, p); });
    case UnaryOp::AddScalar:
      return map_unary<T>(x, out, [p](T v) { return v + p; });
    case UnaryOp::MulScalar:
      return map_unary<T>(x, out, [p](T v) { return v * p; });
    case UnaryOp::Clamp:
      return map_unary<T>(x, out, [p, q](T v) { return v < p ? p : (v > q ? q : v); });
    case UnaryOp::InRange:
      return map_unary<T>(x, out, [p, q](T v) { return T(p <= v && v <= q); });
  }
}

template <class T>
void where_cpu(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const T* pc = cond.data<T>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  for_each_element<4>({out, cond, a, b}, [=](const Offsets<4>& o) {
    po[o[0]] = pc[o[1]] != T(0) ? pa[o[2]] : pb[o[3]];
  });
}

template <class T>
void add_inplace_cpu(const Tensor& dst, const Tensor& src, double alpha_) {
  const T alpha = static_cast<T>(alpha_);
  T* pd = dst.data<T>();
  const T* ps = src.data<T>();
  for_each_element<2>({dst, src}, [=](const Offsets<2>& o) { pd[o[0]] += alpha * ps[o[1]]; });
}

template <class T>
void mul_inplace_cpu(const Tensor& dst, double alpha_) {
  const T alpha = static_cast<T>(alpha_);
  T* pd = dst.data<T>();
  for_each_element<1>({dst}, [=](const Offsets<1>& o) { pd[o[0]] *= alpha; });
}

const KernelRegistrar binary_f32(binary_kernels(), Device::CPU, DType::Float32, &binary_cpu<float>);
const KernelRegistrar binary_f64(binary_kernels(), Device::CPU, DType::Float64,
                                 &binary_cpu<double>);
const KernelRegistrar binary_i64(binary_kernels(), Device::CPU, DType::Int64, &binary_cpu<int64_t>);
const KernelRegistrar unary_f32(unary_kernels(), Device::CPU, DType::Float32, &unary_cpu<float>);
const KernelRegistrar unary_f64(unary_kernels(), Device::CPU, DType::Float64, &unary_cpu<double>);
const KernelRegistrar where_f32(where_kernels(), Device::CPU, DType::Float32, &where_cpu<float>);
const KernelRegistrar where_f64(where_kernels(), Device::CPU, DType::Float64, &where_cpu<double>);
const KernelRegistrar where_i64(where_kernels(), Device::CPU, DType::Int64, &where_cpu<int64_t>);
const KernelRegistrar add_f32(add_inplace_kernels(), Device::CPU, DType::Float32,
                              &add_inplace_cpu<float>);
const KernelRegistrar add_f64(add_inplace_kernels(), Device::CPU, DType::Float64,
                              &add_inplace_cpu<double>);
const KernelRegistrar mul_f32(mul_inplace_kernels(), Device::CPU, DType::Float32,
                              &mul_inplace_cpu<float>);
const KernelRegistrar mul_f64(mul_inplace_kernels(), Device::CPU, DType::Float64,
                              &mul_inplace_cpu<double>);

}  // namespace
}  // namespace bcl
