// Gradient checks on CUDA: every differentiable op of autograd/ops.h (and the losses built from
// them), on the inputs of its CPU gradcheck in tests/autograd/, tests/losses/ and tests/nn/, moved
// to the GPU in float64. Each check does two things:
//   1. gradcheck on the GPU: backward's gradients against central finite differences;
//   2. the GPU's forward output and backward gradients (for one random weighting of the output)
//      against the CPU's on the same inputs, which catches a CUDA kernel that is wrong in the same
//      way in its forward and backward.
// Everything device-dependent (labels, indices, masks, running statistics) is passed to f as an
// input that does not require grad, so that one f runs on either device.
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/logit_adjusted_ce.h"
#include "losses/supcon.h"
#include "nn/resnet_cifar.h"
#include "tests/losses/loss_test_util.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::param;
using bcl::test::skip_without_gpu;
using test::conv;
using test::pool;

namespace {

using Inputs = std::vector<Tensor>;
using Fn = std::function<Tensor(const Inputs&)>;

// float64 on both devices: they differ only in the order of summation, which moves a result by a
// few ulps per term summed (under 1e-13 for these small shapes). A wrong index or formula moves
// values by 1e-3 or more.
constexpr double kAtol = 1e-10, kRtol = 1e-9;

// CUDA copies of the inputs; those that require grad on the CPU do so on the GPU.
Inputs to_cuda_inputs(const Inputs& cpu) {
  Inputs out;
  for (const Tensor& x : cpu) {
    if (!x.defined()) {
      out.push_back(x);
      continue;
    }
    Tensor g = test::to_cuda(x);
    if (x.requires_grad()) g.set_requires_grad(true);
    out.push_back(g);
  }
  return out;
}

void reset_grads(const Inputs& xs) {
  for (const Tensor& x : xs) {
    if (x.defined()) x.impl()->grad.reset();
  }
}

// The checks 1 and 2 above for f on (CUDA copies of) cpu_inputs.
void check_on_cuda(const std::string& op, const Fn& f, const Inputs& cpu_inputs,
                   const GradcheckOptions& opts = {}) {
  CAPTURE(op);
  const Inputs gpu_inputs = to_cuda_inputs(cpu_inputs);

  const GradcheckResult gc = gradcheck(f, gpu_inputs, opts);
  INFO(gc.message);
  CHECK(gc.ok);
  CHECK(gc.checked > 0);

  reset_grads(cpu_inputs);
  reset_grads(gpu_inputs);
  const Tensor out_cpu = f(cpu_inputs), out_gpu = f(gpu_inputs);
  REQUIRE(out_gpu.device() == Device::CUDA);
  test::check_cuda_matches(op + " forward", out_gpu, out_cpu, kAtol, kRtol);
  const Tensor r = test::randn(out_cpu.shape(), 4321);
  backward(out_cpu, r);
  backward(out_gpu, test::to_cuda(r));
  for (size_t k = 0; k < cpu_inputs.size(); ++k) {
    const Tensor& c = cpu_inputs[k];
    if (!c.defined() || !c.requires_grad()) continue;
    CAPTURE(k);
    const Tensor gc_grad = gpu_inputs[k].grad(), cc_grad = c.grad();
    REQUIRE(gc_grad.defined() == cc_grad.defined());
    if (!cc_grad.defined()) continue;
    CHECK(gc_grad.device() == Device::CUDA);
    test::check_cuda_matches(op + " gradient", gc_grad, cc_grad, kAtol, kRtol);
  }
}

Tensor index_of(const std::vector<int64_t>& values) {
  return test::labels_of(values);
}

}  // namespace

// ---- Elementwise (tests/autograd/test_elementwise_grad.cpp) ----------------------------------

TEST_CASE("cuda/gradcheck_add") {
  if (skip_without_gpu()) return;
  auto f = [](const Inputs& x) { return add(x[0], x[1]); };
  check_on_cuda("autograd add", f, {param(test::randn({3, 1}, 1)), param(test::randn({1, 4}, 2))});
  check_on_cuda("autograd add", f, {param(test::randn({2, 3, 4}, 3)), param(test::randn({4}, 4))});
  check_on_cuda("autograd add", f, {param(test::randn({2, 3}, 5)), param(test::randn({}, 6))});
}

TEST_CASE("cuda/gradcheck_add_scalar") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd add_scalar", [](const Inputs& x) { return x[0] + 2.5; },
                {param(test::randn({2, 3}, 7))});
}

