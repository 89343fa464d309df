// Golden tests: bcl's outputs and gradients against PyTorch's, for the same inputs.
//
// tests/golden/make_golden.py computed the reference values with PyTorch (float32, CPU) and stored
// them, with their inputs, in tests/golden/data/*.safetensors; the op's parameters are in each
// file's metadata. The tests run from the repository root, or from anywhere with BCL_REPO_ROOT set.
//
// Tolerances are for float32: both libraries round each product and sum to float32, but in
// different orders (im2col + GEMM here, oneDNN or a direct loop there), so results differ by a few
// units in the last place of the largest partial sums. Those sums are over at most a few dozen
// terms of size ~1-10, hence the absolute 1e-5 plus relative 1e-4 used unless a check says
// otherwise.

#include "autograd/ops.h"
#include "tensor/safetensors.h"
#include "tests/golden/golden_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::load_golden;

namespace {

constexpr double kAtol = 1e-5;
constexpr double kRtol = 1e-4;

// Runs conv2d forward and backward on the file's inputs and compares everything with PyTorch.
void check_conv2d(const std::string& name) {
  SafetensorsFile golden = load_golden(name);
  const auto& t = golden.tensors;
  Conv2dParams p;
  p.stride_h = p.stride_w = std::stoll(golden.metadata.at("stride"));
  p.pad_h = p.pad_w = std::stoll(golden.metadata.at("padding"));
  p.groups = std::stoll(golden.metadata.at("groups"));

  Tensor x = test::param(t.at("input"));
  Tensor w = test::param(t.at("weight"));
  Tensor b = test::param(t.at("bias"));
  Tensor out = bcl::conv2d(x, w, b, p);  // qualified: ADL would also find raw::conv2d
  backward(out, t.at("grad_output"));

  CHECK_ALLCLOSE(out, t.at("output"), kAtol, kRtol);
  CHECK_ALLCLOSE(x.grad(), t.at("grad_input"), kAtol, kRtol);
  // dL/dw and dL/db sum over the batch and every output position (2 * 16 terms at most).
  CHECK_ALLCLOSE(w.grad(), t.at("grad_weight"), kAtol, kRtol);
  CHECK_ALLCLOSE(b.grad(), t.at("grad_bias"), kAtol, kRtol);
}

}  // namespace

TEST_CASE("golden/conv2d_grouped_strided") {
  check_conv2d("conv2d_grouped_strided");
}

TEST_CASE("golden/conv2d") {
  check_conv2d("conv2d");
}

TEST_CASE("golden/batch_norm_train") {
  SafetensorsFile golden = load_golden("batch_norm_train");
  const auto& t = golden.tensors;
  const double momentum = std::stod(golden.metadata.at("momentum"));
  const double eps = std::stod(golden.metadata.at("eps"));

  Tensor x = test::param(t.at("input"));
  Tensor gamma = test::param(t.at("weight"));
  Tensor beta = test::param(t.at("bias"));
  Tensor running_mean = raw::clone(t.at("running_mean_before"));
  Tensor running_var = raw::clone(t.at("running_var_before"));
  Tensor out =
      bcl::batch_norm(x, gamma, beta, running_mean, running_var, /*training=*/true, momentum, eps);
  backward(out, t.at("grad_output"));

  CHECK_ALLCLOSE(out, t.at("output"), kAtol, kRtol);
  // The running variance takes the unbiased batch variance (PyTorch's convention).
  CHECK_ALLCLOSE(running_mean, t.at("running_mean_after"), kAtol, kRtol);
  CHECK_ALLCLOSE(running_var, t.at("running_var_after"), kAtol, kRtol);
  // dL/dx subtracts two sums over the 18 values of a channel from M dy, so it loses a little more
  // precision than the forward pass; the default tolerance still covers it with room to spare.
  CHECK_ALLCLOSE(x.grad(), t.at("grad_input"), kAtol, kRtol);
  CHECK_ALLCLOSE(gamma.grad(), t.at("grad_weight"), kAtol, kRtol);
  CHECK_ALLCLOSE(beta.grad(), t.at("grad_bias"), kAtol, kRtol);
}

TEST_CASE("golden/cross_entropy_offset") {
  SafetensorsFile golden = load_golden("cross_entropy_offset");
  const auto& t = golden.tensors;
  Tensor logits = test::param(t.at("logits"));
  Tensor loss = bcl::cross_entropy(logits, t.at("labels"), t.at("offset"));
  backward(loss);

  CHECK_ALLCLOSE(loss, t.at("loss"), kAtol, kRtol);
  // softmax(logits + offset) - one_hot, divided by the batch size: values below 1/6.
  CHECK_ALLCLOSE(logits.grad(), t.at("grad_logits"), 1e-6, kRtol);
}
