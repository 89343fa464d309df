// SGD against hand-computed steps (PyTorch's update rule), and its exportable state.
#include "nn/optim.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

namespace {

// Two steps on p = [1, -2] with gradients [0.5, 1] then [-1, 0.25] (float64 for exact values).
Tensor run_two_steps(const SGDOptions& options) {
  Tensor p = test::param(from_vector({1, -2}, {2}, DType::Float64));
  SGD sgd({{"p", p}}, options);
  p.set_grad(from_vector({0.5, 1}, {2}, DType::Float64));
  sgd.step();
  sgd.zero_grad();
  CHECK_FALSE(p.grad().defined());
  p.set_grad(from_vector({-1, 0.25}, {2}, DType::Float64));
  sgd.step();
  return p;
}

}  // namespace

TEST_CASE("nn/sgd_momentum_weight_decay_steps") {
  // g' = g + 0.01 p; buf = g' then 0.9 buf + g'; p -= 0.1 buf:
  //   step 1: g' = [0.51, 0.98], p = [0.949, -2.098]
  //   step 2: g' = [-0.99051, 0.22902], buf = [-0.53151, 1.11102], p = [1.002151, -2.209102]
  Tensor p = run_two_steps({0.1, 0.9, 0.01, false});
  CHECK_ALLCLOSE(p, from_vector({1.002151, -2.209102}, {2}, DType::Float64), 1e-12, 0);
}

TEST_CASE("nn/sgd_nesterov_steps") {
  // As above, but p -= 0.1 (g' + 0.9 buf):
  //   step 1: p = [1 - 0.0969, -2 - 0.1862] = [0.9031, -2.1862]
  //   step 2: g' = [-0.990969, 0.228138], buf = [-0.531969, 1.110138],
  //           g' + 0.9 buf = [-1.4697411, 1.2272622], p = [1.05007411, -2.30892622]
  Tensor p = run_two_steps({0.1, 0.9, 0.01, true});
  CHECK_ALLCLOSE(p, from_vector({1.05007411, -2.30892622}, {2}, DType::Float64), 1e-12, 0);
}

TEST_CASE("nn/sgd_plain_steps_and_untouched_gradients") {
  Tensor p = run_two_steps({0.5, 0.0, 0.0, false});
  // p -= 0.5 g twice: [1 - 0.25 + 0.5, -2 - 0.5 - 0.125]
  CHECK_ALLCLOSE(p, from_vector({1.25, -2.625}, {2}, DType::Float64), 1e-12, 0);

  Tensor q = test::param(from_vector({1, 2}, {2}));
  Tensor g = from_vector({3, 4}, {2});
  q.set_grad(g);
  SGD sgd({{"q", q}}, {0.1, 0.9, 0.1, true});
  sgd.step();
  CHECK(g.to_vector() == std::vector<double>{3, 4});  // the step never writes into .grad
  Tensor frozen = test::param(from_vector({5}, {1}));
  SGD skip({{"frozen", frozen}}, {});
  skip.step();  // no gradient: skipped, as in PyTorch
  CHECK(frozen.item() == 5);
  CHECK(skip.state_dict().empty());
}

TEST_CASE("nn/sgd_state_round_trip") {
  SGDOptions options{0.1, 0.9, 5e-4, false};
  Tensor a = test::param(from_vector({1, -2, 3}, {3}, DType::Float64));
  Tensor b = test::param(from_vector({1, -2, 3}, {3}, DType::Float64));
  SGD sgd_a({{"w", a}}, options);
  a.set_grad(from_vector({0.1, 0.2, 0.3}, {3}, DType::Float64));
  sgd_a.step();
  const auto state = sgd_a.state_dict();
  REQUIRE(state.count("momentum.w") == 1);

  // b resumes from a's position and buffers: the next steps match exactly.
  raw::copy_(b, a);
  SGD sgd_b({{"w", b}}, options);
  sgd_b.load_state_dict(state);
  for (Tensor t : {a, b}) t.set_grad(from_vector({-0.3, 0.5, 0.05}, {3}, DType::Float64));
  sgd_a.step();
  sgd_b.step();
  CHECK(a.to_vector() == b.to_vector());

  CHECK_THROWS_WITH_AS(sgd_b.load_state_dict({{"momentum.v", zeros({3}, DType::Float64)}}),
                       doctest::Contains("momentum.v names no parameter"), Error);
  CHECK_THROWS_WITH_AS(sgd_b.load_state_dict({{"momentum.w", zeros({2}, DType::Float64)}}),
                       doctest::Contains("has shape [2]"), Error);
  CHECK_THROWS_AS(sgd_b.load_state_dict({{"velocity.w", zeros({3}, DType::Float64)}}), Error);
}
