// Gradient checks of contrastive_anchor_losses (the fused SupCon / BCL per-anchor losses), in
// float64 on the CPU and, when a GPU is present, on CUDA (gradcheck there, then the GPU's forward
// and gradients against the CPU's, as tests/autograd/test_cuda_gradcheck.cpp does).
#include <vector>

#include "autograd/ops.h"
#include "tests/losses/loss_test_util.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;

namespace {

struct Case {
  const char* name;
  int64_t m, c;                 // anchors, classes (0: SupCon)
  std::vector<int64_t> labels;  // N images; M / N views
  double scale;                 // of the random logits (1/T times cosines)
};

// BCL with repeated (0, 2) and absent (1, 3) classes; SupCon with two views; SupCon with one view
// and a singleton class (an anchor without a positive: its row has no gradient); three views.
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {{"bcl", 10, 4, {0, 2, 2, 0, 2}, 3.0},
                                        {"bcl one class", 4, 1, {0, 0}, 5.0},
                                        {"supcon", 10, 0, {0, 2, 2, 0, 1}, 3.0},
                                        {"supcon one view", 4, 0, {0, 1, 0, 0}, 2.0},
                                        {"supcon three views", 9, 0, {4, 4, 1}, 3.0}};
  return all;
}

Tensor logits_of(const Case& t, uint64_t seed) {
  return raw::mul_scalar(test::randn({t.m, t.m + t.c}, seed), t.scale);
}

}  // namespace

TEST_CASE("gradcheck/contrastive_anchor_losses") {
  uint64_t seed = 900;
  for (const Case& t : cases()) {
    CAPTURE(t.name);
    const Tensor labels = test::labels_of(t.labels);
    const int64_t c = t.c;
    CHECK_GRADCHECK(
        [&](const std::vector<Tensor>& in) { return contrastive_anchor_losses(in[0], labels, c); },
        (std::vector<Tensor>{test::param(logits_of(t, ++seed))}));
  }
  // As in the losses: logits from unit features through matmul and the temperature.
  const Tensor z = test::param(test::unit_rows(test::randn({6, 4}, 950)));
  const Tensor protos = test::param(test::unit_rows(test::randn({2, 4}, 951)));
  const Tensor labels = test::labels_of({1, 0, 1});
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        const Tensor cols = concat({in[0], in[1]}, 0);
        return mean(
            contrastive_anchor_losses(matmul(in[0], transpose(cols, 0, 1)) / 0.2, labels, 2));
      },
      (std::vector<Tensor>{z, protos}));
}

TEST_CASE("cuda/gradcheck_contrastive_anchor_losses") {
  if (test::skip_without_gpu()) return;
  // float64 on both devices: they differ in the order of the row sums only (a few ulps); a wrong
  // index or formula moves values by 1e-3 or more.
  const double atol = 1e-10, rtol = 1e-9;
  uint64_t seed = 960;
  for (const Case& t : cases()) {
    CAPTURE(t.name);
    const Tensor labels = test::labels_of(t.labels), labels_gpu = test::to_cuda(labels);
    const int64_t c = t.c;
    const Tensor x = logits_of(t, ++seed);
    const Tensor x_gpu = test::param(test::to_cuda(x));
    auto f = [&](const std::vector<Tensor>& in) {
      return contrastive_anchor_losses(in[0], in[0].device() == Device::CUDA ? labels_gpu : labels,
                                       c);
    };
    CHECK_GRADCHECK(f, (std::vector<Tensor>{x_gpu}));

    const Tensor x_cpu = test::param(raw::clone(x));
    x_gpu.impl()->grad.reset();
    const Tensor out_cpu = f({x_cpu}), out_gpu = f({x_gpu});
    REQUIRE(out_gpu.device() == Device::CUDA);
    test::check_cuda_matches("autograd contrastive_anchor_losses forward", out_gpu, out_cpu, atol,
                             rtol);
    const Tensor r = test::randn(out_cpu.shape(), 4321);
    backward(out_cpu, r);
    backward(out_gpu, test::to_cuda(r));
    REQUIRE(x_gpu.grad().device() == Device::CUDA);
    test::check_cuda_matches("autograd contrastive_anchor_losses gradient", x_gpu.grad(),
                             x_cpu.grad(), atol, rtol);
  }
}
