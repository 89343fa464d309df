// Kernel tables for the elementwise ops (tensor/ops_elementwise.cpp is the front-end).
//
// The front-end resolves broadcasting before calling a kernel: every operand arrives with the
// output's shape, broadcast dims carrying stride 0, so a kernel only walks one shape.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

// out = op(a, b); a and b have out's shape (any strides); out is contiguous.
using BinaryKernel = void (*)(raw::BinaryOp op, const Tensor& a, const Tensor& b,
                              const Tensor& out);
DispatchTable<BinaryKernel>& binary_kernels();

// out = op(x; p, q); x has out's shape (any strides); out is contiguous.
using UnaryKernel = void (*)(raw::UnaryOp op, const Tensor& x, double p, double q,
                             const Tensor& out);
DispatchTable<UnaryKernel>& unary_kernels();

// out = cond != 0 ? a : b; all have out's shape (any strides); out is contiguous.
using WhereKernel = void (*)(const Tensor& cond, const Tensor& a, const Tensor& b,
                             const Tensor& out);
DispatchTable<WhereKernel>& where_kernels();

// dst += alpha * src in place; src has dst's shape; both may have any strides.
using AddInplaceKernel = void (*)(const Tensor& dst, const Tensor& src, double alpha);
DispatchTable<AddInplaceKernel>& add_inplace_kernels();

// dst *= alpha in place; dst may have any strides.
using MulInplaceKernel = void (*)(const Tensor& dst, double alpha);
DispatchTable<MulInplaceKernel>& mul_inplace_kernels();

}  // namespace bcl
