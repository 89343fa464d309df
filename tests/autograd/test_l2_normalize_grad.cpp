// The gradient and values of l2_normalize.
#include <cmath>

#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("gradcheck/l2_normalize") {
  Tensor x = test::param(test::randn({3, 4}, 2));
  for (int64_t dim : {1, 0}) {
    CAPTURE(dim);
    CHECK_GRADCHECK([dim](const std::vector<Tensor>& in) { return l2_normalize(in[0], dim); },
                    std::vector<Tensor>{x});
  }
  // A row whose norm is below eps is divided by eps: a linear map, gradient g / eps.
  Tensor tiny = test::param(from_vector({1e-4, -2e-4, 3e-1, 4e-1}, {2, 2}, DType::Float64));
  CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return l2_normalize(in[0], 1, 1e-2); },
                  std::vector<Tensor>{tiny});
}

TEST_CASE("l2_normalize/values") {
  Tensor x = from_vector({3, 4, 0, 0}, {2, 2}, DType::Float64);
  // [3, 4] / 5; the zero row stays 0 instead of 0 / 0.
  CHECK(l2_normalize(x, 1).to_vector() == std::vector<double>{0.6, 0.8, 0, 0});
}
