// Views: new shape, strides and offset over the same storage; no element is copied.
#include <algorithm>

#include "tensor/ops.h"

namespace bcl::raw {
namespace {

// Resolves one -1 entry from the element count.
Shape infer_shape(Shape shape, int64_t numel, const char* op, const Shape& from) {
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      BCL_CHECK(infer_at < 0, op, ": only one dim may be -1 in ", shape_str(shape));
      infer_at = static_cast<int64_t>(i);
    } else {
      BCL_CHECK(shape[i] >= 0, op, ": invalid size in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    BCL_CHECK(known > 0 && numel % known == 0, op, ": cannot view ", shape_str(from), " as ",
              shape_str(shape));
    shape[infer_at] = numel / known;
  }
  BCL_CHECK(numel_of(shape) == numel, op, ": cannot view ", shape_str(from), " (", numel,
            " elements) as ", shape_str(shape));
  return shape;
}

}  // namespace

Tensor view(const Tensor& x, Shape shape) {
  BCL_CHECK(x.is_contiguous(), "view: tensor of shape ", shape_str(x.shape()),
            " is not contiguous (use reshape)");
  shape = infer_shape(std::move(shape), x.numel(), "view", x.shape());
  Shape strides = contiguous_strides(shape);
  return make_view(x, std::move(shape), std::move(strides), x.offset());
}

Tensor reshape(const Tensor& x, Shape shape) {
  return x.is_contiguous() ? view(x, std::move(shape)) : view(clone(x), std::move(shape));
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  const int64_t n = x.dim();
  BCL_CHECK(static_cast<int64_t>(dims.size()) == n, "permute: ", dims.size(),
            " dims given for a tensor of shape ", shape_str(x.shape()));
  Shape shape(n), strides(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = normalize_dim(dims[i], n, "permute");
    BCL_CHECK(!seen[d], "permute: dim ", d, " appears twice");
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  return make_view(x, std::move(shape), std::move(strides), x.offset());
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  std::vector<int64_t> dims(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) dims[i] = i;
  std::swap(dims[normalize_dim(d0, x.dim(), "transpose")],
            dims[normalize_dim(d1, x.dim(), "transpose")]);
  return permute(x, dims);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  dim = normalize_dim(dim, x.dim(), "narrow");
  const int64_t size = x.shape()[dim];
  BCL_CHECK(start >= 0 && length >= 0 && start + length <= size, "narrow: range [", start, ", ",
            start + length, ") is outside dim ", dim, " of size ", size, " in shape ",
            shape_str(x.shape()));
  Shape shape = x.shape();
  shape[dim] = length;
  return make_view(x, std::move(shape), x.strides(), x.offset() + start * x.strides()[dim]);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  BCL_CHECK(x.dim() <= static_cast<int64_t>(shape.size()), "expand: cannot expand ",
            shape_str(x.shape()), " to ", shape_str(shape));
  const size_t lead = shape.size() - x.shape().size();
  for (size_t i = 0; i < x.shape().size(); ++i) {
    BCL_CHECK(x.shape()[i] == shape[lead + i] || x.shape()[i] == 1, "expand: cannot expand ",
              shape_str(x.shape()), " to ", shape_str(shape));
  }
  if (x.shape() == shape) return x;
  return make_view(x, shape, broadcast_strides(x.shape(), x.strides(), shape), x.offset());
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  dim = normalize_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  const int64_t stride = dim < x.dim() ? x.strides()[dim] * x.shape()[dim] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, stride);
  return make_view(x, std::move(shape), std::move(strides), x.offset());
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  dim = normalize_dim(dim, x.dim(), "squeeze");
  BCL_CHECK(x.shape()[dim] == 1, "squeeze: dim ", dim, " of shape ", shape_str(x.shape()),
            " has size ", x.shape()[dim], ", not 1");
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(x, std::move(shape), std::move(strides), x.offset());
}

Tensor flatten(const Tensor& x, int64_t start, int64_t end) {
  if (x.dim() == 0) return reshape(x, {1});
  start = normalize_dim(start, x.dim(), "flatten");
  end = normalize_dim(end, x.dim(), "flatten");
  BCL_CHECK(start <= end, "flatten: start dim ", start, " is after end dim ", end);
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= x.shape()[d];
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, shape);
}

}  // namespace bcl::raw
