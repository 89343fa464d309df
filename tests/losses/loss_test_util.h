// Inputs the loss tests share: unit feature rows, int64 label tensors, and random labels that
// leave some classes out of the batch.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "tensor/ops.h"

namespace bcl::test {

// Rows of unit length along the last dim.
inline Tensor unit_rows(const Tensor& x) {
  return raw::div(x, raw::sqrt(raw::sum(raw::mul(x, x), {x.dim() - 1}, true)));
}

inline Tensor labels_of(const std::vector<int64_t>& y) {
  return from_vector(std::vector<double>(y.begin(), y.end()), {static_cast<int64_t>(y.size())},
                     DType::Int64);
}

// n labels drawn from the first `used` classes, so any others are absent from the batch.
inline std::vector<int64_t> random_labels(int64_t n, int64_t used, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> y(n);
  for (int64_t& v : y) v = static_cast<int64_t>(rng() % static_cast<uint64_t>(used));
  return y;
}

}  // namespace bcl::test
