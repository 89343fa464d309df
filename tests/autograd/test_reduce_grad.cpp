#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;
using test::param;

namespace {
using Inputs = std::vector<Tensor>;
}  // namespace

TEST_CASE("gradcheck/sum") {
  const Inputs x{param(test::randn({2, 3, 4}, 31))};
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0]); }, x);
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0], {1}); }, x);
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0], {0, -1}, true); }, x);
}

TEST_CASE("gradcheck/mean") {
  const Inputs x{param(test::randn({2, 3, 4}, 32))};
  CHECK_GRADCHECK([](const Inputs& v) { return mean(v[0]); }, x);
  CHECK_GRADCHECK([](const Inputs& v) { return mean(v[0], {2}, true); }, x);
  CHECK_GRADCHECK([](const Inputs& v) { return mean(v[0], {0, 2}); }, x);
}

TEST_CASE("gradcheck/max") {
  const Inputs x{param(test::randn({3, 4}, 33))};
  CHECK_GRADCHECK([](const Inputs& v) { return max(v[0], 1); }, x);
  CHECK_GRADCHECK([](const Inputs& v) { return max(v[0], -2, true); }, x);
}

TEST_CASE("autograd/max_gradient_goes_to_the_first_maximum") {
  Tensor x = param(from_vector({1, 3, 3, 2, 0, 2}, {2, 3}, DType::Float64));
  Tensor m = max(x, 1);
  CHECK(m.to_vector() == std::vector<double>{3, 2});
  backward(m, from_vector({10, 20}, {2}, DType::Float64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 10, 0, 20, 0, 0});
}

TEST_CASE("autograd/sum_and_mean_gradients_by_hand") {
  Tensor x = param(zeros({2, 3}, DType::Float64));
  backward(sum(x, {0}), from_vector({1, 2, 3}, {3}, DType::Float64));
  CHECK(x.grad().to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  zero_grad({x});
  backward(mean(x));
  CHECK(x.grad().to_vector() == std::vector<double>(6, 1.0 / 6));
}
