#include "tensor/shape.h"

#include <sstream>

#include "tensor/error.h"

namespace bcl {

int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
  BCL_CHECK(dim >= -ndim && dim < ndim, op, ": dim ", dim, " is out of range for a tensor with ",
            ndim, " dims");
  return dim < 0 ? dim + ndim : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    // Right-aligned: position i from the end.
    int64_t sa = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t sb = i < b.size() ? b[b.size() - 1 - i] : 1;
    BCL_CHECK(sa == sb || sa == 1 || sb == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
              " cannot be broadcast together");
    out[n - 1 - i] = sa == 1 ? sb : sa;
  }
  return out;
}

Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target) {
  BCL_CHECK(shape.size() <= target.size(), "broadcast: cannot broadcast ", shape_str(shape), " to ",
            shape_str(target));
  Shape out(target.size(), 0);
  size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) {
    BCL_CHECK(shape[i] == target[lead + i] || shape[i] == 1, "broadcast: cannot broadcast ",
              shape_str(shape), " to ", shape_str(target));
    out[lead + i] = shape[i] == 1 ? 0 : strides[i];
  }
  return out;
}

std::vector<bool> reduced_dims(int64_t ndim, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> reduced(ndim, dims.empty());
  for (int64_t dim : dims) {
    const int64_t d = normalize_dim(dim, ndim, op);
    BCL_CHECK(!reduced[d], op, ": dim ", dim, " is named twice for a tensor with ", ndim, " dims");
    reduced[d] = true;
  }
  return reduced;
}

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim,
                    const char* op) {
  const std::vector<bool> reduced = reduced_dims(static_cast<int64_t>(shape.size()), dims, op);
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

}  // namespace bcl
