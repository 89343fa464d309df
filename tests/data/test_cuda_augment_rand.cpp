// The CUDA RandAugment views (data/augment_batch.cu) against the same ops on the CPU. Given the
// same params the views are exact: one source for both devices with every rounding explicit, each
// warp's matrix carried by the params, and the per-image statistics integer sums and counts. The
// draws are exact in every discrete field and in the sim view's numbers; the RandAugment
// magnitudes, arguments and warp matrices pass through log, cos and sin, which CUDA and glibc
// round differently in the last bits, so those are compared within 1e-12 (a 15-decimal rotation
// entry moves by 1e-15), and views from the GPU's own draws are required to equal the CPU's for
// all but a negligible share of samples.
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
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

// A step's discrete fields, and its numbers.
void step_exact(const augment::RandStep& s, std::vector<double>& v) {
  v.insert(v.end(), {double(s.op), double(s.applied), double(s.resample), double(s.warp)});
}
void step_numbers(const augment::RandStep& s, std::vector<double>& v) {
  v.insert(v.end(), {s.magnitude, s.argument});
  v.insert(v.end(), s.m, s.m + 6);
}

// The fields compared exactly, [N, 16 + 8] (sim's, then the steps' discrete ones) or [N, 3 + 8],
// and the steps' numbers, [N, 16], as float64 host tensors.
struct Fields {
  Tensor exact, numbers;
};
Fields view_fields(const std::vector<augment::RandViewParams>& ps) {
  std::vector<double> e, x;
  for (const auto& p : ps) {
    const augment::SimParams& s = p.sim;
    e.insert(e.end(), {double(s.top), double(s.left), double(s.height), double(s.width),
                       double(s.flip), double(s.jitter), double(s.gray), double(s.enabled),
                       double(s.order[0]), double(s.order[1]), double(s.order[2]),
                       double(s.order[3]), s.brightness, s.contrast, s.saturation, s.hue});
    for (const augment::RandStep& st : p.step) step_exact(st, e);
    for (const augment::RandStep& st : p.step) step_numbers(st, x);
  }
  const auto n = static_cast<int64_t>(ps.size());
  return {from_vector(e, {n, 24}, DType::Float64), from_vector(x, {n, 16}, DType::Float64)};
}
Fields randaug_fields(const std::vector<augment::RandAugParams>& ps) {
  std::vector<double> e, x;
  for (const auto& p : ps) {
    e.insert(e.end(), {double(p.top), double(p.left), double(p.flip)});
    for (const augment::RandStep& st : p.step) step_exact(st, e);
    for (const augment::RandStep& st : p.step) step_numbers(st, x);
  }
  const auto n = static_cast<int64_t>(ps.size());
  return {from_vector(e, {n, 11}, DType::Float64), from_vector(x, {n, 16}, DType::Float64)};
}

void check_fields(const std::string& op, const Fields& gpu, const Fields& cpu) {
  check_cuda_matches(op, to_cuda(gpu.exact), cpu.exact, 0, 0);
  check_cuda_matches(op + " (log, cos, sin)", to_cuda(gpu.numbers), cpu.numbers, 1e-12, 1e-12);
}

const uint8_t kFill[3] = {125, 123, 114};

struct Case {
  int64_t h, w;
  int32_t size;
};
const Case kCases[] = {{32, 32, 32}, {30, 36, 28}, {20, 19, 17}, {64, 64, 64}};

// Samples whose views differ between two [N, 3, s, s] tensors on the host.
int64_t differing_samples(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  const auto per = static_cast<size_t>(a.numel() / std::max<int64_t>(a.size(0), 1));
  int64_t n = 0;
  for (size_t i = 0; i + per <= va.size(); i += per)
    n += !std::equal(va.begin() + i, va.begin() + i + per, vb.begin() + i);
  return n;
}

}  // namespace

