// supcon_loss against a slow reference written from the paper's definition (L_out), its
// gradients, its invariances and its argument errors.
#include <cmath>
#include <random>
#include <vector>

#include "autograd/ops.h"
#include "losses/supcon.h"
#include "tests/data/data_test_util.h"
#include "tests/losses/loss_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

// Eq. 2 of Khosla et al. in double, no max shift; anchors without a positive are skipped.
double supcon_reference(const Tensor& features, const std::vector<int64_t>& labels, double t) {
  const int64_t n = features.size(0), v = features.size(1), d = features.size(2);
  const std::vector<double> f = features.to_vector();
  auto row = [&](int64_t a) { return &f[((a % n) * v + a / n) * d]; };  // anchor a = view a / n
  auto sim = [&](int64_t a, int64_t b) {
    double s = 0;
    for (int64_t e = 0; e < d; ++e) s += row(a)[e] * row(b)[e];
    return s / t;
  };
  double total = 0;
  int anchors = 0;
  for (int64_t i = 0; i < n * v; ++i) {
    double denominator = 0;
    for (int64_t a = 0; a < n * v; ++a)
      if (a != i) denominator += std::exp(sim(i, a));
    double sum_log = 0;
    int positives = 0;
    for (int64_t p = 0; p < n * v; ++p) {
      if (p == i || labels[p % n] != labels[i % n]) continue;
      sum_log += std::log(std::exp(sim(i, p)) / denominator);
      ++positives;
    }
    if (positives == 0) continue;
    total += -sum_log / positives;
    ++anchors;
  }
  return total / anchors;
}

Tensor permute_rows(const Tensor& x, const std::vector<int64_t>& order) {
  return raw::index_select(x, 0, test::labels_of(order));
}

}  // namespace

TEST_CASE("losses/supcon/matches_definition") {
  // {batch, views, classes, dim, temperature}; V = 1 leaves anchors with a unique label out.
  struct Case {
    int64_t n, v, classes, d;
    double t;
  };
  const std::vector<Case> cases = {{8, 2, 3, 5, 0.1},
                                   {6, 1, 3, 4, 0.2},
                                   {5, 3, 5, 3, 0.07},
                                   {1, 2, 1, 4, 0.5},
                                   {10, 2, 10, 6, 1.0}};
  uint64_t seed = 100;
  for (const Case& k : cases) {
    for (DType dt : {DType::Float64, DType::Float32}) {
      CAPTURE(k.n);
      CAPTURE(k.v);
      CAPTURE(dtype_name(dt));
      ++seed;
      const Tensor f = test::unit_rows(test::randn({k.n, k.v, k.d}, seed, dt));
      std::vector<int64_t> y = test::random_labels(k.n, k.classes, seed);
      if (k.v == 1) y[0] = y[1];  // at least one positive pair
      const double expected = supcon_reference(f, y, k.t);
      const double got = losses::supcon_loss(f, test::labels_of(y), k.t).item();
      // float64: rounding only; float32 (seen: 2e-7): a few ulps of each logit through exp, log.
      CHECK(got == doctest::Approx(expected).epsilon(dt == DType::Float64 ? 1e-12 : 1e-5));
    }
  }
}

TEST_CASE("losses/supcon/anchors_without_positive_are_left_out") {
  // One view; label 7 is alone, so its anchor is not in the mean. Adding it would change the
  // value: the loss equals the mean over the two anchors of class 1 only.
  const Tensor f = test::unit_rows(test::randn({3, 1, 4}, 111));
  const double t = 0.3;
  const std::vector<double> z = f.to_vector();
  auto s = [&](int a, int b) {
    double d = 0;
    for (int e = 0; e < 4; ++e) d += z[a * 4 + e] * z[b * 4 + e];
    return d / t;
  };
  const double l0 = std::log(std::exp(s(0, 1)) + std::exp(s(0, 2))) - s(0, 1);
  const double l1 = std::log(std::exp(s(1, 0)) + std::exp(s(1, 2))) - s(1, 0);
  CHECK(losses::supcon_loss(f, test::labels_of({1, 1, 7}), t).item() ==
        doctest::Approx((l0 + l1) / 2).epsilon(1e-14));
}

