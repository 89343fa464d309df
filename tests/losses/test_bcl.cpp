// bcl_loss against a slow reference written from the paper's definition, its gradients, its
// invariances and its argument errors.
#include <cmath>
#include <random>
#include <vector>

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "tensor/device.h"
#include "tensor/value_checks.h"
#include "tests/data/data_test_util.h"
#include "tests/losses/loss_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

// Straight from the definition, in double: no max shift, columns and |B_j| counted one by one.
double bcl_reference(const Tensor& features, const std::vector<int64_t>& labels,
                     const Tensor& prototypes, double t) {
  const int64_t b = features.size(0), d = features.size(2), c = prototypes.size(0);
  const std::vector<double> f = features.to_vector(), p = prototypes.to_vector();
  std::vector<std::vector<double>> col;
  std::vector<int64_t> col_label;
  for (int64_t v = 0; v < 2; ++v)
    for (int64_t n = 0; n < b; ++n) {
      col.emplace_back(f.begin() + (n * 2 + v) * d, f.begin() + (n * 2 + v + 1) * d);
      col_label.push_back(labels[n]);
    }
  for (int64_t j = 0; j < c; ++j) {
    col.emplace_back(p.begin() + j * d, p.begin() + (j + 1) * d);
    col_label.push_back(j);
  }
  auto sim = [&](size_t i, size_t k) {
    double s = 0;
    for (int64_t e = 0; e < d; ++e) s += col[i][e] * col[k][e];
    return s / t;
  };
  double total = 0;
  for (size_t i = 0; i < static_cast<size_t>(2 * b); ++i) {
    std::vector<double> class_sum(c, 0), class_size(c, 0);
    for (size_t k = 0; k < col.size(); ++k) {
      if (k == i) continue;
      class_sum[col_label[k]] += std::exp(sim(i, k));
      class_size[col_label[k]] += 1;
    }
    double denominator = 0;
    for (int64_t j = 0; j < c; ++j) denominator += class_sum[j] / class_size[j];
    double sum_log = 0;
    int positives = 0;
    for (size_t k = 0; k < col.size(); ++k) {
      if (k == i || col_label[k] != col_label[i]) continue;
      sum_log += std::log(std::exp(sim(i, k)) / denominator);
      ++positives;
    }
    total += -sum_log / positives;
  }
  return total / static_cast<double>(2 * b);
}

Tensor permute_rows(const Tensor& x, const std::vector<int64_t>& order) {
  return raw::index_select(x, 0, test::labels_of(order));
}

Tensor swap_views(const Tensor& features) {
  return raw::concat({raw::narrow(features, 1, 1, 1), raw::narrow(features, 1, 0, 1)}, 1);
}

template <class F>
std::string error_of(F&& f) {
  return test::error_message(std::forward<F>(f));
}

}  // namespace

TEST_CASE("losses/bcl/matches_definition") {
  // {batch, classes, classes used by the labels, dim, temperature}: repeated classes everywhere,
  // absent classes (only their prototype) whenever used < classes, a single image, a single class.
  struct Case {
    int64_t b, c, used, d;
    double t;
  };
  const std::vector<Case> cases = {{8, 6, 3, 5, 0.1}, {5, 4, 4, 3, 0.5}, {12, 10, 4, 8, 0.07},
                                   {1, 3, 1, 4, 0.1}, {6, 1, 1, 3, 0.2}, {16, 5, 5, 16, 1.0}};
  uint64_t seed = 10;
  for (const Case& k : cases) {
    for (DType dt : {DType::Float64, DType::Float32}) {
      CAPTURE(k.b);
      CAPTURE(k.c);
      CAPTURE(k.t);
      CAPTURE(dtype_name(dt));
      ++seed;
      const Tensor f = test::unit_rows(test::randn({k.b, 2, k.d}, seed, dt));
      const Tensor p = test::unit_rows(test::randn({k.c, k.d}, seed + 100, dt));
      const std::vector<int64_t> y = test::random_labels(k.b, k.used, seed);
      const double expected = bcl_reference(f, y, p, k.t);  // on the same (rounded) inputs
      const double got = losses::bcl_loss(f, test::labels_of(y), p, k.t).item();
      // float64: the two summation orders agree to rounding; float32 (seen: 2e-7): a few ulps of
      // each logit
      // (|z.z|/T <= 1/T) through exp and log.
      const double tol = dt == DType::Float64 ? 1e-12 : 1e-5;
      CHECK(got == doctest::Approx(expected).epsilon(tol));
    }
  }
}

