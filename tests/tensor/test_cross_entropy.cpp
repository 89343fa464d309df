// cross_entropy's fused kernels against the raw-op composition they replace (log_softmax, gather,
// mean), bit for bit: the kernels round each step as the composition does.
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;
using test::check_equal;

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

}  // namespace

TEST_CASE("cross_entropy/matches_composition_bitwise") {
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

TEST_CASE("cross_entropy/strided_logits_and_large_values") {
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

TEST_CASE("cross_entropy/raw_errors") {
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
