// Front-ends of the elementwise ops: binary, unary, where, add_, mul_.
//
// Each one checks its inputs, resolves broadcasting into stride-0 views of the output's shape,
// allocates the output and calls the kernel registered for the inputs' (device, dtype).
#include "tensor/kernels/elementwise.h"

namespace bcl {

DispatchTable<BinaryKernel>& binary_kernels() {
  static DispatchTable<BinaryKernel> table("binary");
  return table;
}

DispatchTable<UnaryKernel>& unary_kernels() {
  static DispatchTable<UnaryKernel> table("unary");
  return table;
}

DispatchTable<WhereKernel>& where_kernels() {
  static DispatchTable<WhereKernel> table("where");
  return table;
}

DispatchTable<AddInplaceKernel>& add_inplace_kernels() {
  static DispatchTable<AddInplaceKernel> table("add_");
  return table;
}

DispatchTable<MulInplaceKernel>& mul_inplace_kernels() {
  static DispatchTable<MulInplaceKernel> table("mul_");
  return table;
}

namespace raw {
namespace {

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "add";
    case BinaryOp::Sub:
      return "sub";
    case BinaryOp::Mul:
      return "mul";
    case BinaryOp::Div:
      return "div";
    case BinaryOp::Maximum:
      return "maximum";
    case BinaryOp::Minimum:
      return "minimum";
    case BinaryOp::Eq:
      return "eq";
    case BinaryOp::Ne:
      return "ne";
    case BinaryOp::Lt:
      return "lt";
    case BinaryOp::Le:
      return "le";
    case BinaryOp::Gt:
      return "gt";
    case BinaryOp::Ge:
      return "ge";
    case BinaryOp::ReluGrad:
      return "relu_grad";
  }
  return "binary";
}

const char* unary_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
      return "neg";
    case UnaryOp::Exp:
      return "exp";
    case UnaryOp::Log:
      return "log";
    case UnaryOp::Sqrt:
      return "sqrt";
    case UnaryOp::Rsqrt:
      return "rsqrt";
    case UnaryOp::Relu:
      return "relu";
    case UnaryOp::Step:
      return "step";
    case UnaryOp::Abs:
      return "abs";
    case UnaryOp::PowScalar:
      return "pow";
    case UnaryOp::AddScalar:
      return "add_scalar";
    case UnaryOp::MulScalar:
      return "mul_scalar";
    case UnaryOp::Clamp:
      return "clamp";
    case UnaryOp::InRange:
      return "in_range";
  }
  return "unary";
}

// All inputs of an elementwise op share one device and one dtype.
void check_same_kind(const char* op, const Tensor& a, const Tensor& b) {
  BCL_CHECK(a.device() == b.device(), op, ": inputs are on different devices (",
            device_name(a.device()), " and ", device_name(b.device()), ")");
  BCL_CHECK(a.dtype() == b.dtype(), op, ": inputs have different dtypes (", dtype_name(a.dtype()),
            " and ", dtype_name(b.dtype()), ")");
}

// An in-place op writes each element once, so no two elements of dst may share memory.
void check_writable(const char* op, const Tensor& dst) {
  for (int64_t d = 0; d < dst.dim(); ++d) {
    BCL_CHECK(dst.strides()[d] != 0 || dst.shape()[d] <= 1, op, ": dst of shape ",
              shape_str(dst.shape()), " is a broadcast view (stride 0 in dim ", d, ")");
  }
}

// x read as a tensor of `shape`: the same elements, with stride 0 on the broadcast dims.
Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  return make_view(x, shape, broadcast_strides(x.shape(), x.strides(), shape), x.offset());
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  check_same_kind(name, a, b);
  BCL_CHECK(op != BinaryOp::Div || is_floating(a.dtype()), name,
            ": integer division is not supported (dtype ", dtype_name(a.dtype()), ")");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = empty(shape, a.dtype(), a.device());
  binary_kernels().get(a.device(), a.dtype())(op, broadcast_to(a, shape), broadcast_to(b, shape),
                                              out);
  return out;
}

Tensor unary(UnaryOp op, const Tensor& x, double p, double q) {
  const char* name = unary_name(op);
  BCL_CHECK(is_floating(x.dtype()), name, ": needs a floating tensor, got ", dtype_name(x.dtype()));
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  unary_kernels().get(x.device(), x.dtype())(op, x, p, q, out);
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_same_kind("where", a, b);
  check_same_kind("where", cond, a);
  const Shape shape =
      broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = empty(shape, a.dtype(), a.device());
  where_kernels().get(a.device(), a.dtype())(broadcast_to(cond, shape), broadcast_to(a, shape),
                                             broadcast_to(b, shape), out);
  return out;
}

void add_(const Tensor& dst, const Tensor& src, double alpha) {
  check_same_kind("add_", dst, src);
  check_writable("add_", dst);
  BCL_CHECK(broadcast_shapes(dst.shape(), src.shape(), "add_") == dst.shape(),
            "add_: src of shape ", shape_str(src.shape()), " does not broadcast to dst's shape ",
            shape_str(dst.shape()));
  add_inplace_kernels().get(dst.device(), dst.dtype())(dst, broadcast_to(src, dst.shape()), alpha);
}

void mul_(const Tensor& dst, double alpha) {
  check_writable("mul_", dst);
  mul_inplace_kernels().get(dst.device(), dst.dtype())(dst, alpha);
}

}  // namespace raw
}  // namespace bcl
