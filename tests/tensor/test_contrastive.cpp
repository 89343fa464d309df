// The fused contrastive-loss ops on the CPU: raw::contrastive_forward / contrastive_backward
// against the definition, and the losses built on them (supcon_loss, bcl_loss) against the
// composition they replaced (losses/contrastive_common.h: masks, then autograd ops), values and
// gradients.
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/contrastive_common.h"
#include "losses/supcon.h"
#include "tests/data/data_test_util.h"
#include "tests/losses/loss_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

struct Reference {
  std::vector<double> loss, positives, class_count;
};

// Straight from the definition in raw::contrastive_forward, in double, without the max shift (the
// test logits are small): column labels, weights and positives counted one by one.
Reference reference(const Tensor& logits, const std::vector<int64_t>& labels, int64_t c) {
  const int64_t m = logits.size(0), k = logits.size(1), n = static_cast<int64_t>(labels.size());
  const std::vector<double> l = logits.to_vector();
  std::vector<int64_t> col(k);
  for (int64_t j = 0; j < k; ++j) col[j] = j < m ? labels[j % n] : j - m;
  Reference r;
  r.class_count.assign(c, 0);
  for (int64_t j = 0; j < k; ++j)
    if (c > 0) r.class_count[col[j]] += 1;
  for (int64_t i = 0; i < m; ++i) {
    double denom = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (j == i) continue;
      const double w = c > 0 ? 1.0 / (r.class_count[col[j]] - (col[j] == col[i])) : 1.0;
      denom += w * std::exp(l[i * k + j]);
    }
    double sum_log = 0;
    int positives = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (j == i || col[j] != col[i]) continue;
      sum_log += std::log(std::exp(l[i * k + j]) / denom);
      ++positives;
    }
    r.loss.push_back(positives > 0 ? -sum_log / positives : 0.0);
    r.positives.push_back(positives);
  }
  return r;
}

Tensor vec(const std::vector<double>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())}, DType::Float64);
}

// Leaves (copies) of the inputs that require grad, so both losses see equal, fresh parameters.
Tensor leaf(const Tensor& x) {
  return test::param(raw::clone(x));
}

}  // namespace

TEST_CASE("contrastive/forward_matches_definition") {
  // {images, views, classes (0: SupCon), classes used by the labels}: repeated and absent classes,
  // one image, one class, one view (anchors without a positive), three views, a row wider than 8
  // lanes and not a multiple of 8.
  struct Case {
    int64_t n, v, c, used;
  };
  const std::vector<Case> cases = {{8, 2, 0, 3},  {6, 1, 0, 3}, {5, 3, 0, 5}, {1, 2, 0, 1},
                                   {8, 2, 6, 3},  {5, 2, 4, 4}, {1, 2, 3, 1}, {6, 2, 1, 1},
                                   {13, 2, 7, 7}, {7, 1, 3, 2}};
  uint64_t seed = 700;
  for (const Case& t : cases) {
    CAPTURE(t.n);
    CAPTURE(t.v);
    CAPTURE(t.c);
    ++seed;
    const int64_t m = t.n * t.v, k = m + t.c;
    const Tensor logits = raw::mul_scalar(test::randn({m, k}, seed), 2.0);
    const std::vector<int64_t> y = test::random_labels(t.n, t.used, seed);
    const Reference r = reference(logits, y, t.c);
    const raw::ContrastiveParts parts = raw::contrastive_forward(logits, test::labels_of(y), t.c);
    // Rounding only: sums of a few dozen terms of size ~e^4.
    CHECK_ALLCLOSE(parts.loss, vec(r.loss), 1e-13, 1e-12);
    CHECK(parts.positives.to_vector() == r.positives);
    if (t.c > 0) {
      CHECK(parts.class_count.to_vector() == r.class_count);
    } else {
      CHECK_FALSE(parts.class_count.defined());
    }
    // m_i is the max without the diagonal.
    const std::vector<double> l = logits.to_vector(), mx = parts.row_max.to_vector();
    for (int64_t i = 0; i < m; ++i) {
      double expected = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < k; ++j)
        if (j != i) expected = std::max(expected, l[i * k + j]);
      CHECK(mx[i] == expected);
    }
  }
}