TEST_CASE("cuda/gradcheck_sub") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd sub", [](const Inputs& x) { return x[0] - x[1]; },
                {param(test::randn({2, 3}, 8)), param(test::randn({2, 1}, 9))});
}

TEST_CASE("cuda/gradcheck_mul") {
  if (skip_without_gpu()) return;
  auto f = [](const Inputs& x) { return x[0] * x[1]; };
  check_on_cuda("autograd mul", f, {param(test::randn({2, 3}, 10)), param(test::randn({3}, 11))});
  // Only one input requires grad: the other's gradient is never computed.
  const Inputs gpu = to_cuda_inputs({param(test::randn({2, 3}, 13)), test::randn({2, 3}, 12)});
  backward(f(gpu), test::to_cuda(test::randn({2, 3}, 14)));
  CHECK(gpu[0].grad().defined());
  CHECK_FALSE(gpu[1].grad().defined());
  check_on_cuda("autograd mul", f, {param(test::randn({2, 3}, 13)), test::randn({2, 3}, 12)});
}

TEST_CASE("cuda/gradcheck_mul_scalar") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd mul_scalar", [](const Inputs& x) { return -3.0 * x[0] / 2.0 - 1.0; },
                {param(test::randn({4}, 14))});
}

TEST_CASE("cuda/gradcheck_div") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd div", [](const Inputs& x) { return x[0] / x[1]; },
                {param(test::randn({2, 3}, 15)), param(test::uniform({2, 1}, 0.5, 2.0, 16))});
}

TEST_CASE("cuda/gradcheck_unary") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd neg", [](const Inputs& x) { return -x[0]; },
                {param(test::randn({3}, 17))});
  check_on_cuda("autograd exp", [](const Inputs& x) { return exp(x[0]); },
                {param(test::randn({2, 3}, 18))});
  // Positive inputs where the function needs them.
  check_on_cuda("autograd log", [](const Inputs& x) { return log(x[0]); },
                {param(test::uniform({2, 3}, 0.5, 3.0, 19))});
  check_on_cuda("autograd sqrt", [](const Inputs& x) { return sqrt(x[0]); },
                {param(test::uniform({2, 3}, 0.5, 3.0, 20))});
  check_on_cuda("autograd rsqrt", [](const Inputs& x) { return rsqrt(x[0]); },
                {param(test::uniform({2, 3}, 0.5, 3.0, 21))});
}

TEST_CASE("cuda/gradcheck_pow") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd pow", [](const Inputs& x) { return pow(x[0], 3); },
                {param(test::randn({2, 3}, 22))});
  check_on_cuda("autograd pow", [](const Inputs& x) { return pow(x[0], -1.5); },
                {param(test::uniform({2, 3}, 0.5, 3.0, 23))});
}

TEST_CASE("cuda/gradcheck_relu_clamp") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd relu", [](const Inputs& x) { return relu(x[0]); },
                {param(test::randn({3, 4}, 24))});
  check_on_cuda("autograd clamp", [](const Inputs& x) { return clamp(x[0], -0.5, 0.7); },
                {param(test::randn({3, 4}, 25))});
}

TEST_CASE("cuda/gradcheck_where") {
  if (skip_without_gpu()) return;
  // cond [3, 1] picks rows; a [3, 4] and b [4] broadcast against it.
  const Tensor cond = from_vector({1, 0, 1}, {3, 1}, DType::Float64);
  check_on_cuda("autograd where", [](const Inputs& x) { return where(x[2], x[0], x[1]); },
                {param(test::randn({3, 4}, 26)), param(test::randn({4}, 27)), cond});
}

// ---- Reductions (tests/autograd/test_reduce_grad.cpp) ----------------------------------------

TEST_CASE("cuda/gradcheck_sum") {
  if (skip_without_gpu()) return;
  const Inputs x{param(test::randn({2, 3, 4}, 31))};
  check_on_cuda(
      "autograd sum", [](const Inputs& v) { return sum(v[0]); }, x);
  check_on_cuda(
      "autograd sum", [](const Inputs& v) { return sum(v[0], {1}); }, x);
  check_on_cuda(
      "autograd sum",
      [](const Inputs& v) {
        return sum(v[0], {0, -1}, true);
      },
      x);
}

