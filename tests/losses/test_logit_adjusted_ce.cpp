// log_prior and logit_adjusted_cross_entropy against their definitions, gradients, invariances
// and argument errors.
#include <cmath>
#include <random>
#include <vector>

#include "autograd/ops.h"
#include "losses/logit_adjusted_ce.h"
#include "tests/data/data_test_util.h"
#include "tests/losses/loss_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

// -1/N sum_i log( pi_{y_i}^tau exp(f_{i y_i}) / sum_c pi_c^tau exp(f_ic) ), in double.
double reference(const Tensor& logits, const std::vector<int64_t>& labels,
                 const std::vector<int64_t>& counts, double tau) {
  const int64_t n = logits.size(0), c = logits.size(1);
  const std::vector<double> f = logits.to_vector();
  double total_count = 0;
  for (int64_t k : counts) total_count += static_cast<double>(k);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    double denominator = 0;
    for (int64_t j = 0; j < c; ++j)
      denominator += std::pow(counts[j] / total_count, tau) * std::exp(f[i * c + j]);
    const int64_t y = labels[i];
    total +=
        -std::log(std::pow(counts[y] / total_count, tau) * std::exp(f[i * c + y]) / denominator);
  }
  return total / static_cast<double>(n);
}

}  // namespace

TEST_CASE("losses/log_prior/values_and_errors") {
  const Tensor p = losses::log_prior({500, 50, 5}, 1.0, DType::Float64);
  CHECK(p.shape() == Shape{3});
  const std::vector<double> v = p.to_vector();
  CHECK(v[0] == doctest::Approx(std::log(500.0 / 555)).epsilon(1e-15));
  CHECK(v[2] == doctest::Approx(std::log(5.0 / 555)).epsilon(1e-15));
  CHECK(losses::log_prior({500, 50, 5}, 0.5, DType::Float32).to_vector()[1] ==
        doctest::Approx(0.5 * std::log(50.0 / 555)).epsilon(1e-6));
  CHECK(losses::log_prior({3, 3}, 2.0, DType::Float64).to_vector()[0] ==
        doctest::Approx(2 * std::log(0.5)).epsilon(1e-15));

  auto error_of = [](auto&& fn) { return test::error_message(fn); };
  CHECK(contains(error_of([] { losses::log_prior({4, 0, 2}, 1.0); }), "class 1 has count 0"));
  CHECK(contains(error_of([] { losses::log_prior({4, 1, -2}, 1.0); }), "class 2 has count -2"));
  CHECK(contains(error_of([] { losses::log_prior({}, 1.0); }), "class_counts is empty"));
  CHECK(contains(error_of([] { losses::log_prior({1, 2}, INFINITY); }), "tau must be finite"));
  CHECK(contains(error_of([] { losses::log_prior({1, 2}, 1.0, DType::Int64); }), "floating point"));
}

TEST_CASE("losses/logit_adjusted_ce/matches_definition") {
  // Classes 3 and 5 absent from the batch, 0 and 2 repeated; heavy imbalance in the counts.
  const std::vector<int64_t> counts = {1000, 300, 90, 27, 8, 2};
  const std::vector<int64_t> y = {0, 2, 0, 1, 4, 2, 0, 2};
  for (DType dt : {DType::Float64, DType::Float32}) {
    for (double tau : {0.0, 1.0, 1.5}) {
      CAPTURE(dtype_name(dt));
      CAPTURE(tau);
      const Tensor logits = test::randn({8, 6}, 200 + static_cast<uint64_t>(tau * 10), dt);
      const double got = losses::logit_adjusted_cross_entropy(logits, test::labels_of(y),
                                                              losses::log_prior(counts, tau, dt))
                             .item();
      // float32: the offset and logits rounded (|z| < 12), log-softmax in float32.
      CHECK(got == doctest::Approx(reference(logits, y, counts, tau))
                       .epsilon(dt == DType::Float64 ? 1e-13 : 1e-5));
    }
  }
}

TEST_CASE("losses/logit_adjusted_ce/special_cases") {
  const Tensor logits = test::randn({5, 4}, 211);
  const Tensor y = test::labels_of({3, 1, 1, 0, 2});
  const double plain = cross_entropy(logits, y).item();
  // tau = 0 and equal counts both reduce to plain cross-entropy (a constant offset cancels).
  CHECK(losses::logit_adjusted_cross_entropy(logits, y,
                                             losses::log_prior({9, 1, 4, 2}, 0.0, DType::Float64))
            .item() == doctest::Approx(plain).epsilon(1e-14));
  CHECK(losses::logit_adjusted_cross_entropy(logits, y,
                                             losses::log_prior({7, 7, 7, 7}, 1.0, DType::Float64))
            .item() == doctest::Approx(plain).epsilon(1e-14));
  // Permuting the batch leaves the mean unchanged.
  const Tensor offset = losses::log_prior({9, 1, 4, 2}, 1.0, DType::Float64);
  const Tensor order = test::labels_of({4, 0, 3, 1, 2});
  CHECK(losses::logit_adjusted_cross_entropy(raw::index_select(logits, 0, order),
                                             raw::index_select(y, 0, order), offset)
            .item() ==
        doctest::Approx(losses::logit_adjusted_cross_entropy(logits, y, offset).item())
            .epsilon(1e-14));
}

TEST_CASE("gradcheck/logit_adjusted_cross_entropy") {
  const Tensor logits = test::param(test::randn({6, 5}, 221));
  const Tensor y = test::labels_of({0, 0, 4, 2, 0, 2});
  const Tensor offset = losses::log_prior({100, 40, 10, 3, 1}, 1.0, DType::Float64);
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return losses::logit_adjusted_cross_entropy(in[0], y, offset);
      },
      (std::vector<Tensor>{logits}));
}

TEST_CASE("losses/logit_adjusted_ce/argument_errors") {
  const Tensor logits = test::randn({3, 4}, 231);
  const Tensor y = test::labels_of({0, 3, 1});
  const Tensor offset = losses::log_prior({4, 3, 2, 1}, 1.0, DType::Float64);
  auto error_of = [](auto&& fn) { return test::error_message(fn); };
  CHECK(contains(error_of([&] { losses::logit_adjusted_cross_entropy(logits, y, Tensor()); }),
                 "log_prior_offset is undefined"));
  CHECK(contains(error_of([&] {
                   losses::logit_adjusted_cross_entropy(
                       logits, y, losses::log_prior({1, 2, 3}, 1.0, DType::Float64));
                 }),
                 "log_prior_offset must have shape [4]"));
  CHECK(contains(error_of([&] {
                   losses::logit_adjusted_cross_entropy(
                       logits, y, losses::log_prior({4, 3, 2, 1}, 1.0, DType::Float32));
                 }),
                 "offset is float32"));
  CHECK(contains(error_of([&] {
                   losses::logit_adjusted_cross_entropy(logits, test::labels_of({0, 4, 1}), offset);
                 }),
                 "logit_adjusted_cross_entropy: cross_entropy:"));
  CHECK(contains(error_of([&] {
                   losses::logit_adjusted_cross_entropy(logits, test::labels_of({0, 1}), offset);
                 }),
                 "labels must be int64 of shape [3]"));
  CHECK(contains(
      error_of([&] { losses::logit_adjusted_cross_entropy(test::randn({4}, 1), y, offset); }),
      "logits must be [N, C]"));
}
