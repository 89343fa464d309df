// The fused ops against the raw-op compositions they replace: cross-entropy and SGD bit for bit
// (the kernels round each step as the composition does), L2 normalisation to float64 rounding.
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "nn/optim.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

Tensor labels_for(int64_t n, int64_t c) {
  std::vector<double> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<double>((i * 7 + 3) % c);
  return from_vector(y, {n}, DType::Int64);
}

// Logits spread over [-15, 15] or so, as a classifier's are late in training.
Tensor logits_for(const Shape& shape, DType dtype, uint64_t seed) {
  return raw::mul_scalar(test::randn(shape, seed, dtype), 5.0);
}

struct CompositionCE {
  Tensor nll, grad;
};

// What autograd's cross_entropy computed before the fusion: log_softmax, gather, and for the
// backward (exp(log_p) - one_hot) * (g * scale), g broadcast over the rows.
CompositionCE cross_entropy_by_composition(const Tensor& logits, const Tensor& labels,
                                           const Tensor& offset, const Tensor& g, double scale) {
  Tensor z = offset.defined() ? raw::add(logits, offset) : logits;
  Tensor log_p = raw::log_softmax(z, 1);
  CompositionCE out;
  out.nll = raw::neg(raw::gather_labels(log_p, labels));
  Tensor d = raw::exp(log_p);
  raw::add_(d, raw::one_hot(labels, logits.size(1), d.dtype()), -1.0);
  Tensor gs = raw::mul_scalar(g, scale);
  out.grad = raw::mul(d, g.numel() == 1 ? gs : raw::unsqueeze(gs, 1));
  return out;
}

void check_equal(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  CHECK(a.to_vector() == b.to_vector());
}

}  // namespace

TEST_CASE("fused/cross_entropy_matches_composition_bitwise") {
  // 300 x 130 passes the kernels' parallel threshold; 7 x 5 does not.
  for (DType dtype : {DType::Float64, DType::Float32}) {
    for (Shape shape : {Shape{7, 5}, Shape{300, 130}}) {
      for (bool with_offset : {false, true}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(shape_str(shape));
        CAPTURE(with_offset);
        const int64_t n = shape[0], c = shape[1];
        Tensor logits = logits_for(shape, dtype, 11);
        Tensor labels = labels_for(n, c);
        Tensor offset = with_offset ? test::randn({c}, 12, dtype) : Tensor();
        Tensor g_scalar = scalar(0.75, dtype);
        Tensor g_rows = test::randn({n}, 13, dtype);

        raw::CrossEntropyParts parts = raw::cross_entropy_forward(logits, labels, offset);
        CompositionCE ref = cross_entropy_by_composition(logits, labels, offset, g_scalar, 1.0 / n);
        check_equal(parts.nll, ref.nll);
        Tensor z = offset.defined() ? raw::add(logits, offset) : logits;
        check_equal(parts.row_max, raw::max(z, 1).values);

        check_equal(raw::cross_entropy_backward(g_scalar, 1.0 / n, logits, labels, offset,
                                                parts.row_max, parts.log_sum),
                    ref.grad);
        CompositionCE ref_rows = cross_entropy_by_composition(logits, labels, offset, g_rows, 0.5);
        check_equal(raw::cross_entropy_backward(g_rows, 0.5, logits, labels, offset, parts.row_max,
                                                parts.log_sum),
                    ref_rows.grad);

        // Through autograd: the mean loss and dL/dlogits with g = 1.
        Tensor leaf = test::param(raw::clone(logits));
        Tensor loss = cross_entropy(leaf, labels, offset);
        CHECK(loss.item() == raw::mean(ref.nll).item());
        backward(loss);
        check_equal(
            leaf.grad(),
            cross_entropy_by_composition(logits, labels, offset, scalar(1.0, dtype), 1.0 / n).grad);
      }
    }
  }
}