TEST_CASE("cuda/gradcheck_mean") {
  if (skip_without_gpu()) return;
  const Inputs x{param(test::randn({2, 3, 4}, 32))};
  check_on_cuda(
      "autograd mean", [](const Inputs& v) { return mean(v[0]); }, x);
  check_on_cuda(
      "autograd mean", [](const Inputs& v) { return mean(v[0], {2}, true); }, x);
  check_on_cuda(
      "autograd mean",
      [](const Inputs& v) {
        return mean(v[0], {0, 2});
      },
      x);
}

TEST_CASE("cuda/gradcheck_max") {
  if (skip_without_gpu()) return;
  const Inputs x{param(test::randn({3, 4}, 33))};
  check_on_cuda(
      "autograd max", [](const Inputs& v) { return max(v[0], 1); }, x);
  check_on_cuda(
      "autograd max", [](const Inputs& v) { return max(v[0], -2, true); }, x);
  // Ties: the gradient goes to the first maximum, as on the CPU.
  const Inputs gpu =
      to_cuda_inputs({param(from_vector({1, 3, 3, 2, 0, 2}, {2, 3}, DType::Float64))});
  backward(max(gpu[0], 1), test::to_cuda(from_vector({10, 20}, {2}, DType::Float64)));
  CHECK(gpu[0].grad().to_vector() == std::vector<double>{0, 10, 0, 20, 0, 0});
}

// ---- Products and layers (tests/autograd/test_linalg_grad.cpp) -------------------------------

TEST_CASE("cuda/gradcheck_matmul") {
  if (skip_without_gpu()) return;
  auto mm = [](const Inputs& in) { return matmul(in[0], in[1]); };
  check_on_cuda("autograd matmul", mm,
                {param(test::randn({3, 4}, 1)), param(test::randn({4, 2}, 2))});
  // Through transposed views, which reach GEMM as transposes.
  check_on_cuda(
      "autograd matmul",
      [](const Inputs& in) { return matmul(transpose(in[1], 0, 1), transpose(in[0], 0, 1)); },
      {param(test::randn({3, 4}, 1)), param(test::randn({4, 2}, 2))});
  // Batched; batched times a broadcast 2-D operand; and the other way round.
  check_on_cuda("autograd matmul", mm,
                {param(test::randn({2, 3, 4}, 3)), param(test::randn({2, 4, 2}, 4))});
  check_on_cuda("autograd matmul", mm,
                {param(test::randn({2, 3, 4}, 5)), param(test::randn({4, 2}, 6))});
  check_on_cuda("autograd matmul", mm,
                {param(test::randn({3, 4}, 7)), param(test::randn({2, 4, 2}, 8))});
}

TEST_CASE("cuda/gradcheck_linear") {
  if (skip_without_gpu()) return;
  const Inputs v{param(test::randn({4, 3}, 9)), param(test::randn({5, 3}, 10)),
                 param(test::randn({5}, 11))};
  check_on_cuda(
      "autograd linear", [](const Inputs& in) { return linear(in[0], in[1], in[2]); }, v);
  check_on_cuda("autograd linear", [](const Inputs& in) { return linear(in[0], in[1], Tensor()); },
                {param(test::randn({4, 3}, 9)), param(test::randn({5, 3}, 10))});
}

TEST_CASE("cuda/gradcheck_conv2d") {
  if (skip_without_gpu()) return;
  check_on_cuda("autograd conv2d",
                [](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 1)); },
                {param(test::randn({2, 3, 5, 5}, 12)), param(test::randn({4, 3, 3, 3}, 13)),
                 param(test::randn({4}, 14))});
  // 1x1.
  check_on_cuda("autograd conv2d",
                [](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 0)); },
                {param(test::randn({2, 3, 3, 3}, 15)), param(test::randn({2, 3, 1, 1}, 16)),
                 param(test::randn({2}, 17))});
  // Strided, on a non-square image.
  check_on_cuda("autograd conv2d",
                [](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(2, 1)); },
                {param(test::randn({2, 2, 6, 5}, 18)), param(test::randn({3, 2, 3, 3}, 19)),
                 param(test::randn({3}, 20))});
  // Grouped; depthwise, strided, without bias.
  check_on_cuda("autograd conv2d",
                [](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 1, 2)); },
                {param(test::randn({2, 4, 4, 4}, 21)), param(test::randn({6, 2, 3, 3}, 22)),
                 param(test::randn({6}, 23))});
  check_on_cuda("autograd conv2d",
                [](const Inputs& in) { return bcl::conv2d(in[0], in[1], Tensor(), conv(2, 1, 3)); },
                {param(test::randn({1, 3, 5, 5}, 24)), param(test::randn({3, 1, 3, 3}, 25))});
  // Only the weight and bias need gradients (a network's first layer).
  check_on_cuda("autograd conv2d",
                [](const Inputs& in) { return bcl::conv2d(in[0], in[1], in[2], conv(1, 1)); },
                {test::randn({1, 2, 4, 4}, 26), param(test::randn({3, 2, 3, 3}, 27)),
                 param(test::randn({3}, 28))});
}