TEST_CASE("cuda/randaug_rand_view_params_match_cpu") {
  if (skip_without_gpu()) return;
  augment::RandViewConfig noisy = augment::rand_view_config(32, kFill);
  noisy.rand.magnitude = 7.3;
  noisy.rand.magnitude_std = 2.7;
  noisy.rand.prob = 0.9;
  for (const Case& c : kCases) {
    for (const augment::RandViewConfig& base : {augment::rand_view_config(c.size, kFill), noisy}) {
      augment::RandViewConfig cfg = base;
      cfg.sim.size = c.size;
      for (int64_t n : kAugmentBatchSizes) {
        CAPTURE(c.size);
        CAPTURE(n);
        const Tensor idx = indices_for(n, 50000, int64_t{1} << 33);
        const augment::SampleKey key{0x5EED5EEDull, 4, 1};
        const Tensor cpu = augment::rand_view_params(idx, key, cfg, c.h, c.w);
        const Tensor gpu = augment::rand_view_params(to_cuda(idx), key, cfg, c.h, c.w);
        CHECK(gpu.device() == Device::CUDA);
        check_fields("rand_view_params",
                     view_fields(augment::params_to_host<augment::RandViewParams>(gpu)),
                     view_fields(augment::params_to_host<augment::RandViewParams>(cpu)));
      }
    }
  }
}

TEST_CASE("cuda/randaug_params_match_cpu") {
  if (skip_without_gpu()) return;
  for (const Case& c : kCases) {
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(c.size);
      CAPTURE(n);
      const augment::RandAugConfig cfg = augment::randaug_config(c.size, kFill);
      const Tensor idx = indices_for(n, 50000, 12345);
      const augment::SampleKey key{77, 0, 0};
      const Tensor cpu = augment::randaug_params(idx, key, cfg, c.h, c.w);
      const Tensor gpu = augment::randaug_params(to_cuda(idx), key, cfg, c.h, c.w);
      CHECK(gpu.device() == Device::CUDA);
      check_fields("randaug_params",
                   randaug_fields(augment::params_to_host<augment::RandAugParams>(gpu)),
                   randaug_fields(augment::params_to_host<augment::RandAugParams>(cpu)));
    }
  }
}

TEST_CASE("cuda/randaug_views_match_cpu_on_the_same_params") {
  if (skip_without_gpu()) return;
  for (const Case& c : kCases) {
    const int64_t count = 40;
    const augment::PackedImages cpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CPU, 43);
    const augment::PackedImages gpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CUDA, 43);
    const augment::RandViewConfig vcfg = augment::rand_view_config(c.size, kFill);
    const augment::RandAugConfig ccfg = augment::randaug_config(c.size, kFill);
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(c.size);
      CAPTURE(n);
      const Tensor idx = indices_for(n, count);
      const Tensor vp = augment::rand_view_params(idx, {3, 1, 2}, vcfg, c.h, c.w);
      check_cuda_matches(
          "augment_rand_view",
          augment::augment_rand_view(gpu_images, to_cuda(idx), to_cuda(vp), vcfg, cifar_norm()),
          augment::augment_rand_view(cpu_images, idx, vp, vcfg, cifar_norm()), 0, 0);
      const Tensor cp = augment::randaug_params(idx, {3, 1, 0}, ccfg, c.h, c.w);
      check_cuda_matches(
          "augment_randaug",
          augment::augment_randaug(gpu_images, to_cuda(idx), to_cuda(cp), ccfg, cifar_norm()),
          augment::augment_randaug(cpu_images, idx, cp, ccfg, cifar_norm()), 0, 0);
    }
  }
}