TEST_CASE("fused/cross_entropy_strided_logits_and_large_values") {
  // A transposed view is read through a contiguous copy; logits of 1000 must not overflow exp.
  Tensor storage = raw::add_scalar(logits_for({6, 9}, DType::Float64, 21), 1000.0);
  Tensor logits = raw::transpose(storage, 0, 1);  // [9, 6]
  REQUIRE_FALSE(logits.is_contiguous());
  Tensor labels = labels_for(9, 6);
  raw::CrossEntropyParts parts = raw::cross_entropy_forward(logits, labels, Tensor());
  CompositionCE ref =
      cross_entropy_by_composition(logits, labels, Tensor(), scalar(1.0, DType::Float64), 1.0);
  check_equal(parts.nll, ref.nll);
  for (double v : parts.nll.to_vector()) CHECK(std::isfinite(v));
}

TEST_CASE("fused/cross_entropy_errors") {
  Tensor logits = zeros({3, 4}, DType::Float64);
  Tensor bad = from_vector({0, 4, 1}, {3}, DType::Int64);
  CHECK_THROWS_WITH_AS(raw::cross_entropy_forward(logits, bad, Tensor()),
                       "gather_labels: labels[1] = 4 is out of range [0, 4)", Error);
  CHECK_THROWS_WITH_AS(
      raw::cross_entropy_forward(logits, from_vector({0, 1, -2}, {3}, DType::Int64), Tensor()),
      "gather_labels: labels[2] = -2 is out of range [0, 4)", Error);
  // autograd's cross_entropy names itself first.
  CHECK_THROWS_WITH_AS(cross_entropy(logits, bad),
                       "cross_entropy: gather_labels: labels[1] = 4 is out of range [0, 4)", Error);
  CHECK_THROWS_WITH_AS(
      raw::cross_entropy_forward(logits, labels_for(3, 4), zeros({4}, DType::Float32)),
      doctest::Contains("cross_entropy_forward: offset is float32"), Error);
  raw::CrossEntropyParts parts = raw::cross_entropy_forward(logits, labels_for(3, 4), Tensor());
  CHECK_THROWS_WITH_AS(
      raw::cross_entropy_backward(zeros({2}, DType::Float64), 1.0, logits, labels_for(3, 4),
                                  Tensor(), parts.row_max, parts.log_sum),
      doctest::Contains("grad must have one element or shape [3]"), Error);
  // An empty batch is no error for the raw op.
  CHECK(raw::cross_entropy_forward(zeros({0, 4}), labels_for(0, 4), Tensor()).nll.numel() == 0);
}

namespace {

// autograd's l2_normalize before the fusion, forward and backward.
std::pair<Tensor, Tensor> l2_normalize_by_composition(const Tensor& x, const Tensor& g, int64_t d,
                                                      double eps) {
  Tensor norm = raw::sqrt(raw::sum(raw::mul(x, x), {d}, true));
  Tensor eps_t = scalar(eps, x.dtype(), x.device());
  Tensor denom = raw::maximum(norm, eps_t);
  Tensor y = raw::div(x, denom);
  Tensor norm_active = raw::gt(norm, eps_t);
  Tensor radial = raw::mul(raw::mul(y, raw::sum(raw::mul(g, y), {d}, true)), norm_active);
  return {y, raw::div(raw::sub(g, radial), denom)};
}

// Rows of x: random, then row 0 zero and row 1 tiny (below eps = 1e-2), when there are rows.
Tensor l2_input(const Shape& shape, DType dtype, uint64_t seed) {
  Tensor x = test::randn(shape, seed, dtype);
  Tensor rows = raw::reshape(x, {-1, shape.back()});
  if (rows.size(0) >= 2 && shape.back() > 0) {
    raw::fill_(raw::narrow(rows, 0, 0, 1), 0.0);
    raw::mul_(raw::narrow(rows, 0, 1, 1), 1e-4);
  }
  return x;
}

}  // namespace