TEST_CASE("losses/bcl/hand_computed_single_image") {
  // One image, one class: columns v1, v2, prototype. For anchor v1, B_0 = {v2, proto}, so
  // denominator = (e^{s12} + e^{s1p}) / 2 and loss = log denominator - (s12 + s1p) / 2; by symmetry
  // of the dot product the same form holds for v2.
  const Tensor f = from_vector({1, 0, 0.6, 0.8}, {1, 2, 2}, DType::Float64);
  const Tensor p = from_vector({0, 1}, {1, 2}, DType::Float64);
  const double t = 0.5, s12 = 0.6 / t, s1p = 0.0 / t, s2p = 0.8 / t;
  const double l1 = std::log((std::exp(s12) + std::exp(s1p)) / 2) - (s12 + s1p) / 2;
  const double l2 = std::log((std::exp(s12) + std::exp(s2p)) / 2) - (s12 + s2p) / 2;
  CHECK(losses::bcl_loss(f, test::labels_of({0}), p, t).item() ==
        doctest::Approx((l1 + l2) / 2).epsilon(1e-14));
}

TEST_CASE("gradcheck/bcl_loss") {
  // Repeated classes (0, 2) and absent ones (1, 3); gradients for features and prototypes.
  const Tensor f = test::param(test::unit_rows(test::randn({5, 2, 4}, 31)));
  const Tensor p = test::param(test::unit_rows(test::randn({4, 4}, 32)));
  const Tensor y = test::labels_of({0, 2, 2, 0, 2});
  for (double t : {0.1, 0.5}) {
    CAPTURE(t);
    CHECK_GRADCHECK(
        [&](const std::vector<Tensor>& in) { return losses::bcl_loss(in[0], y, in[1], t); },
        (std::vector<Tensor>{f, p}));
  }
  // As in training: raw embeddings normalised inside the graph.
  const Tensor raw_f = test::param(test::randn({4, 2, 3}, 33));
  const Tensor raw_p = test::param(test::randn({3, 3}, 34));
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return losses::bcl_loss(l2_normalize(in[0], 2), test::labels_of({1, 1, 0, 1}),
                                l2_normalize(in[1], 1), 0.2);
      },
      (std::vector<Tensor>{raw_f, raw_p}));
}

TEST_CASE("losses/bcl/invariances") {
  const Tensor f = test::unit_rows(test::randn({7, 2, 6}, 41));
  const Tensor p = test::unit_rows(test::randn({5, 6}, 42));
  const std::vector<int64_t> y = {3, 0, 3, 3, 1, 0, 3};
  const double base = losses::bcl_loss(f, test::labels_of(y), p, 0.1).item();

  // Permuting the images permutes anchors and columns alike.
  const std::vector<int64_t> order = {4, 2, 6, 0, 1, 5, 3};
  std::vector<int64_t> y_perm;
  for (int64_t i : order) y_perm.push_back(y[i]);
  CHECK(losses::bcl_loss(permute_rows(f, order), test::labels_of(y_perm), p, 0.1).item() ==
        doctest::Approx(base).epsilon(1e-13));
  // Swapping the two views swaps the halves of the anchors and of the columns.
  CHECK(losses::bcl_loss(swap_views(f), test::labels_of(y), p, 0.1).item() ==
        doctest::Approx(base).epsilon(1e-13));
  // Renaming the classes, prototypes' rows moved along: class j becomes sigma[j].
  const std::vector<int64_t> sigma = {2, 4, 0, 1, 3};
  std::vector<int64_t> y_renamed, inverse(5);
  for (int64_t v : y) y_renamed.push_back(sigma[v]);
  for (int64_t j = 0; j < 5; ++j) inverse[sigma[j]] = j;
  CHECK(losses::bcl_loss(f, test::labels_of(y_renamed), permute_rows(p, inverse), 0.1).item() ==
        doctest::Approx(base).epsilon(1e-13));
}

