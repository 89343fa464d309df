// Front-ends of the matrix products: matmul (GEMM) and matmul_reference (the oracle).
#include <algorithm>

#include "tensor/kernels/matmul.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<MatmulKernel>& matmul_kernels() {
  static DispatchTable<MatmulKernel> table("matmul");
  return table;
}

DispatchTable<MatmulKernel>& matmul_reference_kernels() {
  static DispatchTable<MatmulKernel> table("matmul_reference");
  return table;
}

GemmOperand gemm_operand(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  // ld never drops below 1, which BLAS requires even for a single row or column.
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols)) {
    return {true, false, rows == 1 ? std::max<int64_t>(cols, 1) : row_stride};
  }
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows)) {
    return {true, true, cols == 1 ? std::max<int64_t>(rows, 1) : col_stride};
  }
  return {};
}

namespace {

// Checks the operands of `op` and returns the output shape.
Shape matmul_shape(const char* op, const Tensor& a, const Tensor& b) {
  BCL_CHECK((a.dim() == 2 || a.dim() == 3) && (b.dim() == 2 || b.dim() == 3), op,
            ": expected 2-D or 3-D operands, got shapes ", shape_str(a.shape()), " and ",
            shape_str(b.shape()));
  BCL_CHECK(a.device() == b.device(), op, ": operands are on ", device_name(a.device()), " and ",
            device_name(b.device()));
  BCL_CHECK(a.dtype() == b.dtype() && is_floating(a.dtype()), op,
            ": expected two floating operands of one dtype, got ", dtype_name(a.dtype()), " and ",
            dtype_name(b.dtype()));
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  BCL_CHECK(b.size(-2) == k, op, ": shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
            " do not match");
  if (a.dim() == 2 && b.dim() == 2) return {m, n};
  const int64_t batch = a.dim() == 3 ? a.size(0) : b.size(0);
  BCL_CHECK(a.dim() == 2 || b.dim() == 2 || a.size(0) == b.size(0), op, ": batch sizes of ",
            shape_str(a.shape()), " and ", shape_str(b.shape()), " do not match");
  return {batch, m, n};
}

// x as a 3-D [batch, rows, cols] tensor; a 2-D x is broadcast over the batch (stride 0, no copy).
Tensor as_batched(const Tensor& x, int64_t batch) {
  return x.dim() == 3 ? x : raw::expand(x, {batch, x.size(0), x.size(1)});
}

// GEMM reads a matrix through its strides when it can (gemm_operand); otherwise it needs a copy.
Tensor gemm_ready(const Tensor& x) {
  return gemm_operand(x).usable ? x : raw::contiguous(x);
}

}  // namespace

namespace raw {

Tensor matmul(const Tensor& a, const Tensor& b) {
  const Shape shape = matmul_shape("matmul", a, b);
  // A contiguous stack of matrices times one matrix is a single taller product.
  if (a.dim() == 3 && b.dim() == 2 && a.is_contiguous()) {
    Tensor rows = view(a, {a.size(0) * a.size(1), a.size(2)});
    return view(matmul(rows, b), shape);
  }
  Tensor out = empty(shape, a.dtype(), a.device());
  if (out.numel() == 0) return out;
  if (a.size(-1) == 0) {  // an empty sum
    fill_(out, 0.0);
    return out;
  }
  const int64_t batch = shape.size() == 3 ? shape[0] : 1;
  matmul_kernels().get(a.device(), a.dtype())(
      gemm_ready(as_batched(a, batch)), gemm_ready(as_batched(b, batch)), as_batched(out, batch));
  return out;
}

Tensor matmul_reference(const Tensor& a, const Tensor& b) {
  const Shape shape = matmul_shape("matmul_reference", a, b);
  Tensor out = empty(shape, a.dtype(), a.device());
  if (out.numel() == 0) return out;
  const int64_t batch = shape.size() == 3 ? shape[0] : 1;
  matmul_reference_kernels().get(a.device(), a.dtype())(as_batched(a, batch), as_batched(b, batch),
                                                        as_batched(out, batch));
  return out;
}

}  // namespace raw
}  // namespace bcl