TEST_CASE("contrastive/anchors_without_positive") {
  // SupCon, one view: label 7 is alone, so anchor 2 has no positive: loss 0, no gradient.
  const Tensor logits = test::randn({3, 3}, 711);
  const Tensor labels = test::labels_of({1, 1, 7});
  const raw::ContrastiveParts parts = raw::contrastive_forward(logits, labels, 0);
  CHECK(parts.positives.to_vector() == std::vector<double>{1, 1, 0});
  CHECK(parts.loss.to_vector()[2] == 0.0);
  const Tensor g = raw::contrastive_backward(from_vector({0.5, -2, 3}, {3}, DType::Float64), logits,
                                             labels, parts);
  const std::vector<double> d = g.to_vector();
  for (int64_t j = 0; j < 3; ++j) CHECK(d[2 * 3 + j] == 0.0);
  for (int64_t i = 0; i < 3; ++i) CHECK(d[i * 3 + i] == 0.0);  // the diagonal is not in the loss
  // Row 0: softmax over columns 1, 2 minus the one positive (column 1), times 0.5.
  const std::vector<double> l = logits.to_vector();
  const double e1 = std::exp(l[1]), e2 = std::exp(l[2]);
  CHECK(d[1] == doctest::Approx(0.5 * (e1 / (e1 + e2) - 1)).epsilon(1e-14));
  CHECK(d[2] == doctest::Approx(0.5 * e2 / (e1 + e2)).epsilon(1e-14));
}

TEST_CASE("contrastive/backward_matches_composition") {
  // The raw backward against autograd through the composition (anchor_losses_from_masks) on the
  // same logits, for a random weighting of the per-anchor losses. BCL layout: 5 images, 2 views,
  // 4 classes, class 1 and 3 absent.
  const int64_t n = 5, c = 4, m = 2 * n, k = m + c;
  const std::vector<int64_t> y = {0, 2, 2, 0, 2};
  const Tensor logits = raw::mul_scalar(test::randn({m, k}, 721), 3.0);
  const Tensor r = test::randn({m}, 722);
  const raw::ContrastiveParts parts = raw::contrastive_forward(logits, test::labels_of(y), c);
  const Tensor fused = raw::contrastive_backward(r, logits, test::labels_of(y), parts);

  std::vector<double> self(m * k, 0), positive(m * k, 0), weight(m * k, 0);
  const Reference ref = reference(logits, y, c);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j) {
      const int64_t yi = y[i % n], yj = j < m ? y[j % n] : j - m;
      self[i * k + j] = i == j;
      positive[i * k + j] = i != j && yi == yj;
      weight[i * k + j] = 1.0 / (ref.class_count[yj] - positive[i * k + j]);
    }
  const Tensor x = test::param(raw::clone(logits));
  const Tensor composed = losses::detail::anchor_losses_from_masks(
      x, from_vector(self, {m, k}, DType::Float64), from_vector(positive, {m, k}, DType::Float64),
      from_vector(weight, {m, k}, DType::Float64));
  CHECK_ALLCLOSE(parts.loss, detach(composed), 1e-14, 1e-13);
  backward(composed, r);
  // Rounding only: exp(s - log d) against exp(s) / d and their chains.
  CHECK_ALLCLOSE(fused, x.grad(), 1e-15, 1e-12);
}