TEST_CASE("fused/l2_normalize_matches_composition") {
  // Float64: the forward's sum of squares and the backward's g - y s may be contracted into FMAs
  // in one and not the other, a difference of an ulp or two, hence 1e-14. Float32: the squares
  // are summed in double on both sides; the backward's FMA may change the last bit of dx, and
  // where g - y s cancels that is an absolute 1e-6 or so.
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const double tol = dtype == DType::Float64 ? 1e-14 : 2e-6;
    for (Shape shape : {Shape{6, 5}, Shape{300, 130}, Shape{4, 3, 7}, Shape{5, 1}, Shape{9}}) {
      for (double eps : {1e-12, 1e-2}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(shape_str(shape));
        CAPTURE(eps);
        Tensor x = l2_input(shape, dtype, 31);
        Tensor g = test::randn(shape, 32, dtype);
        const int64_t last = static_cast<int64_t>(shape.size()) - 1;
        auto [y_ref, dx_ref] = l2_normalize_by_composition(x, g, last, eps);

        raw::L2NormalizeParts parts = raw::l2_normalize_last(x, eps);
        CHECK_ALLCLOSE(parts.out, y_ref, tol, tol);
        Shape denom_shape = shape;
        denom_shape.back() = 1;
        CHECK(parts.denom.shape() == denom_shape);
        CHECK_ALLCLOSE(raw::l2_normalize_last_backward(g, parts.out, parts.denom, eps), dx_ref, tol,
                       tol);

        // Through autograd, along the last dim (fused) and, for 2+ dims, dim 0 (composition).
        for (int64_t dim : {last, int64_t{0}}) {
          if (dim == 0 && last == 0) continue;
          auto [y0, dx0] = l2_normalize_by_composition(x, g, dim, eps);
          Tensor leaf = test::param(raw::clone(x));
          Tensor y = l2_normalize(leaf, dim, eps);
          CHECK_ALLCLOSE(y, y0, tol, tol);
          backward(y, g);
          CHECK_ALLCLOSE(leaf.grad(), dx0, tol, tol);
        }
      }
    }
  }
}

TEST_CASE("fused/l2_normalize_edge_cases") {
  // The zero row stays 0 (0 / eps), and its gradient is g / eps.
  Tensor x = from_vector({3, 4, 0, 0}, {2, 2}, DType::Float64);
  raw::L2NormalizeParts parts = raw::l2_normalize_last(x, 0.5);
  CHECK(parts.out.to_vector() == std::vector<double>{0.6, 0.8, 0, 0});
  CHECK(parts.denom.shape() == Shape{2, 1});
  CHECK(parts.denom.to_vector() == std::vector<double>{5, 0.5});
  Tensor g = from_vector({1, 2, 3, 4}, {2, 2}, DType::Float64);
  Tensor dx = raw::l2_normalize_last_backward(g, parts.out, parts.denom, 0.5);
  CHECK(dx.to_vector()[2] == 6);
  CHECK(dx.to_vector()[3] == 8);
  // Empty tensors: no rows, or rows of nothing (whose denom is eps).
  CHECK(raw::l2_normalize_last(zeros({0, 4}), 1e-12).out.shape() == Shape{0, 4});
  raw::L2NormalizeParts empty_rows = raw::l2_normalize_last(zeros({3, 0}, DType::Float64), 0.25);
  CHECK(empty_rows.denom.to_vector() == std::vector<double>{0.25, 0.25, 0.25});
  CHECK(raw::l2_normalize_last_backward(zeros({3, 0}, DType::Float64), empty_rows.out,
                                        empty_rows.denom, 0.25)
            .numel() == 0);
  CHECK_THROWS_WITH_AS(raw::l2_normalize_last(scalar(1.0), 1e-12),
                       doctest::Contains("l2_normalize_last: input must have at least 1 dim"),
                       Error);
}

namespace {

// SGD::step's update before the fusion, for one parameter: raw ops, one pass each.
void sgd_step_by_composition(const Tensor& p, const Tensor& grad, Tensor& buf,
                             const nn::SGDOptions& o) {
  Tensor d = grad;
  if (o.weight_decay != 0) {
    d = raw::clone(grad);
    raw::add_(d, p, o.weight_decay);
  }
  if (o.momentum != 0) {
    if (!buf.defined()) {
      buf = raw::clone(d);
    } else {
      raw::mul_(buf, o.momentum);
      raw::add_(buf, d);
    }
    if (o.nesterov) {
      if (d.same(grad)) d = raw::clone(grad);
      raw::add_(d, buf, o.momentum);
    } else {
      d = buf;
    }
  }
  raw::add_(p, d, -o.lr);
}

}  // namespace