// ---- Normalisation and pooling (tests/autograd/test_norm_grad.cpp, test_pool_grad.cpp) -------

TEST_CASE("cuda/gradcheck_batch_norm") {
  if (skip_without_gpu()) return;
  // Training mode, BatchNorm2d's [N, C, H, W] and BatchNorm1d's [N, C]. The running statistics
  // (inputs 3 and 4) are updated by every call but do not affect the output.
  for (const Shape& shape : {Shape{3, 2, 2, 3}, Shape{5, 3}}) {
    CAPTURE(shape_str(shape));
    const int64_t c = shape[1];
    check_on_cuda(
        "autograd batch_norm",
        [](const Inputs& in) {
          return batch_norm(in[0], in[1], in[2], in[3], in[4], /*training=*/true);
        },
        {param(test::randn(shape, 1)), param(test::randn({c}, 2)), param(test::randn({c}, 3)),
         zeros({c}, DType::Float64), ones({c}, DType::Float64)});
    check_on_cuda("autograd batch_norm",
                  [](const Inputs& in) {
                    return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(),
                                      /*training=*/true);
                  },
                  {param(test::randn(shape, 1))});
  }
}

TEST_CASE("cuda/gradcheck_batch_norm_eval") {
  if (skip_without_gpu()) return;
  const Tensor running_mean = test::randn({2}, 7);
  const Tensor running_var = test::uniform({2}, 0.5, 2.0, 8);
  check_on_cuda("autograd batch_norm_eval",
                [](const Inputs& in) {
                  return batch_norm(in[0], in[1], in[2], in[3], in[4], /*training=*/false);
                },
                {param(test::randn({3, 2, 2, 2}, 4)), param(test::randn({2}, 5)),
                 param(test::randn({2}, 6)), running_mean, running_var});
  check_on_cuda("autograd batch_norm_eval",
                [](const Inputs& in) {
                  return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], /*training=*/false);
                },
                {param(test::randn({3, 2, 2, 2}, 4)), running_mean, running_var});
}

TEST_CASE("cuda/gradcheck_pools") {
  if (skip_without_gpu()) return;
  // Random normal values: no two in a window are within eps, so no kink is crossed.
  const Inputs x{param(test::randn({2, 2, 5, 5}, 1))};
  check_on_cuda(
      "autograd max_pool2d", [](const Inputs& v) { return bcl::max_pool2d(v[0], pool(2, 2, 0)); },
      x);
  // Overlapping, padded windows.
  check_on_cuda(
      "autograd max_pool2d", [](const Inputs& v) { return bcl::max_pool2d(v[0], pool(3, 2, 1)); },
      x);
  const Inputs y{param(test::randn({2, 2, 5, 5}, 2))};
  check_on_cuda(
      "autograd avg_pool2d", [](const Inputs& v) { return bcl::avg_pool2d(v[0], pool(2, 2, 0)); },
      y);
  check_on_cuda(
      "autograd avg_pool2d", [](const Inputs& v) { return bcl::avg_pool2d(v[0], pool(3, 2, 1)); },
      y);
  check_on_cuda("autograd global_avg_pool2d",
                [](const Inputs& v) { return global_avg_pool2d(v[0]); },
                {param(test::randn({2, 3, 4, 5}, 3))});
}

// ---- Softmax and losses (tests/autograd/test_loss_grad.cpp, tests/losses/) -------------------

TEST_CASE("cuda/gradcheck_log_softmax") {
  if (skip_without_gpu()) return;
  for (int64_t dim : {0, 1, -1}) {
    CAPTURE(dim);
    check_on_cuda("autograd log_softmax",
                  [dim](const Inputs& in) { return log_softmax(in[0], dim); },
                  {param(test::randn({3, 4, 2}, 1))});
  }
}

