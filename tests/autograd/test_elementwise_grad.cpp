#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;
using test::param;

namespace {
using Inputs = std::vector<Tensor>;
}  // namespace

TEST_CASE("gradcheck/add") {
  // Broadcasting both ways: [3, 1] + [1, 4], then [2, 3, 4] + [4].
  auto f = [](const Inputs& x) { return add(x[0], x[1]); };
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({3, 1}, 1)), param(test::randn({1, 4}, 2))}));
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({2, 3, 4}, 3)), param(test::randn({4}, 4))}));
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({2, 3}, 5)), param(test::randn({}, 6))}));
}

TEST_CASE("gradcheck/add_scalar") {
  auto f = [](const Inputs& x) { return x[0] + 2.5; };
  CHECK_GRADCHECK(f, Inputs{param(test::randn({2, 3}, 7))});
}

TEST_CASE("gradcheck/sub") {
  auto f = [](const Inputs& x) { return x[0] - x[1]; };
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({2, 3}, 8)), param(test::randn({2, 1}, 9))}));
}

TEST_CASE("gradcheck/mul") {
  auto f = [](const Inputs& x) { return x[0] * x[1]; };
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({2, 3}, 10)), param(test::randn({3}, 11))}));
  // Only one input requires grad: the other's gradient is never computed.
  Tensor constant = test::randn({2, 3}, 12);
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({2, 3}, 13)), constant}));
  CHECK_FALSE(constant.grad().defined());
}

TEST_CASE("gradcheck/mul_scalar") {
  auto f = [](const Inputs& x) { return -3.0 * x[0] / 2.0 - 1.0; };
  CHECK_GRADCHECK(f, Inputs{param(test::randn({4}, 14))});
}

TEST_CASE("gradcheck/div") {
  auto f = [](const Inputs& x) { return x[0] / x[1]; };
  CHECK_GRADCHECK(
      f, (Inputs{param(test::randn({2, 3}, 15)), param(test::uniform({2, 1}, 0.5, 2.0, 16))}));
}

TEST_CASE("gradcheck/neg") {
  auto f = [](const Inputs& x) { return -x[0]; };
  CHECK_GRADCHECK(f, Inputs{param(test::randn({3}, 17))});
}

TEST_CASE("gradcheck/exp") {
  auto f = [](const Inputs& x) { return exp(x[0]); };
  CHECK_GRADCHECK(f, Inputs{param(test::randn({2, 3}, 18))});
}

TEST_CASE("gradcheck/log") {
  auto f = [](const Inputs& x) { return log(x[0]); };
  CHECK_GRADCHECK(f, Inputs{param(test::uniform({2, 3}, 0.5, 3.0, 19))});
}

TEST_CASE("gradcheck/sqrt") {
  auto f = [](const Inputs& x) { return sqrt(x[0]); };
  CHECK_GRADCHECK(f, Inputs{param(test::uniform({2, 3}, 0.5, 3.0, 20))});
}

TEST_CASE("gradcheck/rsqrt") {
  auto f = [](const Inputs& x) { return rsqrt(x[0]); };
  CHECK_GRADCHECK(f, Inputs{param(test::uniform({2, 3}, 0.5, 3.0, 21))});
}

TEST_CASE("gradcheck/pow") {
  auto cube = [](const Inputs& x) { return pow(x[0], 3); };
  CHECK_GRADCHECK(cube, Inputs{param(test::randn({2, 3}, 22))});
  auto fractional = [](const Inputs& x) { return pow(x[0], -1.5); };
  CHECK_GRADCHECK(fractional, Inputs{param(test::uniform({2, 3}, 0.5, 3.0, 23))});
}

TEST_CASE("gradcheck/relu") {
  auto f = [](const Inputs& x) { return relu(x[0]); };
  CHECK_GRADCHECK(f, Inputs{param(test::randn({3, 4}, 24))});
}

TEST_CASE("gradcheck/clamp") {
  auto f = [](const Inputs& x) { return clamp(x[0], -0.5, 0.7); };
  CHECK_GRADCHECK(f, Inputs{param(test::randn({3, 4}, 25))});
}

TEST_CASE("gradcheck/where") {
  // cond [3, 1] picks rows; a [3, 4] and b [4] broadcast against it.
  const Tensor cond = from_vector({1, 0, 1}, {3, 1}, DType::Float64);
  auto f = [cond](const Inputs& x) { return where(cond, x[0], x[1]); };
  CHECK_GRADCHECK(f, (Inputs{param(test::randn({3, 4}, 26)), param(test::randn({4}, 27))}));
}

TEST_CASE("autograd/elementwise_gradients_by_hand") {
  Tensor a = param(from_vector({1, 2, 3}, {3}, DType::Float64));
  Tensor b = param(from_vector({4}, {1}, DType::Float64));
  backward(sum(a * b + a / b));
  // d/da = b + 1/b = 4.25 each; d/db = sum(a) - sum(a)/b^2 = 6 - 6/16.
  CHECK(a.grad().to_vector() == std::vector<double>{4.25, 4.25, 4.25});
  CHECK(b.grad().shape() == Shape{1});
  CHECK(b.grad().item() == 6 - 6.0 / 16);

  Tensor x = param(from_vector({-1, 0.5, 2}, {3}, DType::Float64));
  backward(sum(relu(x) + clamp(x, 0, 1)));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 2, 1});
}

TEST_CASE("gradcheck/to_dtype") {
  // Through float32 and back, with exp computed in float32 on the way. The rounding to float32
  // (6e-8 relative) is seen by the finite differences as noise of about 6e-8 |x| / eps: with
  // eps = 1e-3, ~1e-4 at most, within atol.
  auto f = [](const Inputs& x) {
    return to_dtype(exp(to_dtype(x[0], DType::Float32)), DType::Float64);
  };
  GradcheckOptions o;
  o.eps = 1e-3;
  o.atol = 1e-3;
  o.rtol = 1e-3;
  CHECK_GRADCHECK(f, Inputs{param(test::uniform({3, 4}, -1, 1, 15))}, o);
}

TEST_CASE("autograd/to_dtype_carries_the_gradient_back_in_the_input_dtype") {
  // bfloat16 has no arithmetic kernels, so the check is direct: a bf16 gradient g of
  // y = to_dtype(x, bf16) reaches float32 x as float32(g), exactly.
  Tensor x = param(test::randn({5}, 16, DType::Float32));
  Tensor y = to_dtype(x, DType::BFloat16);
  CHECK(y.dtype() == DType::BFloat16);
  const Tensor g = raw::to_dtype(test::randn({5}, 17, DType::Float32), DType::BFloat16);
  backward(y, g);
  REQUIRE(x.grad().defined());
  CHECK(x.grad().dtype() == DType::Float32);
  CHECK(x.grad().to_vector() == g.to_vector());
  CHECK_THROWS_AS(to_dtype(param(test::randn({2}, 18)), DType::Int64), Error);
}
