// gpu_value_checks() (tensor/value_checks.h): the label check of the fused cross-entropy reads
// GPU labels only while it is on; CPU labels are checked either way.
#include <cmath>

#include "tensor/value_checks.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::skip_without_gpu;
using bcl::test::to_cuda;

TEST_CASE("value_checks/the guard turns the checks off and restores them") {
  REQUIRE(gpu_value_checks());
  {
    NoGpuValueChecks off;
    CHECK_FALSE(gpu_value_checks());
    {
      NoGpuValueChecks nested;
      CHECK_FALSE(gpu_value_checks());
    }
    CHECK_FALSE(gpu_value_checks());
  }
  CHECK(gpu_value_checks());
}

TEST_CASE("value_checks/cpu labels are checked with the gpu checks off") {
  NoGpuValueChecks off;
  const Tensor logits = zeros({3, 4}, DType::Float32);
  const Tensor bad = from_vector({0, 4, 1}, {3}, DType::Int64);
  CHECK_THROWS_WITH_AS(raw::cross_entropy_forward(logits, bad, Tensor()),
                       "gather_labels: labels[1] = 4 is out of range [0, 4)", Error);
}

TEST_CASE("cuda/value_checks_bad_label_throws_when_on_and_gives_nan_when_off") {
  if (skip_without_gpu()) return;
  const Tensor logits = to_cuda(test::randn({3, 4}, 5, DType::Float32));
  const Tensor bad = to_cuda(from_vector({0, 4, 1}, {3}, DType::Int64));
  CHECK_THROWS_WITH_AS(raw::cross_entropy_forward(logits, bad, Tensor()),
                       "gather_labels: labels[1] = 4 is out of range [0, 4)", Error);
  NoGpuValueChecks off;
  const raw::CrossEntropyParts parts = raw::cross_entropy_forward(logits, bad, Tensor());
  const std::vector<double> nll = test::to_cpu(parts.nll).to_vector();
  CHECK(std::isfinite(nll[0]));
  CHECK(std::isnan(nll[1]));
  CHECK(std::isfinite(nll[2]));
  // The backward compares labels and never indexes with them: finite, and the bad row has no -1.
  const Tensor grad =
      raw::cross_entropy_backward(to_cuda(ones({}, DType::Float32)), 1.0 / 3, logits, bad, Tensor(),
                                  parts.row_max, parts.log_sum);
  for (double g : test::to_cpu(grad).to_vector()) CHECK(std::isfinite(g));
}
