// Front-ends of the reductions: sum, mean, max_all, max, argmax, sum_to.
#include "tensor/kernels/dim_geometry.h"
#include "tensor/kernels/reduce.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<SumKernel>& sum_kernels() {
  static DispatchTable<SumKernel> table("sum");
  return table;
}

DispatchTable<MaxKernel>& max_kernels() {
  static DispatchTable<MaxKernel> table("max");
  return table;
}

namespace raw {
namespace {

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t d = begin; d < end; ++d) p *= shape[d];
  return p;
}

// Sums (or averages) over `dims`. Each run of consecutive reduced dims [begin, end) is one kernel
// pass over x seen as [outer, n, inner], done last run first and kept as size 1 so the next run's
// geometry is unchanged. A mean is the mean of the per-pass means: every group has the same size.
Tensor sum_or_mean(const char* op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
                   bool mean) {
  BCL_CHECK(!mean || is_floating(x.dtype()), op, ": needs a floating tensor, got ",
            dtype_name(x.dtype()));
  const std::vector<bool> reduced = reduced_dims(x.dim(), dims, op);
  const SumKernel kernel = sum_kernels().get(x.device(), x.dtype());

  Tensor current = contiguous(x);
  Shape shape = x.shape();
  bool reduced_any = false;
  for (size_t end = shape.size(); end > 0;) {
    if (!reduced[end - 1]) {
      --end;
      continue;
    }
    size_t begin = end - 1;
    while (begin > 0 && reduced[begin - 1]) --begin;
    const int64_t outer = product(shape, 0, begin), n = product(shape, begin, end),
                  inner = product(shape, end, shape.size());
    Tensor out = empty({outer, inner}, x.dtype(), x.device());
    kernel(view(current, {outer, n, inner}), out, mean ? 1.0 / static_cast<double>(n) : 1.0);
    for (size_t d = begin; d < end; ++d) shape[d] = 1;
    current = view(out, shape);
    reduced_any = true;
    end = begin;
  }
  // Reducing no dim (a 0-dim tensor) still returns a new tensor, never an alias of x.
  if (!reduced_any) current = clone(x);
  return view(current, reduced_shape(x.shape(), dims, keepdim, op));
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return sum_or_mean("sum", x, dims, keepdim, /*mean=*/false);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return sum_or_mean("mean", x, dims, keepdim, /*mean=*/true);
}

MaxResult max(const Tensor& x, int64_t dim, bool keepdim) {
  BCL_CHECK(x.dim() > 0, "max: needs a tensor with at least one dim, got a 0-dim tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "max");
  BCL_CHECK(x.shape()[d] > 0, "max: dim ", dim, " of shape ", shape_str(x.shape()), " is empty");
  const DimGeometry g = dim_geometry(x.shape(), d);
  MaxResult r{empty({g.outer, g.inner}, x.dtype(), x.device()),
              empty({g.outer, g.inner}, DType::Int64, x.device())};
  max_kernels().get(x.device(), x.dtype())(view(contiguous(x), {g.outer, g.size, g.inner}),
                                           r.values, r.indices);
  const Shape shape = reduced_shape(x.shape(), {d}, keepdim, "max");
  return {view(r.values, shape), view(r.indices, shape)};
}

Tensor max_all(const Tensor& x) {
  BCL_CHECK(x.numel() > 0, "max_all: the tensor of shape ", shape_str(x.shape()), " is empty");
  Tensor values = empty({1, 1}, x.dtype(), x.device());
  Tensor indices = empty({1, 1}, DType::Int64, x.device());
  max_kernels().get(x.device(), x.dtype())(view(contiguous(x), {1, x.numel(), 1}), values, indices);
  return view(values, {});
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return max(x, dim, keepdim).indices;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  const Shape& from = x.shape();
  // `shape` must broadcast to x's shape: right-aligned, each size equal or 1.
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  bool broadcasts = lead >= 0;
  for (size_t i = 0; broadcasts && i < shape.size(); ++i) {
    broadcasts = shape[i] == from[lead + i] || shape[i] == 1;
  }
  BCL_CHECK(broadcasts, "sum_to: cannot reduce shape ", shape_str(from), " to ", shape_str(shape));
  if (from == shape) return x;

  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1)) dims.push_back(d);
  }
  return view(sum(x, dims, /*keepdim=*/true), shape);
}

}  // namespace raw
}  // namespace bcl
