#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;
using test::param;

using Inputs = std::vector<Tensor>;
using V = std::vector<double>;

TEST_CASE("gradcheck/matmul") {
  SUBCASE("2-D") {
    const Inputs v{param(test::randn({3, 4}, 1)), param(test::randn({4, 2}, 2))};
    CHECK_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); }, v);
    // Through transposed views, which reach GEMM as transposes.
    CHECK_GRADCHECK(
        [](const Inputs& in) { return matmul(transpose(in[1], 0, 1), transpose(in[0], 0, 1)); }, v);
  }
  SUBCASE("batched") {
    const Inputs v{param(test::randn({2, 3, 4}, 3)), param(test::randn({2, 4, 2}, 4))};
    CHECK_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); }, v);
  }
  SUBCASE("batched times a broadcast 2-D operand") {
    const Inputs v{param(test::randn({2, 3, 4}, 5)), param(test::randn({4, 2}, 6))};
    CHECK_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); }, v);
  }
  SUBCASE("a broadcast 2-D operand times batched") {
    const Inputs v{param(test::randn({3, 4}, 7)), param(test::randn({2, 4, 2}, 8))};
    CHECK_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); }, v);
  }
}

TEST_CASE("gradcheck/linear") {
  const Inputs v{param(test::randn({4, 3}, 9)), param(test::randn({5, 3}, 10)),
                 param(test::randn({5}, 11))};
  CHECK_GRADCHECK([](const Inputs& in) { return linear(in[0], in[1], in[2]); }, v);
  CHECK_GRADCHECK([](const Inputs& in) { return linear(in[0], in[1], Tensor()); }, v);
}

TEST_CASE("autograd/linear_by_hand") {
  // x = [1 2], W = [[1 0], [0 1], [1 1]], b = [0 0 10]: y = [1 2 13].
  Tensor x = param(from_vector({1, 2}, {1, 2}, DType::Float64));
  Tensor w = param(from_vector({1, 0, 0, 1, 1, 1}, {3, 2}, DType::Float64));
  Tensor b = param(from_vector({0, 0, 10}, {3}, DType::Float64));
  Tensor y = linear(x, w, b);
  CHECK(y.to_vector() == V{1, 2, 13});
  backward(y, from_vector({1, 2, 3}, {1, 3}, DType::Float64));
  CHECK(x.grad().to_vector() == V{4, 5});              // G W
  CHECK(w.grad().to_vector() == V{1, 2, 2, 4, 3, 6});  // G^T x
  CHECK(b.grad().to_vector() == V{1, 2, 3});           // sum over the batch of G
  CHECK_THROWS_WITH_AS(linear(x, zeros({3, 4}, DType::Float64), Tensor()),
                       "linear: expected x [N, in] and weight [out, in], got [1, 2] and [3, 4]",
                       Error);
  CHECK_THROWS_WITH_AS(linear(x, w, zeros({2}, DType::Float64)),
                       "linear: bias [2] does not match weight [3, 2]", Error);
}
