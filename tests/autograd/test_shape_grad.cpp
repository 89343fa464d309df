// Gradients of the shape and indexing ops by finite differences. Strided inputs (a transpose
// first) check that the backward puts each gradient back at the right element.
#include <vector>

#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

Tensor index_of(const std::vector<double>& values) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, DType::Int64);
}

}  // namespace

TEST_CASE("gradcheck/reshape") {
  Tensor x = test::param(test::randn({2, 3, 2}, 1));
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return reshape(in[0], {3, -1});
      },
      std::vector<Tensor>{x});
  // Of a non-contiguous view (reshape copies).
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return reshape(transpose(in[0], 0, 2), {4, 3});
      },
      std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/permute") {
  Tensor x = test::param(test::randn({2, 3, 4}, 2));
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return permute(in[0], {2, 0, 1});
      },
      std::vector<Tensor>{x});
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return permute(in[0], {-1, 1, 0});
      },
      std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/transpose") {
  Tensor x = test::param(test::randn({2, 3, 4}, 3));
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return transpose(in[0], 0, 2); },
                  std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/narrow") {
  Tensor x = test::param(test::randn({3, 5}, 4));
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return narrow(in[0], 1, 1, 3); },
                  std::vector<Tensor>{x});
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return narrow(in[0], -2, 2, 1); },
                  std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/expand") {
  // [3, 1] -> [2, 3, 4]: a new leading dim and a broadcast dim, both summed in the backward.
  Tensor x = test::param(test::randn({3, 1}, 5));
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return expand(in[0], {2, 3, 4});
      },
      std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/unsqueeze") {
  Tensor x = test::param(test::randn({2, 3}, 6));
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return unsqueeze(in[0], 1); },
                  std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/squeeze") {
  Tensor x = test::param(test::randn({2, 1, 3}, 7));
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return squeeze(in[0], 1); },
                  std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/flatten") {
  Tensor x = test::param(test::randn({2, 3, 2}, 8));
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return flatten(in[0], 1); },
                  std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/concat") {
  Tensor a = test::param(test::randn({2, 3}, 9));
  Tensor b = test::param(test::randn({2, 1}, 10));
  Tensor c = test::param(test::randn({2, 2}, 11));
  // The same tensor twice: its gradient is the sum of both slices.
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return concat({in[0], in[1], in[2], in[0]}, 1);
      },
      (std::vector<Tensor>{a, b, c}));
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return concat({transpose(in[0], 0, 1), in[2]}, 0);
      },
      (std::vector<Tensor>{a, b, c}));
}

TEST_CASE("gradcheck/split") {
  Tensor x = test::param(test::randn({2, 6}, 12));
  // The pieces put back in another order, so a piece whose gradient lands in the wrong slice fails.
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        std::vector<Tensor> p = split(in[0], {1, 3, 2}, 1);
        return concat({p[2], p[0], p[1]}, 1);
      },
      std::vector<Tensor>{x});
  // Only some pieces used: the others contribute no gradient.
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return split(in[0], {4, 2}, 1)[1];
      },
      std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/chunk") {
  Tensor x = test::param(test::randn({5, 2}, 13));
  CHECK_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        std::vector<Tensor> p = chunk(in[0], 3, 0);  // 2, 2, 1 rows
        return concat({p[1], p[2], p[0]}, 0);
      },
      std::vector<Tensor>{x});
}

TEST_CASE("gradcheck/index_select") {
  Tensor x = test::param(test::randn({4, 3}, 14));
  // Repeated and skipped indices: row 1 gets two gradients, row 3 none.
  Tensor index = index_of({1, 0, 1, 2});
  for (int64_t dim : {0, 1}) {
    CAPTURE(dim);
    Tensor idx = dim == 0 ? index : index_of({2, 2, 0});
    CHECK_GRADCHECK([&](const std::vector<Tensor>& in) { return index_select(in[0], dim, idx); },
                    std::vector<Tensor>{x});
  }
}

TEST_CASE("gradcheck/gather_labels") {
  Tensor x = test::param(test::randn({4, 3}, 15));
  Tensor labels = index_of({2, 0, 0, 1});
  CHECK_GRADCHECK([&](const std::vector<Tensor>& in) { return gather_labels(in[0], labels); },
                  std::vector<Tensor>{x});
}

TEST_CASE("shape_ops/gradient_of_views_lands_in_place") {
  // y = sum(narrow(x)) + 2 sum(transpose(x)[0]): dy/dx is 1 on the slice plus 2 on x's column 0.
  Tensor x = test::param(zeros({2, 3}, DType::Float64));
  Tensor y = sum(narrow(x, 1, 1, 2)) + sum(narrow(transpose(x, 0, 1), 0, 0, 1)) * 2.0;
  backward(y);
  CHECK(x.grad().to_vector() == std::vector<double>{2, 1, 1, 2, 1, 1});
}

TEST_CASE("gradcheck/option_a_shortcut") {
  Tensor x = test::param(test::randn({2, 3, 5, 4}, 1));
  auto f = [](const std::vector<Tensor>& in) { return option_a_shortcut(in[0], 2); };
  CHECK_GRADCHECK(f, (std::vector<Tensor>{x}));
}

TEST_CASE("option_a_shortcut/values") {
  // x[0, 0] = 0..15 as a 4x4 image; x[:, :, ::2, ::2] keeps 0, 2, 8, 10.
  Tensor x = reshape(arange(16), {1, 1, 4, 4});
  Tensor y = option_a_shortcut(x, 1);
  CHECK(y.shape() == Shape{1, 3, 2, 2});
  CHECK(y.to_vector() == std::vector<double>{0, 0, 0, 0, 0, 2, 8, 10, 0, 0, 0, 0});
  CHECK(option_a_shortcut(zeros({1, 2, 5, 3}), 1).shape() == Shape{1, 4, 3, 2});  // odd sizes
}