TEST_CASE("losses/bcl/stable_in_float32_at_small_temperature") {
  // At T = 0.005 the self-similarity 1/T = 200 exceeds the other logits by about 200: with the max
  // taken over the whole row (the official code), every other term of the denominator underflows
  // to 0 in float32 and the loss is inf. The max without the self column keeps it finite.
  const Tensor f64 = test::unit_rows(test::randn({6, 2, 8}, 51));
  const Tensor p64 = test::unit_rows(test::randn({3, 8}, 52));
  const Tensor y = test::labels_of({0, 1, 1, 0, 0, 1});
  const Tensor f32 = raw::to_dtype(f64, DType::Float32), p32 = raw::to_dtype(p64, DType::Float32);
  const double l64 = losses::bcl_loss(f64, y, p64, 0.005).item();
  const Tensor f32_param = test::param(f32), p32_param = test::param(p32);
  const Tensor loss32 = losses::bcl_loss(f32_param, y, p32_param, 0.005);
  const double l32 = loss32.item();
  CHECK(std::isfinite(l32));
  // The self column enters exp() as -inf: its gradient must be 0, not 0 * inf = NaN.
  backward(loss32);
  for (const Tensor& g : {f32_param.grad(), p32_param.grad()})
    for (double v : g.to_vector()) REQUIRE(std::isfinite(v));
  // The float32 inputs are the float64 ones rounded (relative 6e-8), amplified by 1/T = 200.
  CHECK(l32 == doctest::Approx(l64).epsilon(1e-4));
}

TEST_CASE("losses/bcl/argument_errors") {
  const Tensor f = test::unit_rows(test::randn({3, 2, 4}, 61));
  const Tensor p = test::unit_rows(test::randn({2, 4}, 62));
  const Tensor y = test::labels_of({0, 1, 1});
  CHECK(contains(error_of([&] { losses::bcl_loss(f, y, p, 0.0); }), "temperature"));
  CHECK(contains(error_of([&] { losses::bcl_loss(f, y, p, -1.0); }), "temperature"));
  CHECK(contains(error_of([&] {
                   losses::bcl_loss(test::unit_rows(test::randn({3, 3, 4}, 1)), y, p, 0.1);
                 }),
                 "2 views"));
  CHECK(
      contains(error_of([&] { losses::bcl_loss(raw::narrow(f, 1, 0, 1), y, p, 0.1); }), "2 views"));
  CHECK(contains(error_of([&] {
                   losses::bcl_loss(test::unit_rows(test::randn({3, 4}, 1)), y, p, 0.1);
                 }),
                 "features must be [N, V, D]"));
  CHECK(contains(error_of([&] {
                   losses::bcl_loss(f, test::labels_of({0, 1}), p, 0.1);
                 }),
                 "labels must be int64 of shape [3]"));
  CHECK(contains(error_of([&] { losses::bcl_loss(f, raw::to_dtype(y, DType::Float64), p, 0.1); }),
                 "labels must be int64"));
  const std::string out_of_range = error_of([&] {
    losses::bcl_loss(f, test::labels_of({0, 2, 1}), p, 0.1);
  });
  CHECK(contains(out_of_range, "labels[1] = 2 is outside [0, 2)"));
  CHECK(contains(error_of([&] {
                   losses::bcl_loss(f, test::labels_of({0, -1, 1}), p, 0.1);
                 }),
                 "labels[1] = -1"));
  CHECK(contains(error_of([&] {
                   losses::bcl_loss(f, y, test::unit_rows(test::randn({2, 5}, 1)), 0.1);
                 }),
                 "prototypes must be [C, D]"));
  CHECK(contains(error_of([&] { losses::bcl_loss(f, y, raw::to_dtype(p, DType::Float32), 0.1); }),
                 "prototypes are float32"));
  CHECK(contains(error_of([&] { losses::bcl_loss(f, y, Tensor(), 0.1); }),
                 "prototypes are undefined"));
}

TEST_CASE("cuda/bcl_loss_bad_label_unchecked_gives_nan") {
  if (!cuda_available()) return;  // CPU labels are always checked (test above)
  const Tensor f = raw::to_device(test::unit_rows(test::randn({3, 2, 4}, 61)), Device::CUDA);
  const Tensor p = raw::to_device(test::unit_rows(test::randn({2, 4}, 62)), Device::CUDA);
  const Tensor bad = raw::to_device(test::labels_of({0, 2, 1}), Device::CUDA);
  CHECK(contains(error_of([&] { losses::bcl_loss(f, bad, p, 0.1); }),
                 "labels[1] = 2 is outside [0, 2)"));
  NoGpuValueChecks off;
  CHECK(std::isnan(losses::bcl_loss(f, bad, p, 0.1).item()));
}
