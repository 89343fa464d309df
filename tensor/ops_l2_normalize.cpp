// Front-end of l2_normalize along the last dim and its backward.
#include <utility>

#include "tensor/kernels/l2_normalize.h"
#include "tensor/op_checks.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<L2NormalizeKernel>& l2_normalize_kernels() {
  static DispatchTable<L2NormalizeKernel> table("l2_normalize_last");
  return table;
}

DispatchTable<L2NormalizeBackwardKernel>& l2_normalize_backward_kernels() {
  static DispatchTable<L2NormalizeBackwardKernel> table("l2_normalize_last_backward");
  return table;
}

namespace {

// The last dim's size and the number of rows before it (x.dim() >= 1).
std::pair<int64_t, int64_t> rows_and_last(const Shape& shape) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) rows *= shape[d];
  return {rows, shape.back()};
}

Shape keep_last_as_one(Shape shape) {
  shape.back() = 1;
  return shape;
}

}  // namespace

namespace raw {

L2NormalizeParts l2_normalize_last(const Tensor& x, double eps) {
  BCL_CHECK(x.dim() >= 1, "l2_normalize_last: input must have at least 1 dim, got shape ",
            shape_str(x.shape()));
  BCL_CHECK(is_floating(x.dtype()), "l2_normalize_last: input must be floating point, got ",
            dtype_name(x.dtype()));
  const auto [rows, n] = rows_and_last(x.shape());
  L2NormalizeParts parts;
  parts.out = empty(x.shape(), x.dtype(), x.device());
  parts.denom = empty(keep_last_as_one(x.shape()), x.dtype(), x.device());
  if (rows == 0) return parts;
  l2_normalize_kernels().get(x.device(), x.dtype())(contiguous(x), rows, n, eps, parts.out,
                                                    parts.denom);
  return parts;
}

Tensor l2_normalize_last_backward(const Tensor& grad_out, const Tensor& y, const Tensor& denom,
                                  double eps) {
  const char* op = "l2_normalize_last_backward";
  BCL_CHECK(y.dim() >= 1 && is_floating(y.dtype()), op,
            ": the output must be floating point with at least 1 dim, got ", dtype_name(y.dtype()),
            " ", shape_str(y.shape()));
  BCL_CHECK(grad_out.shape() == y.shape(), op, ": grad_out has shape ", shape_str(grad_out.shape()),
            " but the output has shape ", shape_str(y.shape()));
  check_like(op, "grad_out", grad_out, y);
  BCL_CHECK(denom.shape() == keep_last_as_one(y.shape()), op, ": denom has shape ",
            shape_str(denom.shape()), " but ", shape_str(keep_last_as_one(y.shape())),
            " was expected");
  check_like(op, "denom", denom, y);
  const auto [rows, n] = rows_and_last(y.shape());
  Tensor grad_in = empty(y.shape(), y.dtype(), y.device());
  if (rows * n == 0) return grad_in;
  l2_normalize_backward_kernels().get(y.device(), y.dtype())(
      contiguous(grad_out), contiguous(y), contiguous(denom), rows, n, eps, grad_in);
  return grad_in;
}

}  // namespace raw
}  // namespace bcl
