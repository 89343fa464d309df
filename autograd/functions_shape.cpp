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

namespace {

// x[:, :, ::2, ::2] as a view: the same storage read with doubled strides along H and W.
Tensor every_other_pixel(const Tensor& x) {
  const Shape& s = x.shape();
  const Shape& st = x.strides();
  return make_view(x, {s[0], s[1], (s[2] + 1) / 2, (s[3] + 1) / 2},
                   {st[0], st[1], 2 * st[2], 2 * st[3]}, x.offset());
}

}  // namespace

Tensor option_a_shortcut(const Tensor& x, int64_t pad) {
  BCL_CHECK(x.dim() == 4 && pad >= 0, "option_a_shortcut: expected [N, C, H, W] and pad >= 0, got ",
            shape_str(x.shape()), " and pad ", pad);
  const Tensor sub = every_other_pixel(x);
  const int64_t channels = x.size(1);
  Tensor out =
      zeros({x.size(0), channels + 2 * pad, sub.size(2), sub.size(3)}, x.dtype(), x.device());
  raw::copy_(raw::narrow(out, 1, pad, channels), sub);
  // dx[n, c, 2i, 2j] = g[n, c + pad, i, j]; the odd positions and the padding get no gradient.
  return record("option_a_shortcut", out, {x},
                [x_shape = x.shape(), pad](const Tensor& g) -> std::vector<Tensor> {
                  Tensor dx = zeros(x_shape, g.dtype(), g.device());
                  raw::copy_(every_other_pixel(dx), raw::narrow(g, 1, pad, x_shape[1]));
                  return {dx};
                });
}

}  // namespace bcl
