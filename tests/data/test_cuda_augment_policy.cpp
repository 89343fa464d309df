// The CUDA "autoaug-cutout" view (data/augment_batch.cu) against the same op on the CPU, all
// exact: the draws are integer and Philox work plus comparisons with the same double constants;
// the pixels are augment_pixels.h's run_step on both devices with every rounding explicit,
// rotate's matrix comes from the host, and the per-image statistics are integer sums and counts,
// whatever order a block adds them in.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "data/augment_batch.h"
#include "tests/data/augment_test_util.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using namespace bcl::test;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cuda;

namespace {

// Every field of each sample's params as a float64 [N, 16] host tensor.
Tensor param_fields(const std::vector<augment::AutoAugCutoutParams>& ps) {
  std::vector<double> v;
  for (const auto& p : ps)
    v.insert(v.end(),
             {double(p.top), double(p.left), double(p.flip), double(p.policy), double(p.op[0]),
              double(p.op[1]), double(p.magnitude[0]), double(p.magnitude[1]), double(p.sign[0]),
              double(p.sign[1]), double(p.apply[0]), double(p.apply[1]), double(p.cut_y0),
              double(p.cut_y1), double(p.cut_x0), double(p.cut_x1)});
  return from_vector(v, {static_cast<int64_t>(ps.size()), 16}, DType::Float64);
}

struct Case {
  int64_t h, w;
  augment::AutoAugCutoutConfig cfg;
};
std::vector<Case> cases() {
  augment::AutoAugCutoutConfig odd = augment::autoaug_cutout_config(17);
  odd.fill[0] = 5;
  odd.fill[2] = 250;
  return {Case{32, 32, {}}, Case{30, 36, augment::autoaug_cutout_config(28)}, Case{20, 19, odd},
          Case{64, 64, augment::autoaug_cutout_config(64)}};
}

}  // namespace

TEST_CASE("cuda/autoaug_cutout_params_match_cpu") {
  if (skip_without_gpu()) return;
  for (const Case& c : cases()) {
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(c.cfg.size);
      CAPTURE(n);
      const Tensor idx = indices_for(n, 50000, int64_t{1} << 33);
      const augment::SampleKey key{0x1234ABCDull, 9, 0};
      const Tensor cpu = augment::autoaug_cutout_params(idx, key, c.cfg, c.h, c.w);
      const Tensor gpu = augment::autoaug_cutout_params(to_cuda(idx), key, c.cfg, c.h, c.w);
      CHECK(gpu.device() == Device::CUDA);
      check_cuda_matches(
          "autoaug_cutout_params",
          to_cuda(param_fields(augment::params_to_host<augment::AutoAugCutoutParams>(gpu))),
          param_fields(augment::params_to_host<augment::AutoAugCutoutParams>(cpu)), 0, 0);
    }
  }
}

TEST_CASE("cuda/augment_autoaug_cutout_matches_cpu") {
  if (skip_without_gpu()) return;
  for (const Case& c : cases()) {
    const int64_t count = 40;
    const augment::PackedImages cpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CPU, 41);
    const augment::PackedImages gpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CUDA, 41);
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(c.cfg.size);
      CAPTURE(n);
      const Tensor idx = indices_for(n, count);
      const Tensor params = augment::autoaug_cutout_params(idx, {3, 1, 0}, c.cfg, c.h, c.w);
      const Tensor cpu =
          augment::augment_autoaug_cutout(cpu_images, idx, params, c.cfg, cifar_norm());
      const Tensor gpu = augment::augment_autoaug_cutout(gpu_images, to_cuda(idx), to_cuda(params),
                                                         c.cfg, cifar_norm());
      CHECK(gpu.device() == Device::CUDA);
      check_cuda_matches("augment_autoaug_cutout", gpu, cpu, 0, 0);
    }
  }
}

