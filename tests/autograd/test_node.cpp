// The backward engine itself: accumulation, shared subgraphs, modes and errors.
#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("autograd/chain_and_accumulation") {
  // y = sum(x * x + 3x): dy/dx = 2x + 3.
  Tensor x = test::param(from_vector({1, -2, 0.5}, {3}, DType::Float64));
  Tensor y = sum(x * x + x * 3.0);
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  backward(y);
  CHECK(x.grad().to_vector() == std::vector<double>{5, -1, 4});
  // A second graph accumulates into the same .grad.
  backward(sum(x * 2.0));
  CHECK(x.grad().to_vector() == std::vector<double>{7, 1, 6});
  zero_grad({x});
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("autograd/shared_subgraph_gets_summed_gradient") {
  // Diamond: h = exp(x); y = sum(h * h + h). dy/dx = (2h + 1) * h.
  Tensor x = test::param(from_vector({0.0, 1.0}, {2}, DType::Float64));
  Tensor h = exp(x);
  backward(sum(h * h + h));
  std::vector<double> g = x.grad().to_vector();
  const double e = std::exp(1.0);
  CHECK(g[0] == doctest::Approx(3.0));
  CHECK(g[1] == doctest::Approx((2 * e + 1) * e));
}

TEST_CASE("autograd/deep_chain_without_recursion") {
  // 20000 ops in a chain: a recursive walk would overflow the stack.
  Tensor x = test::param(from_vector({1.0}, {1}, DType::Float64));
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0;
  backward(sum(y));
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("autograd/no_grad_guard_and_detach") {
  Tensor x = test::param(from_vector({2.0}, {1}, DType::Float64));
  {
    NoGradGuard guard;
    CHECK_FALSE(grad_enabled());
    Tensor y = x * x;
    CHECK_FALSE(y.requires_grad());
  }
  CHECK(grad_enabled());
  Tensor d = detach(x);
  CHECK_FALSE(d.requires_grad());
  CHECK(d.to_vector() == x.to_vector());
  Tensor y = x * d;  // d is a constant: dy/dx = d
  backward(sum(y));
  CHECK(x.grad().item() == 2.0);
}

TEST_CASE("autograd/errors") {
  Tensor x = test::param(from_vector({1, 2}, {2}, DType::Float64));
  Tensor y = x * 2.0;
  CHECK_THROWS_WITH_AS(backward(y), doctest::Contains("one-element"), Error);
  CHECK_THROWS_WITH_AS(backward(y, ones({3}, DType::Float64)), doctest::Contains("shape [3]"),
                       Error);
  Tensor s = sum(y);
  backward(s);
  CHECK_THROWS_WITH_AS(backward(s), doctest::Contains("already freed"), Error);
  CHECK_THROWS_WITH_AS(backward(sum(from_vector({1}, {1}))),
                       doctest::Contains("does not require grad"), Error);
  Tensor labels = from_vector({1}, {1}, DType::Int64);
  CHECK_THROWS_WITH_AS(labels.set_requires_grad(true), doctest::Contains("floating"), Error);
  CHECK_THROWS_WITH_AS(y.set_requires_grad(false), doctest::Contains("leaves"), Error);
}

TEST_CASE("autograd/gradcheck_catches_a_wrong_gradient") {
  // A deliberately wrong backward (factor 2 missing) must fail the check.
  Tensor x = test::param(from_vector({0.3, -0.7}, {2}, DType::Float64));
  auto wrong_square = [](const std::vector<Tensor>& in) {
    Tensor out = raw::mul(in[0], in[0]);
    Tensor a = in[0];
    return record("wrong_square", out, {a},
                  [a](const Tensor& g) -> std::vector<Tensor> { return {raw::mul(g, a)}; });
  };
  GradcheckResult r = gradcheck(wrong_square, {x});
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("analytic") != std::string::npos);
}

TEST_CASE("autograd/gradcheck_skips_kinks") {
  // relu at exactly 0 has no derivative; the check skips that element and checks the rest.
  Tensor x = test::param(from_vector({0.0, 0.5, -0.5}, {3}, DType::Float64));
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return relu(in[0]); }, {x});
  CHECK(r.ok);
  CHECK(r.skipped == 1);
  CHECK(r.checked == 2);
}