TEST_CASE("cuda/gradcheck_l2_normalize") {
  if (skip_without_gpu()) return;
  for (int64_t dim : {1, 0}) {
    CAPTURE(dim);
    check_on_cuda("autograd l2_normalize",
                  [dim](const Inputs& in) { return l2_normalize(in[0], dim); },
                  {param(test::randn({3, 4}, 2))});
  }
  // A row whose norm is below eps is divided by eps.
  check_on_cuda("autograd l2_normalize",
                [](const Inputs& in) { return l2_normalize(in[0], 1, 1e-2); },
                {param(from_vector({1e-4, -2e-4, 3e-1, 4e-1}, {2, 2}, DType::Float64))});
}

TEST_CASE("cuda/gradcheck_cross_entropy") {
  if (skip_without_gpu()) return;
  const Tensor labels = index_of({2, 0, 4, 2});
  check_on_cuda("autograd cross_entropy",
                [](const Inputs& in) { return cross_entropy(in[0], in[1]); },
                {param(test::randn({4, 5}, 3)), labels});
  check_on_cuda("autograd cross_entropy",
                [](const Inputs& in) { return cross_entropy(in[0], in[1], in[2]); },
                {param(test::randn({4, 5}, 3)), labels, test::randn({5}, 4)});
}

TEST_CASE("cuda/gradcheck_losses") {
  if (skip_without_gpu()) return;
  check_on_cuda(
      "loss logit_adjusted_cross_entropy",
      [](const Inputs& in) { return losses::logit_adjusted_cross_entropy(in[0], in[1], in[2]); },
      {param(test::randn({6, 5}, 221)), index_of({0, 0, 4, 2, 0, 2}),
       losses::log_prior({100, 40, 10, 3, 1}, 1.0, DType::Float64)});
  // Repeated classes and absent ones; features [B, 2, D] normalised inside the graph.
  check_on_cuda(
      "loss supcon",
      [](const Inputs& in) { return losses::supcon_loss(l2_normalize(in[0], 2), in[1], 0.2); },
      {param(test::randn({5, 2, 4}, 121)), index_of({0, 2, 2, 0, 1})});
  check_on_cuda("loss bcl",
                [](const Inputs& in) {
                  return losses::bcl_loss(l2_normalize(in[0], 2), in[1], l2_normalize(in[2], 1),
                                          0.2);
                },
                {param(test::randn({5, 2, 4}, 31)), index_of({0, 2, 2, 0, 2}),
                 param(test::randn({4, 4}, 32))});
}

// ---- Shape and indexing (tests/autograd/test_shape_grad.cpp, tests/nn/test_models.cpp) -------

TEST_CASE("cuda/gradcheck_views") {
  if (skip_without_gpu()) return;
  const Tensor x = test::randn({2, 3, 2}, 1);
  check_on_cuda("autograd reshape",
                [](const Inputs& in) {
                  return reshape(in[0], {3, -1});
                },
                {param(x)});
  // Of a non-contiguous view (reshape copies).
  check_on_cuda("autograd reshape",
                [](const Inputs& in) {
                  return reshape(transpose(in[0], 0, 2), {4, 3});
                },
                {param(x)});
  check_on_cuda("autograd permute",
                [](const Inputs& in) {
                  return permute(in[0], {2, 0, 1});
                },
                {param(test::randn({2, 3, 4}, 2))});
  check_on_cuda("autograd permute",
                [](const Inputs& in) {
                  return permute(in[0], {-1, 1, 0});
                },
                {param(test::randn({2, 3, 4}, 2))});
  check_on_cuda("autograd transpose", [](const Inputs& in) { return transpose(in[0], 0, 2); },
                {param(test::randn({2, 3, 4}, 3))});
  check_on_cuda("autograd narrow", [](const Inputs& in) { return narrow(in[0], 1, 1, 3); },
                {param(test::randn({3, 5}, 4))});
  check_on_cuda("autograd narrow", [](const Inputs& in) { return narrow(in[0], -2, 2, 1); },
                {param(test::randn({3, 5}, 4))});
  // [3, 1] -> [2, 3, 4]: a new leading dim and a broadcast dim, both summed in the backward.
  check_on_cuda("autograd expand",
                [](const Inputs& in) {
                  return expand(in[0], {2, 3, 4});
                },
                {param(test::randn({3, 1}, 5))});
  check_on_cuda("autograd unsqueeze", [](const Inputs& in) { return unsqueeze(in[0], 1); },
                {param(test::randn({2, 3}, 6))});
  check_on_cuda("autograd squeeze", [](const Inputs& in) { return squeeze(in[0], 1); },
                {param(test::randn({2, 1, 3}, 7))});
  check_on_cuda("autograd flatten", [](const Inputs& in) { return flatten(in[0], 1); },
                {param(test::randn({2, 3, 2}, 8))});
}

