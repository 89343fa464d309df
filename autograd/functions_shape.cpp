// Differentiable shape and indexing ops. Views move elements without changing them, so each
// backward moves the gradient back: the adjoint of the forward's rearrangement.
#include "autograd/ops.h"

namespace bcl {
namespace {

// A slice [start, start + length) of dim of x. Its adjoint places g into zeros of x's shape.
Tensor record_narrow(const char* name, Tensor piece, const Tensor& x, int64_t dim, int64_t start) {
  return record(name, std::move(piece), {x},
                [x_shape = x.shape(), dim, start](const Tensor& g) -> std::vector<Tensor> {
                  Tensor dx = zeros(x_shape, g.dtype(), g.device());
                  raw::copy_(raw::narrow(dx, dim, start, g.size(dim)), g);
                  return {dx};
                });
}

// The pieces of raw::split or raw::chunk, each recorded as a narrow of x.
std::vector<Tensor> record_pieces(const char* name, std::vector<Tensor> pieces, const Tensor& x,
                                  int64_t dim) {
  const int64_t d = normalize_dim(dim, x.dim(), name);
  int64_t start = 0;
  for (Tensor& piece : pieces) {
    const int64_t length = piece.size(d);
    piece = record_narrow(name, piece, x, d, start);
    start += length;
  }
  return pieces;
}

// Gradient of an op that only renames positions: g read back in x's shape.
BackwardFn reshape_back(const Shape& x_shape) {
  return [x_shape](const Tensor& g) -> std::vector<Tensor> { return {raw::reshape(g, x_shape)}; };
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  return record("reshape", raw::reshape(x, shape), {x}, reshape_back(x.shape()));
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  return record("unsqueeze", raw::unsqueeze(x, dim), {x}, reshape_back(x.shape()));
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  return record("squeeze", raw::squeeze(x, dim), {x}, reshape_back(x.shape()));
}

Tensor flatten(const Tensor& x, int64_t start, int64_t end) {
  return record("flatten", raw::flatten(x, start, end), {x}, reshape_back(x.shape()));
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  Tensor out = raw::permute(x, dims);  // checks dims
  // out dim i is x dim dims[i]; the inverse permutation sends it back.
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    inverse[normalize_dim(dims[i], x.dim(), "permute")] = static_cast<int64_t>(i);
  }
  return record("permute", out, {x}, [inverse](const Tensor& g) -> std::vector<Tensor> {
    return {raw::permute(g, inverse)};
  });
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  // A transpose is its own inverse.
  return record(
      "transpose", raw::transpose(x, d0, d1), {x},
      [d0, d1](const Tensor& g) -> std::vector<Tensor> { return {raw::transpose(g, d0, d1)}; });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  Tensor piece = raw::narrow(x, dim, start, length);  // checks the range
  return record_narrow("narrow", piece, x, normalize_dim(dim, x.dim(), "narrow"), start);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  // Each element of x is read by every position it was broadcast to: their gradients add up.
  return record("expand", raw::expand(x, shape), {x},
                [x_shape = x.shape()](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::sum_to(g, x_shape)};
                });
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  Tensor out = raw::concat(xs, dim);  // checks the shapes
  const int64_t d = normalize_dim(dim, out.dim(), "concat");
  std::vector<int64_t> sizes;
  for (const Tensor& x : xs) sizes.push_back(x.size(d));
  // Input i occupies [start_i, start_i + size_i) of dim: its gradient is that slice of g.
  return record("concat", out, xs, [d, sizes](const Tensor& g) -> std::vector<Tensor> {
    return raw::split(g, sizes, d);
  });
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  return record_pieces("split", raw::split(x, sizes, dim), x, dim);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t n, int64_t dim) {
  return record_pieces("chunk", raw::chunk(x, n, dim), x, dim);
}

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
