// Shapes and strides, and the broadcasting rule shared by every elementwise op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bcl {

using Shape = std::vector<int64_t>;

int64_t numel_of(const Shape& shape);
// Row-major strides, in elements.
Shape contiguous_strides(const Shape& shape);
// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
// Maps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);
// NumPy broadcasting: shapes are right-aligned and each pair of sizes must be equal or 1.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 on broadcast
// dims).
Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target);

}  // namespace bcl