TEST_CASE("contrastive/losses_match_composition") {
  // supcon_loss and bcl_loss (fused) against the composition they replaced, forward and the
  // gradients with respect to the features and the prototypes. BCL-sized last case (B = 128,
  // C = 10, D = 128, K = 266: rows longer than the lanes, not a multiple of 8).
  struct Case {
    int64_t n, v, c, used, d;
    double t;
  };
  const std::vector<Case> cases = {
      {8, 2, 6, 3, 5, 0.1},   {5, 3, 0, 5, 3, 0.07},      {6, 1, 0, 3, 4, 0.2},
      {1, 2, 3, 1, 4, 0.5},   {6, 2, 1, 1, 3, 0.2},       {12, 2, 10, 4, 8, 0.07},
      {16, 2, 0, 5, 16, 1.0}, {128, 2, 10, 10, 128, 0.1}, {6, 2, 3, 2, 8, 0.005}};
  uint64_t seed = 730;
  for (const Case& t : cases) {
    for (DType dt : {DType::Float64, DType::Float32}) {
      CAPTURE(t.n);
      CAPTURE(t.v);
      CAPTURE(t.c);
      CAPTURE(t.t);
      CAPTURE(dtype_name(dt));
      ++seed;
      const bool f64 = dt == DType::Float64;
      const Tensor f = test::unit_rows(test::randn({t.n, t.v, t.d}, seed, dt));
      std::vector<int64_t> yv = test::random_labels(t.n, t.used, seed);
      if (t.v == 1) yv[0] = yv[1];  // at least one positive pair
      const Tensor y = test::labels_of(yv);
      const Tensor p = t.c > 0 ? test::unit_rows(test::randn({t.c, t.d}, seed + 50, dt)) : Tensor();
      const Tensor f_fused = leaf(f), f_comp = leaf(f);
      const Tensor p_fused = t.c > 0 ? leaf(p) : Tensor(), p_comp = t.c > 0 ? leaf(p) : Tensor();
      const Tensor fused = t.c > 0 ? losses::bcl_loss(f_fused, y, p_fused, t.t)
                                   : losses::supcon_loss(f_fused, y, t.t);
      const Tensor comp = t.c > 0 ? losses::detail::bcl_loss_composed(f_comp, y, p_comp, t.t)
                                  : losses::detail::supcon_loss_composed(f_comp, y, t.t);
      // float64: rounding (the same steps in another grouping); float32 (seen: 1e-7): a few ulps
      // of each logit, up to 1/T = 200, through exp and log.
      CHECK(fused.item() == doctest::Approx(comp.item()).epsilon(f64 ? 1e-12 : 1e-5));
      backward(fused);
      backward(comp);
      // Gradients are sums of terms of size up to 1/T times features of norm 1: float64 to
      // rounding; float32 to ~1e-6 of the largest (exp(s - log d) vs exp(s) / d, the sums' order).
      const double g_scale = 1.0 / t.t;
      const double atol = f64 ? 1e-13 * g_scale : 2e-6 * g_scale, rtol = f64 ? 1e-11 : 1e-4;
      CHECK_ALLCLOSE(f_fused.grad(), f_comp.grad(), atol, rtol);
      if (t.c > 0) CHECK_ALLCLOSE(p_fused.grad(), p_comp.grad(), atol, rtol);
    }
  }
}

TEST_CASE("contrastive/float32_small_temperature_is_finite") {
  // 1/T = 200: a max over the whole row (self included) would underflow every other term in
  // float32. The fused kernels take the max without the diagonal, as the composition does.
  const Tensor f = test::param(test::unit_rows(test::randn({6, 2, 8}, 741, DType::Float32)));
  const Tensor p = test::param(test::unit_rows(test::randn({3, 8}, 742, DType::Float32)));
  const Tensor loss = losses::bcl_loss(f, test::labels_of({0, 1, 1, 0, 0, 1}), p, 0.005);
  CHECK(std::isfinite(loss.item()));
  backward(loss);
  for (const Tensor& g : {f.grad(), p.grad()})
    for (double v : g.to_vector()) REQUIRE(std::isfinite(v));
}

