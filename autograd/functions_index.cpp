// Differentiable indexing: index_select and gather_labels, whose adjoints scatter the gradient
// back (index_add, scatter_labels).
#include "autograd/ops.h"

namespace bcl {

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor out = raw::index_select(x, dim, index);
  const int64_t d = normalize_dim(dim, x.dim(), "index_select");
  // out slice i is x slice index[i]: each x slice collects the gradients of every copy of it.
  return record("index_select", out, {x},
                [x_shape = x.shape(), d, index](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::index_add(x_shape, d, index, g)};
                });
}

Tensor gather_labels(const Tensor& x, const Tensor& labels) {
  Tensor out = raw::gather_labels(x, labels);
  // out_i = x[i, labels_i], so dx[i, j] = g_i where j == labels_i and 0 elsewhere.
  return record("gather_labels", out, {x},
                [labels, c = x.size(1)](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::scatter_labels(g, labels, c)};
                });
}

}  // namespace bcl
