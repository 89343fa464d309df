#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;
using test::conv;
using test::param;

namespace {

using Inputs = std::vector<Tensor>;
using V = std::vector<double>;

}  // namespace

TEST_CASE("gradcheck/conv2d") {
  const Inputs v{param(test::randn({2, 3, 5, 5}, 12)), param(test::randn({4, 3, 3, 3}, 13)),
                 param(test::randn({4}, 14))};
  CHECK_GRADCHECK([](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 1)); }, v);
  // 1x1, which skips im2col.
  const Inputs pointwise{param(test::randn({2, 3, 3, 3}, 15)), param(test::randn({2, 3, 1, 1}, 16)),
                         param(test::randn({2}, 17))};
  CHECK_GRADCHECK([](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 0)); },
                  pointwise);
}

TEST_CASE("gradcheck/conv2d_strided") {
  const Inputs v{param(test::randn({2, 2, 6, 5}, 18)), param(test::randn({3, 2, 3, 3}, 19)),
                 param(test::randn({3}, 20))};
  CHECK_GRADCHECK([](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(2, 1)); }, v);
}

TEST_CASE("gradcheck/conv2d_grouped") {
  const Inputs v{param(test::randn({2, 4, 4, 4}, 21)), param(test::randn({6, 2, 3, 3}, 22)),
                 param(test::randn({6}, 23))};
  CHECK_GRADCHECK([](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 1, 2)); },
                  v);
  // Depthwise, strided, without bias.
  const Inputs dw{param(test::randn({1, 3, 5, 5}, 24)), param(test::randn({3, 1, 3, 3}, 25))};
  CHECK_GRADCHECK(
      [](const Inputs& in) { return bcl::conv2d(in[0], in[1], Tensor(), conv(2, 1, 3)); }, dw);
}

TEST_CASE("autograd/conv2d_computes_only_the_gradients_needed") {
  // An input image needs no gradient; the weight and bias still get theirs.
  Tensor x = test::randn({1, 2, 4, 4}, 26);
  Tensor w = param(test::randn({3, 2, 3, 3}, 27));
  Tensor b = param(zeros({3}, DType::Float64));
  Tensor y = bcl::conv2d(x, w, b, conv(1, 1));
  backward(sum(y));
  CHECK_FALSE(x.grad().defined());
  CHECK_ALLCLOSE(
      w.grad(),
      raw::conv2d_backward_weight(ones(y.shape(), DType::Float64), x, w.shape(), conv(1, 1)), 1e-12,
      1e-12);
  CHECK(b.grad().to_vector() == V(3, 16.0));  // 16 output pixels per channel
}