TEST_CASE("cuda/randaug_every_op_matches_cpu") {
  if (skip_without_gpu()) return;
  // Each op at several magnitudes, both signs and both resamplings, alone and followed by
  // another, on crops into the padding and flipped, and on sim views.
  for (const Case& c : kCases) {
    CAPTURE(c.size);
    const int64_t count = 6;
    const augment::PackedImages cpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CPU, 43);
    const augment::PackedImages gpu_images =
        ramp_flat_noise_images(count, c.h, c.w, Device::CUDA, 43);
    const augment::RandAugConfig ccfg = augment::randaug_config(c.size, kFill);
    const augment::RandViewConfig vcfg = augment::rand_view_config(c.size, kFill);
    std::vector<int64_t> idx;
    std::vector<augment::RandAugParams> cps;
    int k = 0;
    for (int32_t op = 0; op < augment::kNumRandOps; ++op) {
      for (double m : {0.0, 2.9, 6.35, 9.7, 10.0}) {
        for (int32_t sign : {-1, 1}) {
          for (int32_t resample : {augment::kRandBilinear, augment::kRandBicubic}) {
            augment::RandAugParams p;
            p.top = k % 3 - ccfg.padding;
            p.left = static_cast<int32_t>(c.w) + ccfg.padding - c.size - k % 2;
            p.flip = k % 2;
            p.step[0] = fixed_rand_step(op, m, sign, resample, c.size);
            p.step[1] = fixed_rand_step((op + 1 + k) % augment::kNumRandOps, 10 - m, -sign,
                                        1 - resample, c.size);
            p.step[1].applied = k % 3 == 0;
            cps.push_back(p);
            idx.push_back(k % count);
            ++k;
          }
        }
      }
    }
    Tensor index = empty({static_cast<int64_t>(idx.size())}, DType::Int64);
    std::copy(idx.begin(), idx.end(), index.data<int64_t>());
    check_cuda_matches(
        "augment_randaug",
        augment::augment_randaug(gpu_images, to_cuda(index),
                                 augment::params_from_host(cps, Device::CUDA), ccfg, cifar_norm()),
        augment::augment_randaug(cpu_images, index, augment::params_from_host(cps, Device::CPU),
                                 ccfg, cifar_norm()),
        0, 0);
    std::vector<augment::RandViewParams> vps = augment::params_to_host<augment::RandViewParams>(
        augment::rand_view_params(index, {9, 9, 1}, vcfg, c.h, c.w));
    for (size_t i = 0; i < vps.size(); ++i) std::copy(cps[i].step, cps[i].step + 2, vps[i].step);
    check_cuda_matches(
        "augment_rand_view",
        augment::augment_rand_view(gpu_images, to_cuda(index),
                                   augment::params_from_host(vps, Device::CUDA), vcfg,
                                   cifar_norm()),
        augment::augment_rand_view(cpu_images, index, augment::params_from_host(vps, Device::CPU),
                                   vcfg, cifar_norm()),
        0, 0);
  }
}

TEST_CASE("cuda/randaug_gpu_draws_render_as_on_the_cpu") {
  if (skip_without_gpu()) return;
  // The whole GPU path (draws and views on the device) against the CPU twin rendering the GPU's
  // own draws (exact), and against the CPU's draws (equal but for the transcendental rounding).
  const Case c{32, 32, 32};
  const int64_t count = 200, n = 2000;
  const augment::PackedImages cpu_images = ramp_flat_noise_images(count, c.h, c.w, Device::CPU, 43);
  const augment::PackedImages gpu_images =
      ramp_flat_noise_images(count, c.h, c.w, Device::CUDA, 43);
  const augment::RandViewConfig vcfg = augment::rand_view_config(c.size, kFill);
  const augment::RandAugConfig ccfg = augment::randaug_config(c.size, kFill);
  const Tensor idx = indices_for(n, count);
  const Tensor gidx = to_cuda(idx);
  const augment::SampleKey vkey{2026, 3, 1}, ckey{2026, 3, 0};
  const Tensor gvp = augment::rand_view_params(gidx, vkey, vcfg, c.h, c.w);
  const Tensor gv = augment::augment_rand_view(gpu_images, gidx, gvp, vcfg, cifar_norm());
  check_cuda_matches("augment_rand_view", gv,
                     augment::augment_rand_view(cpu_images, idx, to_cpu(gvp), vcfg, cifar_norm()),
                     0, 0);
  const Tensor gcp = augment::randaug_params(gidx, ckey, ccfg, c.h, c.w);
  const Tensor gc = augment::augment_randaug(gpu_images, gidx, gcp, ccfg, cifar_norm());
  check_cuda_matches("augment_randaug", gc,
                     augment::augment_randaug(cpu_images, idx, to_cpu(gcp), ccfg, cifar_norm()), 0,
                     0);
  const int64_t view_differ = differing_samples(
      to_cpu(gv), augment::augment_rand_view(cpu_images, idx,
                                             augment::rand_view_params(idx, vkey, vcfg, c.h, c.w),
                                             vcfg, cifar_norm()));
  const int64_t ce_differ = differing_samples(
      to_cpu(gc),
      augment::augment_randaug(cpu_images, idx, augment::randaug_params(idx, ckey, ccfg, c.h, c.w),
                               ccfg, cifar_norm()));
  MESSAGE("views from the GPU's draws that differ from the CPU's: rand ", view_differ, ", randaug ",
          ce_differ, " of ", n);
  CHECK(view_differ <= n / 200);
  CHECK(ce_differ <= n / 200);
}