TEST_CASE("cuda/gradcheck_concat_split_chunk") {
  if (skip_without_gpu()) return;
  const Inputs abc{param(test::randn({2, 3}, 9)), param(test::randn({2, 1}, 10)),
                   param(test::randn({2, 2}, 11))};
  // The same tensor twice: its gradient is the sum of both slices.
  check_on_cuda(
      "autograd concat",
      [](const Inputs& in) {
        return concat({in[0], in[1], in[2], in[0]}, 1);
      },
      abc);
  check_on_cuda("autograd concat",
                [](const Inputs& in) {
                  return concat({transpose(in[0], 0, 1), in[2]}, 0);
                },
                {param(test::randn({2, 3}, 9)), param(test::randn({2, 1}, 10)),
                 param(test::randn({2, 2}, 11))});
  // The pieces put back in another order, so a piece whose gradient lands in the wrong slice fails.
  check_on_cuda("autograd split",
                [](const Inputs& in) {
                  std::vector<Tensor> p = split(in[0], {1, 3, 2}, 1);
                  return concat({p[2], p[0], p[1]}, 1);
                },
                {param(test::randn({2, 6}, 12))});
  check_on_cuda("autograd split",
                [](const Inputs& in) {
                  return split(in[0], {4, 2}, 1)[1];
                },
                {param(test::randn({2, 6}, 12))});
  check_on_cuda("autograd chunk",
                [](const Inputs& in) {
                  std::vector<Tensor> p = chunk(in[0], 3, 0);  // 2, 2, 1 rows
                  return concat({p[1], p[2], p[0]}, 0);
                },
                {param(test::randn({5, 2}, 13))});
}

TEST_CASE("cuda/gradcheck_index_ops") {
  if (skip_without_gpu()) return;
  // Repeated and skipped indices: row 1 gets two gradients, row 3 none.
  check_on_cuda("autograd index_select",
                [](const Inputs& in) { return index_select(in[0], 0, in[1]); },
                {param(test::randn({4, 3}, 14)), index_of({1, 0, 1, 2})});
  check_on_cuda("autograd index_select",
                [](const Inputs& in) { return index_select(in[0], 1, in[1]); },
                {param(test::randn({4, 3}, 14)), index_of({2, 2, 0})});
  check_on_cuda("autograd gather_labels",
                [](const Inputs& in) { return gather_labels(in[0], in[1]); },
                {param(test::randn({4, 3}, 15)), index_of({2, 0, 0, 1})});
  // ResNet-32's option-A shortcut: a strided slice padded with zero channels.
  check_on_cuda("nn option_a_shortcut",
                [](const Inputs& in) { return option_a_shortcut(in[0], 2); },
                {param(test::randn({2, 3, 5, 4}, 1))});
}

TEST_CASE("cuda/gradcheck_rejects_bad_inputs") {
  if (skip_without_gpu()) return;
  // A non-contiguous float64 input, and a float32 one, are refused on the GPU as on the CPU.
  const Tensor t = param(test::to_cuda(test::randn({3, 2}, 1)));
  const Tensor strided = param(raw::transpose(test::to_cuda(test::randn({3, 2}, 2)), 0, 1));
  const Tensor f32 = param(test::to_cuda(test::randn({3}, 3, DType::Float32)));
  auto f = [](const Inputs& in) { return mul(in[0], 2.0); };
  CHECK_THROWS_WITH_AS(gradcheck(f, {strided}),
                       doctest::Contains("must be contiguous float64 tensors"), Error);
  CHECK_THROWS_WITH_AS(gradcheck(f, {f32}), doctest::Contains("must be contiguous float64"), Error);
  // A correct check leaves the input's values unchanged (each element is put back exactly).
  const std::vector<double> before = t.to_vector();
  CHECK(gradcheck(f, {t}).ok);
  CHECK(t.to_vector() == before);
}
