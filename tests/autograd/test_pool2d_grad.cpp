#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;
using test::param;
using test::pool;

namespace {

using Inputs = std::vector<Tensor>;

}  // namespace

TEST_CASE("gradcheck/max_pool2d") {
  // Random normal values: no two in a window are within eps, so no kink is crossed.
  const Inputs x{param(test::randn({2, 2, 5, 5}, 1))};
  CHECK_GRADCHECK([](const Inputs& v) { return bcl::max_pool2d(v[0], pool(2, 2, 0)); }, x);
  // Overlapping, padded windows.
  CHECK_GRADCHECK([](const Inputs& v) { return bcl::max_pool2d(v[0], pool(3, 2, 1)); }, x);
}

TEST_CASE("gradcheck/avg_pool2d") {
  const Inputs x{param(test::randn({2, 2, 5, 5}, 2))};
  CHECK_GRADCHECK([](const Inputs& v) { return bcl::avg_pool2d(v[0], pool(2, 2, 0)); }, x);
  CHECK_GRADCHECK([](const Inputs& v) { return bcl::avg_pool2d(v[0], pool(3, 2, 1)); }, x);
}

TEST_CASE("gradcheck/global_avg_pool2d") {
  const Inputs x{param(test::randn({2, 3, 4, 5}, 3))};
  CHECK_GRADCHECK([](const Inputs& v) { return global_avg_pool2d(v[0]); }, x);
}

TEST_CASE("autograd/global_avg_pool2d_by_hand") {
  Tensor x = param(from_vector({1, 2, 3, 4, 10, 20, 30, 40}, {1, 2, 2, 2}, DType::Float64));
  Tensor y = global_avg_pool2d(x);
  CHECK(y.shape() == Shape{1, 2});
  CHECK(y.to_vector() == std::vector<double>{2.5, 25});
  backward(y, from_vector({4, 8}, {1, 2}, DType::Float64));
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1, 1, 1, 2, 2, 2, 2});
  CHECK_THROWS_WITH_AS(global_avg_pool2d(zeros({2, 3})),
                       doctest::Contains("global_avg_pool2d: expected a non-empty input"), Error);
}