TEST_CASE("cuda/randaug_edge_cases") {
  if (skip_without_gpu()) return;
  const augment::PackedImages images = ramp_flat_noise_images(4, 32, 32, Device::CUDA, 43);
  const augment::RandAugConfig cfg = augment::randaug_config(32, kFill);
  const augment::RandViewConfig vcfg = augment::rand_view_config(32, kFill);
  // Out-of-range indices give NaN on the GPU (they are not checked there).
  const Tensor idx = to_cuda(from_vector({1, -1, 4, 3}, {4}, DType::Int64));
  const size_t per = 3 * 32 * 32;
  for (const Tensor& out :
       {augment::augment_randaug(images, idx, augment::randaug_params(idx, {}, cfg, 32, 32), cfg,
                                 cifar_norm()),
        augment::augment_rand_view(images, idx, augment::rand_view_params(idx, {}, vcfg, 32, 32),
                                   vcfg, cifar_norm())}) {
    const std::vector<double> v = to_cpu(out).to_vector();
    for (size_t i = 0; i < 4; ++i) {
      int64_t nans = 0;
      for (size_t j = 0; j < per; ++j) nans += std::isnan(v[i * per + j]);
      CAPTURE(i);
      CHECK(nans == (i == 1 || i == 2 ? static_cast<int64_t>(per) : 0));
    }
  }
  // Steps naming no op do nothing on the GPU (the CPU front-end refuses them).
  std::vector<augment::RandAugParams> bad(2);
  bad[0].step[0].op = 99;
  bad[0].step[0].applied = 1;
  bad[1].step[1].op = -4;
  bad[1].step[1].applied = 1;
  const Tensor two = to_cuda(from_vector({0, 2}, {2}, DType::Int64));
  const Tensor gpu = augment::augment_randaug(
      images, two, augment::params_from_host(bad, Device::CUDA), cfg, cifar_norm());
  const Tensor plain = augment::augment_randaug(
      images, two, augment::params_from_host(std::vector<augment::RandAugParams>(2), Device::CUDA),
      cfg, cifar_norm());
  check_cuda_matches("augment_randaug", gpu, to_cpu(plain), 0, 0);
  // An empty batch.
  const Tensor none = to_cuda(empty({0}, DType::Int64));
  CHECK(augment::augment_randaug(images, none, augment::randaug_params(none, {}, cfg, 32, 32), cfg,
                                 cifar_norm())
            .shape() == Shape{0, 3, 32, 32});
  CHECK(augment::augment_rand_view(images, none, augment::rand_view_params(none, {}, vcfg, 32, 32),
                                   vcfg, cifar_norm())
            .shape() == Shape{0, 3, 32, 32});
}
