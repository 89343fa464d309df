// The CUDA sgd_step kernel against its CPU twin, also through nn::SGD.
#include <vector>

#include "nn/optim.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

TEST_CASE("cuda/sgd_step_fused_matches_cpu") {
  if (skip_without_gpu()) return;
  // Tolerance. The CUDA kernel spells out the CPU kernel's rounding when the CPU build contracts
  // dst += alpha * src into an FMA (-O3 -march=native on a CPU with FMA): then they agree bit for
  // bit, which the message below reports. Without FMA on the CPU they differ by an ulp or so per
  // step: float64 1e-14 relative, float32 1e-6 (atol for values near 0).
  const std::vector<raw::SgdStepParams> all = {
      {0.1, 0.0, 0.0, false, false}, {0.1, 0.0, 5e-4, false, false},
      {0.1, 0.9, 0.0, false, false}, {0.1, 0.9, 5e-4, false, false},
      {0.1, 0.9, 5e-4, true, false}, {0.05, 0.9, 1e-4, true, false}};
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const bool f64 = dtype == DType::Float64;
    const double atol = f64 ? 1e-15 : 1e-7, rtol = f64 ? 1e-14 : 1e-6;
    for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{(1 << 20) + 3}}) {
      for (raw::SgdStepParams s : all) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(n);
        CAPTURE(s.momentum);
        CAPTURE(s.weight_decay);
        CAPTURE(s.nesterov);
        Tensor p = test::randn({n}, 91, dtype);
        Tensor p_gpu = to_cuda(p);
        Tensor buf = s.momentum != 0 ? empty({n}, dtype) : Tensor();
        Tensor buf_gpu = s.momentum != 0 ? empty({n}, dtype, Device::CUDA) : Tensor();
        bool bitwise = true;
        for (int step = 0; step < 3; ++step) {
          s.first_step = step == 0;
          Tensor g = test::randn({n}, 92 + step, dtype);
          raw::sgd_step_(p, g, buf, s);
          raw::sgd_step_(p_gpu, to_cuda(g), buf_gpu, s);
          check_cuda_matches("sgd_step_.param", p_gpu, p, atol, rtol);
          bitwise = bitwise && to_cpu(p_gpu).to_vector() == p.to_vector();
          if (s.momentum != 0) {
            check_cuda_matches("sgd_step_.momentum_buf", buf_gpu, buf, atol, rtol);
            bitwise = bitwise && to_cpu(buf_gpu).to_vector() == buf.to_vector();
          }
        }
        if (!bitwise) MESSAGE("sgd_step_: CUDA within tolerance but not bitwise equal to the CPU");
      }
    }
  }
}

TEST_CASE("cuda/sgd_optimizer_on_cuda_parameters") {
  if (skip_without_gpu()) return;
  // nn::SGD over a CUDA parameter takes the fused kernel and keeps its buffer on the GPU; the
  // values follow the CPU optimiser's (tolerance as in sgd_step_fused_matches_cpu, float32).
  const nn::SGDOptions o{0.1, 0.9, 5e-4, true};
  Tensor init = test::randn({33, 65}, 101, DType::Float32);
  Tensor p = test::param(raw::clone(init));
  Tensor p_gpu = test::param(to_cuda(init));
  nn::SGD sgd({{"w", p}}, o);
  nn::SGD sgd_gpu({{"w", p_gpu}}, o);
  for (int step = 0; step < 3; ++step) {
    Tensor g = test::randn({33, 65}, 102 + step, DType::Float32);
    p.set_grad(g);
    p_gpu.set_grad(to_cuda(g));
    sgd.step();
    sgd_gpu.step();
  }
  check_cuda_matches("sgd_step_.param", p_gpu, p, 1e-7, 1e-6);
  Tensor buf_gpu = sgd_gpu.state_dict().at("momentum.w");
  CHECK(buf_gpu.device() == Device::CUDA);
  check_cuda_matches("sgd_step_.momentum_buf", buf_gpu, sgd.state_dict().at("momentum.w"), 1e-7,
                     1e-6);
}