TEST_CASE("gradcheck/supcon_loss") {
  const Tensor f = test::param(test::unit_rows(test::randn({5, 2, 4}, 121)));
  const Tensor y = test::labels_of({0, 2, 2, 0, 1});
  for (double t : {0.1, 0.5}) {
    CAPTURE(t);
    CHECK_GRADCHECK([&](const std::vector<Tensor>& in) { return losses::supcon_loss(in[0], y, t); },
                    (std::vector<Tensor>{f}));
  }
  // One view with a singleton class (masked anchor) and three views.
  const Tensor f1 = test::param(test::unit_rows(test::randn({4, 1, 3}, 122)));
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return losses::supcon_loss(in[0], test::labels_of({0, 1, 0, 0}), 0.2);
      },
      (std::vector<Tensor>{f1}));
  const Tensor f3 = test::param(test::randn({3, 3, 3}, 123));
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return losses::supcon_loss(l2_normalize(in[0], 2), test::labels_of({4, 4, 1}), 0.2);
      },
      (std::vector<Tensor>{f3}));
}

TEST_CASE("losses/supcon/invariances") {
  const Tensor f = test::unit_rows(test::randn({7, 2, 6}, 131));
  const std::vector<int64_t> y = {3, 0, 3, 3, 1, 0, 5};
  const double base = losses::supcon_loss(f, test::labels_of(y), 0.1).item();
  const std::vector<int64_t> order = {4, 2, 6, 0, 1, 5, 3};
  std::vector<int64_t> y_perm;
  for (int64_t i : order) y_perm.push_back(y[i]);
  CHECK(losses::supcon_loss(permute_rows(f, order), test::labels_of(y_perm), 0.1).item() ==
        doctest::Approx(base).epsilon(1e-13));
  const Tensor swapped = raw::concat({raw::narrow(f, 1, 1, 1), raw::narrow(f, 1, 0, 1)}, 1);
  CHECK(losses::supcon_loss(swapped, test::labels_of(y), 0.1).item() ==
        doctest::Approx(base).epsilon(1e-13));
  // Only equality of labels matters, not their values.
  std::vector<int64_t> renamed;
  for (int64_t v : y) renamed.push_back(100 - 7 * v);
  CHECK(losses::supcon_loss(f, test::labels_of(renamed), 0.1).item() ==
        doctest::Approx(base).epsilon(1e-13));
}

TEST_CASE("losses/supcon/stable_in_float32_at_small_temperature") {
  // 1/T = 200: a row max that includes the self-similarity would underflow the whole denominator
  // in float32 (see the same case in test_bcl.cpp).
  const Tensor f64 = test::unit_rows(test::randn({6, 2, 8}, 141));
  const Tensor y = test::labels_of({0, 1, 1, 0, 0, 2});
  const double l64 = losses::supcon_loss(f64, y, 0.005).item();
  const double l32 = losses::supcon_loss(raw::to_dtype(f64, DType::Float32), y, 0.005).item();
  CHECK(std::isfinite(l32));
  CHECK(l32 == doctest::Approx(l64).epsilon(1e-4));  // float32 rounding amplified by 1/T
}

TEST_CASE("losses/supcon/argument_errors") {
  const Tensor f = test::unit_rows(test::randn({3, 2, 4}, 151));
  const Tensor y = test::labels_of({0, 1, 1});
  auto error_of = [](auto&& fn) { return test::error_message(fn); };
  CHECK(contains(error_of([&] { losses::supcon_loss(f, y, 0.0); }), "temperature must be"));
  CHECK(contains(error_of([&] { losses::supcon_loss(f, y, std::nan("")); }), "temperature"));
  CHECK(contains(error_of([&] { losses::supcon_loss(raw::narrow(f, 1, 0, 0), y, 0.1); }),
                 "no views"));
  CHECK(contains(error_of([&] {
                   losses::supcon_loss(test::unit_rows(test::randn({3, 4}, 1)), y, 0.1);
                 }),
                 "features must be [N, V, D]"));
  CHECK(contains(error_of([&] { losses::supcon_loss(raw::to_dtype(f, DType::Int64), y, 0.1); }),
                 "features must be floating point"));
  CHECK(contains(error_of([&] {
                   losses::supcon_loss(f, test::labels_of({0, 1, 1, 2}), 0.1);
                 }),
                 "labels must be int64 of shape [3]"));
  CHECK(contains(error_of([&] { losses::supcon_loss(f, raw::to_dtype(y, DType::Float32), 0.1); }),
                 "labels must be int64"));
  CHECK(contains(error_of([&] {
                   losses::supcon_loss(raw::narrow(f, 1, 0, 1), test::labels_of({0, 1, 2}), 0.1);
                 }),
                 "no anchor has a positive"));
}
