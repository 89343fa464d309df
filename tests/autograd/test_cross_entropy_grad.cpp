// The gradient of cross_entropy, and its values against the definition.
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

Tensor labels_of(const std::vector<double>& values) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, DType::Int64);
}

// -1/N sum_i log(exp(z_iy) / sum_j exp(z_ij)) with z = logits + offset, straight from the
// definition (no max shift: the test logits are small).
double cross_entropy_by_definition(const Tensor& logits, const Tensor& labels,
                                   const Tensor& offset) {
  const int64_t n = logits.size(0), c = logits.size(1);
  const std::vector<double> l = logits.to_vector(), y = labels.to_vector();
  const std::vector<double> off = offset.defined() ? offset.to_vector() : std::vector<double>(c, 0);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    double denom = 0;
    for (int64_t j = 0; j < c; ++j) denom += std::exp(l[i * c + j] + off[j]);
    const int64_t label = static_cast<int64_t>(y[i]);
    total += -std::log(std::exp(l[i * c + label] + off[label]) / denom);
  }
  return total / static_cast<double>(n);
}

}  // namespace

TEST_CASE("gradcheck/cross_entropy") {
  Tensor logits = test::param(test::randn({4, 5}, 3));
  Tensor labels = labels_of({2, 0, 4, 2});
  Tensor offset = test::randn({5}, 4);  // e.g. tau * log prior, per class
  CHECK_GRADCHECK([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], labels); },
                  std::vector<Tensor>{logits});
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) { return cross_entropy(in[0], labels, offset); },
      std::vector<Tensor>{logits});
}

TEST_CASE("cross_entropy/forward_matches_definition") {
  Tensor logits = test::randn({6, 4}, 5);
  Tensor labels = labels_of({0, 3, 1, 1, 2, 3});
  Tensor offset = from_vector({std::log(0.5), std::log(0.25), std::log(0.15), std::log(0.1)}, {4},
                              DType::Float64);
  CHECK(cross_entropy(logits, labels).item() ==
        doctest::Approx(cross_entropy_by_definition(logits, labels, Tensor())).epsilon(1e-13));
  CHECK(cross_entropy(logits, labels, offset).item() ==
        doctest::Approx(cross_entropy_by_definition(logits, labels, offset)).epsilon(1e-13));
  // Float32 logits agree to float precision.
  Tensor logits32 = raw::to_dtype(logits, DType::Float32);
  CHECK(cross_entropy(logits32, labels, raw::to_dtype(offset, DType::Float32)).item() ==
        doctest::Approx(cross_entropy_by_definition(logits, labels, offset)).epsilon(1e-6));
  // Uniform logits: log C.
  CHECK(cross_entropy(zeros({3, 4}, DType::Float64), labels_of({0, 1, 2})).item() ==
        doctest::Approx(std::log(4.0)).epsilon(1e-15));
}

TEST_CASE("cross_entropy/stable_for_large_logits") {
  // Logits of 1000 overflow exp; the loss is that of the shifted logits.
  Tensor big = from_vector({1000, 1002, 999, 1001}, {2, 2}, DType::Float64);
  Tensor shifted = from_vector({0, 2, 0, 2}, {2, 2}, DType::Float64);
  Tensor labels = labels_of({0, 1});
  const double expected = cross_entropy_by_definition(shifted, labels, Tensor());
  CHECK(cross_entropy(big, labels).item() == doctest::Approx(expected).epsilon(1e-12));
}

TEST_CASE("cross_entropy/errors") {
  Tensor logits = zeros({3, 4}, DType::Float64);
  Tensor labels = labels_of({0, 1, 2});
  CHECK_THROWS_WITH_AS(cross_entropy(zeros({3}, DType::Float64), labels),
                       doctest::Contains("cross_entropy: logits must be [N, C], got shape [3]"),
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, labels_of({0, 1})),
                       doctest::Contains("cross_entropy: labels must be int64 of shape [3]"),
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, zeros({3}, DType::Float64)),
                       doctest::Contains("cross_entropy: labels must be int64"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, labels, zeros({3}, DType::Float64)),
                       doctest::Contains("cross_entropy: offset must have shape [4]"), Error);
  CHECK_THROWS_WITH_AS(
      cross_entropy(logits, labels_of({0, 4, 1})),
      doctest::Contains("cross_entropy: gather_labels: labels[1] = 4 is out of range [0, 4)"),
      Error);
}