TEST_CASE("contrastive/strided_logits_and_empty") {
  // A transposed view is read through a contiguous copy: same parts, same gradient.
  const Tensor storage = test::randn({10, 10}, 751);
  const Tensor logits = raw::transpose(storage, 0, 1);
  REQUIRE_FALSE(logits.is_contiguous());
  const Tensor labels = test::labels_of({3, 1, 3, 3, 1});
  const raw::ContrastiveParts a = raw::contrastive_forward(logits, labels, 0);
  const raw::ContrastiveParts b = raw::contrastive_forward(raw::contiguous(logits), labels, 0);
  CHECK(a.loss.to_vector() == b.loss.to_vector());
  const Tensor g = test::randn({10}, 752);
  CHECK(raw::contrastive_backward(g, logits, labels, a).to_vector() ==
        raw::contrastive_backward(g, raw::contiguous(logits), labels, b).to_vector());
  // Strided labels too: every other element of a longer tensor.
  const Tensor strided = make_view(test::labels_of({3, 9, 1, 9, 3, 9, 3, 9, 1}), {5}, {2}, 0);
  REQUIRE(strided.to_vector() == labels.to_vector());
  CHECK(raw::contrastive_forward(logits, strided, 0).loss.to_vector() == a.loss.to_vector());
  CHECK(raw::contrastive_backward(g, logits, strided, a).to_vector() ==
        raw::contrastive_backward(g, logits, labels, a).to_vector());

  // No anchors: empty parts; the class counts are still those of the prototypes alone.
  const raw::ContrastiveParts none =
      raw::contrastive_forward(zeros({0, 3}, DType::Float64), test::labels_of({}), 3);
  CHECK(none.loss.numel() == 0);
  CHECK(none.class_count.to_vector() == std::vector<double>{1, 1, 1});
  CHECK(raw::contrastive_backward(zeros({0}, DType::Float64), zeros({0, 3}, DType::Float64),
                                  test::labels_of({}), none)
            .shape() == Shape{0, 3});
}

TEST_CASE("contrastive/argument_errors") {
  const Tensor logits = test::randn({4, 7}, 761);
  const Tensor labels = test::labels_of({0, 2});
  auto error_of = [](auto&& fn) { return test::error_message(fn); };
  CHECK(contains(error_of([&] { raw::contrastive_forward(test::randn({4}, 1), labels, 3); }),
                 "contrastive_forward: logits must be [M, K]"));
  CHECK(contains(
      error_of([&] { raw::contrastive_forward(raw::to_dtype(logits, DType::Int64), labels, 3); }),
      "logits must be floating point"));
  CHECK(contains(
      error_of([&] { raw::contrastive_forward(logits, raw::to_dtype(labels, DType::Float64), 3); }),
      "labels must be int64 of shape [N]"));
  CHECK(contains(error_of([&] {
                   raw::contrastive_forward(logits, test::labels_of({0, 1, 2}), 3);
                 }),
                 "not a whole number of views of the 3"));
  CHECK(contains(error_of([&] { raw::contrastive_forward(logits, labels, 2); }),
                 "must have 6 columns: the 4 anchors and the 2 class prototypes"));
  CHECK(contains(error_of([&] { raw::contrastive_forward(logits, labels, -3); }),
                 "num_classes must be >= 0"));
  CHECK(contains(error_of([&] {
                   raw::contrastive_forward(logits, test::labels_of({0, 3}), 3);
                 }),
                 "contrastive_forward: labels[1] = 3 is out of range [0, 3)"));
  CHECK(contains(error_of([&] {
                   raw::contrastive_forward(logits, test::labels_of({-1, 0}), 3);
                 }),
                 "labels[0] = -1 is out of range"));
  // SupCon takes any label values.
  CHECK_NOTHROW(raw::contrastive_forward(test::randn({4, 4}, 2), test::labels_of({-5, 100}), 0));

  const raw::ContrastiveParts parts = raw::contrastive_forward(logits, labels, 3);
  CHECK(contains(
      error_of([&] { raw::contrastive_backward(test::randn({3}, 1), logits, labels, parts); }),
      "contrastive_backward: grad must have shape [4]"));
  CHECK(contains(error_of([&] {
                   raw::contrastive_backward(test::randn({4}, 1, DType::Float32), logits, labels,
                                             parts);
                 }),
                 "grad is float32"));
  raw::ContrastiveParts no_max = parts;
  no_max.row_max = Tensor();
  CHECK(contains(
      error_of([&] { raw::contrastive_backward(test::randn({4}, 1), logits, labels, no_max); }),
      "row_max must have shape [4]"));
  raw::ContrastiveParts no_counts = parts;
  no_counts.class_count = Tensor();  // then K must be M
  CHECK(contains(
      error_of([&] { raw::contrastive_backward(test::randn({4}, 1), logits, labels, no_counts); }),
      "must have 4 columns"));
}
