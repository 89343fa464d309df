// Differentiable reductions. Each backward spreads the output gradient over the reduced dims:
// g is viewed with the reduced dims kept as size 1, then broadcast to x's shape.
#include "autograd/ops.h"
#include "tensor/shape.h"

namespace bcl {

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor out = raw::sum(x, dims, keepdim);
  // d(sum_i x_i)/dx_j = 1. The broadcast gradient is materialised: a stride-0 view would surprise
  // a later backward that view()s its gradient.
  return record("sum", out, {x},
                [kept = reduced_shape(x.shape(), dims, /*keepdim=*/true, "sum"),
                 x_shape = x.shape()](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::contiguous(raw::expand(raw::reshape(g, kept), x_shape))};
                });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor out = raw::mean(x, dims, keepdim);
  const std::vector<bool> reduced = reduced_dims(x.dim(), dims, "mean");
  int64_t count = 1;  // the number of elements averaged into each output
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (reduced[d]) count *= x.shape()[d];
  }
  // d(1/n sum_i x_i)/dx_j = 1/n
  return record("mean", out, {x},
                [kept = reduced_shape(x.shape(), dims, /*keepdim=*/true, "mean"),
                 x_shape = x.shape(), count](const Tensor& g) -> std::vector<Tensor> {
                  const Tensor spread = raw::expand(raw::reshape(g, kept), x_shape);
                  return {raw::mul_scalar(spread, 1.0 / static_cast<double>(count))};
                });
}

Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  const int64_t d = normalize_dim(dim, x.dim(), "max");
  raw::MaxResult r = raw::max(x, d, /*keepdim=*/true);
  Tensor out = keepdim ? r.values : raw::squeeze(r.values, d);
  // d(max_k x_k)/dx_j = [j == argmax_k x_k]: the whole gradient goes to the first maximum.
  return record(
      "max", out, {x},
      [indices = r.indices, x_shape = x.shape(), d](const Tensor& g) -> std::vector<Tensor> {
        // positions[..., j, ...] = j along d; comparing them with the argmax (size 1 along
        // d) broadcasts to a one-hot mask of x's shape.
        Shape positions_shape(x_shape.size(), 1);
        positions_shape[d] = x_shape[d];
        const Tensor positions =
            raw::view(arange(x_shape[d], DType::Int64, g.device()), positions_shape);
        const Tensor hit = raw::to_dtype(raw::eq(positions, indices), g.dtype());
        return {raw::mul(hit, raw::reshape(g, indices.shape()))};
      });
}

}  // namespace bcl