TEST_CASE("fused/sgd_matches_composition_bitwise") {
  // 70001 elements pass the parallel threshold and end in a partial chunk; 3 do neither.
  const std::vector<nn::SGDOptions> all_options = {{0.1, 0.0, 0.0, false}, {0.1, 0.0, 5e-4, false},
                                                   {0.1, 0.9, 0.0, false}, {0.1, 0.9, 5e-4, false},
                                                   {0.1, 0.9, 0.0, true},  {0.05, 0.9, 1e-4, true}};
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (int64_t n : {int64_t{3}, int64_t{70001}}) {
      for (const nn::SGDOptions& o : all_options) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(n);
        CAPTURE(o.momentum);
        CAPTURE(o.weight_decay);
        CAPTURE(o.nesterov);
        Tensor init = test::randn({n}, 41, dtype);
        Tensor p = test::param(raw::clone(init));
        Tensor p_ref = raw::clone(init);
        Tensor buf_ref;
        nn::SGD sgd({{"w", p}}, o);
        for (int step = 0; step < 4; ++step) {
          CAPTURE(step);
          Tensor g = test::randn({n}, 42 + step, dtype);
          p.set_grad(g);
          sgd.step();
          sgd_step_by_composition(p_ref, g, buf_ref, o);
          CHECK(g.to_vector() == test::randn({n}, 42 + step, dtype).to_vector());  // read only
          check_equal(p, p_ref);
          if (o.momentum != 0) check_equal(sgd.state_dict().at("momentum.w"), buf_ref);
        }
      }
    }
  }
}

TEST_CASE("fused/sgd_strided_gradient_and_parameter") {
  // A transposed gradient goes through the fused kernel (read through a contiguous copy); a
  // transposed parameter takes the raw-op path. Both must give the composition's values.
  const nn::SGDOptions o{0.1, 0.9, 5e-4, true};
  Tensor g_storage = test::randn({5, 4}, 51);
  Tensor g = raw::transpose(g_storage, 0, 1);  // [4, 5]
  Tensor init = test::randn({4, 5}, 52);

  Tensor p = test::param(raw::clone(init));
  Tensor p_ref = raw::clone(init);
  Tensor buf_ref;
  nn::SGD sgd({{"w", p}}, o);
  for (int step = 0; step < 2; ++step) {
    p.set_grad(g);
    sgd.step();
    sgd_step_by_composition(p_ref, g, buf_ref, o);
  }
  check_equal(p, p_ref);

  Tensor q_storage = raw::clone(raw::transpose(init, 0, 1));  // [5, 4]
  Tensor q = test::param(raw::transpose(q_storage, 0, 1));    // [4, 5], not contiguous
  REQUIRE_FALSE(q.is_contiguous());
  nn::SGD sgd_q({{"w", q}}, o);
  for (int step = 0; step < 2; ++step) {
    q.set_grad(g);
    sgd_q.step();
  }
  check_equal(q, p_ref);
}

TEST_CASE("fused/sgd_step_errors") {
  Tensor p = zeros({3}, DType::Float64);
  raw::SgdStepParams s;
  s.lr = 0.1;
  s.momentum = 0.9;
  CHECK_THROWS_WITH_AS(raw::sgd_step_(p, zeros({3}, DType::Float64), Tensor(), s),
                       doctest::Contains("sgd_step_: the momentum buffer must be contiguous"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::sgd_step_(p, zeros({3}), zeros({3}, DType::Float64), s),
                       doctest::Contains("sgd_step_: grad is float32"), Error);
  CHECK_THROWS_WITH_AS(
      raw::sgd_step_(raw::transpose(zeros({2, 3}), 0, 1), zeros({3, 2}), zeros({3, 2}), s),
      doctest::Contains("sgd_step_: the parameter must be contiguous"), Error);
}
