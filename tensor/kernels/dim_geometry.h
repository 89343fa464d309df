// A contiguous tensor seen as [outer, size, inner] around one dim: the layout that ops working
// "along a dim" (softmax, index_select, index_add) share. Element (o, k, i) is at
// (o * size + k) * inner + i.
#pragma once

#include <cstdint>

#include "tensor/shape.h"

namespace bcl {

struct DimGeometry {
  int64_t outer = 1;  // product of the sizes before dim
  int64_t size = 1;   // the size of dim
  int64_t inner = 1;  // product of the sizes after dim
};

// `dim` must already be normalised into [0, shape.size()).
inline DimGeometry dim_geometry(const Shape& shape, int64_t dim) {
  DimGeometry g;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) g.outer *= shape[d];
    if (d == dim) g.size = shape[d];
    if (d > dim) g.inner *= shape[d];
  }
  return g;
}

}  // namespace bcl
