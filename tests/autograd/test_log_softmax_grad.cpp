// The gradient of log_softmax.
#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("gradcheck/log_softmax") {
  Tensor x = test::param(test::randn({3, 4, 2}, 1));
  for (int64_t dim : {0, 1, -1}) {
    CAPTURE(dim);
    CHECK_GRADCHECK([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); },
                    std::vector<Tensor>{x});
  }
}
