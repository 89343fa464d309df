// Helpers shared by the tests: seeded random tensors and closeness checks with stated tolerances.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "autograd/gradcheck.h"
#include "tensor/ops.h"
#include "tensor/random.h"

namespace bcl::test {

// `relative` (to the repository root) prefixed with $BCL_REPO_ROOT when set; the tests otherwise
// run from the repository root.
inline std::string repo_path(const std::string& relative) {
  const char* root = std::getenv("BCL_REPO_ROOT");
  return root != nullptr && *root != '\0' ? (std::filesystem::path(root) / relative).string()
                                          : relative;
}

// Normal(0, 1) values, seeded; float64 by default (gradient checks).
inline Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::Float64) {
  Tensor t = empty(shape, dtype);
  Generator gen(seed);
  raw::normal_(t, 0.0, 1.0, gen);
  return t;
}

inline Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed,
                      DType dtype = DType::Float64) {
  Tensor t = empty(shape, dtype);
  Generator gen(seed);
  raw::uniform_(t, lo, hi, gen);
  return t;
}

// Largest |a - b| / (atol + rtol |b|); <= 1 means every element is within tolerance.
inline double closeness(const Tensor& a, const Tensor& b, double atol, double rtol) {
  REQUIRE_MESSAGE(a.shape() == b.shape(), "shapes ", shape_str(a.shape()), " vs ",
                  shape_str(b.shape()));
  auto va = a.to_vector(), vb = b.to_vector();
  double worst = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const double diff = std::fabs(va[i] - vb[i]);
    double r = diff == 0 ? 0 : diff / (atol + rtol * std::fabs(vb[i]));
    if (!(r <= worst)) worst = r;  // NaN propagates as a failure
  }
  return worst;
}

// Bit for bit: same shape, same values.
inline void check_equal(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  CHECK(a.to_vector() == b.to_vector());
}

#define CHECK_ALLCLOSE(a, b, atol, rtol) \
  CHECK(::bcl::test::closeness((a), (b), (atol), (rtol)) <= 1.0)

// Runs gradcheck and reports its message on failure. Wrap a braced input list in parentheses:
// CHECK_GRADCHECK(f, (std::vector<Tensor>{a, b})).
#define CHECK_GRADCHECK(f, inputs, ...)                               \
  do {                                                                \
    auto gc_result_ = ::bcl::gradcheck((f), (inputs), ##__VA_ARGS__); \
    INFO(gc_result_.message);                                         \
    CHECK(gc_result_.ok);                                             \
    CHECK(gc_result_.checked > 0);                                    \
  } while (0)

// Square convolution and pooling geometry, as the tests spell it.
inline Conv2dParams conv(int64_t stride, int64_t pad, int64_t groups = 1) {
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.groups = groups;
  return p;
}
inline Pool2dParams pool(int64_t kernel, int64_t stride, int64_t pad) {
  Pool2dParams p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  return p;
}

// A leaf that requires grad.
inline Tensor param(Tensor t) {
  t.set_requires_grad(true);
  return t;
}

}  // namespace bcl::test
