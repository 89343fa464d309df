// The parameter structs and enums of the raw ops: what a kernel needs to know besides its
// tensors. Kernel headers include this, not tensor/ops.h, so a kernel never sees the front-ends.
#pragma once

#include <cstdint>

namespace bcl {

// Convolution and pooling geometry. They live in bcl, not bcl::raw, so that an unqualified
// conv2d(x, w, b, params) finds only the differentiable op by argument-dependent lookup.
struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t groups = 1;
};
struct Pool2dParams {
  int64_t kernel_h = 2, kernel_w = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_h = 0, pad_w = 0;
};

}  // namespace bcl

namespace bcl::raw {

using bcl::Conv2dParams;
using bcl::Pool2dParams;

// ReluGrad(g, x) = x > 0 ? g : 0, ReLU's backward in one pass (0 where x is NaN or -0).
enum class BinaryOp { Add, Sub, Mul, Div, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, ReluGrad };

// Unary ops with up to two scalar parameters p, q.
enum class UnaryOp {
  Neg,        // -x
  Exp,        // e^x
  Log,        // ln x
  Sqrt,       // sqrt x
  Rsqrt,      // 1 / sqrt x
  Relu,       // max(x, 0)
  Step,       // 1 if x > 0 else 0 (the derivative of relu)
  Abs,        // |x|
  PowScalar,  // x^p
  AddScalar,  // x + p
  MulScalar,  // x * p
  Clamp,      // min(max(x, p), q)
  InRange,    // 1 if p <= x <= q else 0 (the derivative of clamp)
};

// One SGD step's settings (raw::sgd_step_).
struct SgdStepParams {
  double lr = 0;
  double momentum = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool first_step = false;  // buf is written, not read
};

}  // namespace bcl::raw