TEST_CASE("cuda/augment_autoaug_cutout_every_op_matches_cpu") {
  if (skip_without_gpu()) return;
  // Each op at each magnitude and sign, alone and followed by another op, with crops into the
  // padding, flips and holes: ShearX too, which the policy never draws.
  for (const Case& c : cases()) {
    CAPTURE(c.cfg.size);
    const int64_t count = 6;
    const augment::PackedImages cpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CPU, 41);
    const augment::PackedImages gpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CUDA, 41);
    std::vector<augment::AutoAugCutoutParams> params;
    std::vector<int64_t> idx;
    const int32_t size = c.cfg.size, pad = c.cfg.padding;
    int k = 0;
    for (int32_t op = 0; op < augment::kNumPolicyOps; ++op) {
      for (int32_t m = 0; m < 10; ++m) {
        for (int32_t sign : {-1, 1}) {
          augment::AutoAugCutoutParams p;
          p.top = k % 3 - pad;
          p.left = static_cast<int32_t>(c.w) + pad - size - k % 2;
          p.flip = k % 2;
          p.op[0] = op;
          p.magnitude[0] = m;
          p.sign[0] = sign;
          p.apply[0] = 1;
          p.op[1] = (op + 1 + k) % augment::kNumPolicyOps;
          p.magnitude[1] = (m + k) % 10;
          p.sign[1] = -sign;
          p.apply[1] = k % 3 == 0;
          p.cut_y0 = k % size;
          p.cut_y1 = p.cut_y0 + size / 3;
          p.cut_x0 = (k * 7) % size;
          p.cut_x1 = p.cut_x0 + size / 4;
          params.push_back(p);
          idx.push_back(k % count);
          ++k;
        }
      }
    }
    Tensor index = empty({static_cast<int64_t>(idx.size())}, DType::Int64);
    std::copy(idx.begin(), idx.end(), index.data<int64_t>());
    const Tensor cpu = augment::augment_autoaug_cutout(
        cpu_images, index, augment::params_from_host(params, Device::CPU), c.cfg, cifar_norm());
    const Tensor gpu = augment::augment_autoaug_cutout(
        gpu_images, to_cuda(index), augment::params_from_host(params, Device::CUDA), c.cfg,
        cifar_norm());
    check_cuda_matches("augment_autoaug_cutout", gpu, cpu, 0, 0);
  }
}

TEST_CASE("cuda/augment_autoaug_cutout_edge_cases") {
  if (skip_without_gpu()) return;
  const augment::PackedImages images = ramp_flat_noise_images(4, 32, 32, Device::CUDA, 41);
  const augment::AutoAugCutoutConfig cfg;
  // Out-of-range indices give NaN on the GPU (they are not checked there).
  const Tensor idx = to_cuda(from_vector({1, -1, 4, 3}, {4}, DType::Int64));
  const Tensor out = raw::to_device(
      augment::augment_autoaug_cutout(
          images, idx, augment::autoaug_cutout_params(idx, {}, cfg, 32, 32), cfg, cifar_norm()),
      Device::CPU);
  const std::vector<double> v = out.to_vector();
  const size_t per = 3 * 32 * 32;
  for (size_t i = 0; i < 4; ++i) {
    int64_t nans = 0;
    for (size_t j = 0; j < per; ++j) nans += std::isnan(v[i * per + j]);
    CAPTURE(i);
    CHECK(nans == (i == 1 || i == 2 ? static_cast<int64_t>(per) : 0));
  }
  // Params naming no op do nothing on the GPU (the CPU front-end refuses them).
  std::vector<augment::AutoAugCutoutParams> bad(2);
  bad[0].op[0] = 99;
  bad[0].apply[0] = 1;
  bad[1].magnitude[1] = -3;
  bad[1].apply[1] = 1;
  const Tensor two = to_cuda(from_vector({0, 2}, {2}, DType::Int64));
  const Tensor gpu = augment::augment_autoaug_cutout(
      images, two, augment::params_from_host(bad, Device::CUDA), cfg, cifar_norm());
  const Tensor plain = augment::augment_autoaug_cutout(
      images, two,
      augment::params_from_host(std::vector<augment::AutoAugCutoutParams>(2), Device::CUDA), cfg,
      cifar_norm());
  check_cuda_matches("augment_autoaug_cutout", gpu, raw::to_device(plain, Device::CPU), 0, 0);
  // An empty batch.
  const Tensor none = to_cuda(empty({0}, DType::Int64));
  CHECK(augment::augment_autoaug_cutout(
            images, none, augment::autoaug_cutout_params(none, {}, cfg, 32, 32), cfg, cifar_norm())
            .shape() == Shape{0, 3, 32, 32});
}
