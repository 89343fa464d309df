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
// Which of ndim dims `dims` names (all of them when dims is empty), negative dims counting from
// the end. A dim out of range or named twice throws naming `op`.
std::vector<bool> reduced_dims(int64_t ndim, const std::vector<int64_t>& dims, const char* op);
// The shape of a reduction of `shape` over `dims`: reduced dims become 1 (keepdim) or go away.
Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim,
                    const char* op);

}  // namespace bcl
