// The CUDA crop-flip and sim views (data/augment_batch.cu) against the same ops on the CPU: the
// draws on the same indices and the views on the same parameters, all exact. Both devices run
// augment_batch.h's draw_view and render_view with every rounding explicit; the only inexact step,
// exp() in the resized-crop draw, would move a box side by a pixel once in roughly 10^13 draws,
// which these sizes never meet.
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

// count random images of h x w x 3 bytes, packed on `device`.
augment::PackedImages random_images(int64_t count, int64_t h, int64_t w, Device device) {
  std::vector<uint8_t> bytes(static_cast<size_t>(count * h * w * 3));
  Generator gen(31);
  for (uint8_t& v : bytes) v = static_cast<uint8_t>(gen.next_u32() >> 24);
  // A gray and a saturated image among them exercise the HSV conversion's special cases.
  for (size_t i = 0; i < static_cast<size_t>(h * w * 3); ++i) {
    bytes[i] = static_cast<uint8_t>(i / 3 % 256);
    if (count > 1) bytes[static_cast<size_t>(h * w * 3) + i] = i % 3 == 0 ? 255 : 0;
  }
  return augment::pack_images(bytes.data(), count, h, w, device);
}

// Every field of each sample's params as a float64 [N, fields] host tensor: the params travel as
// Int64 words holding doubles' bits, which a comparison through double could not resolve.
Tensor crop_flip_fields(const std::vector<augment::CropFlipParams>& ps) {
  std::vector<double> v;
  for (const auto& p : ps)
    v.insert(v.end(), {double(p.top), double(p.left), double(p.flip), double(p.cut_y0),
                       double(p.cut_y1), double(p.cut_x0), double(p.cut_x1)});
  return from_vector(v, {static_cast<int64_t>(ps.size()), 7}, DType::Float64);
}
Tensor sim_fields(const std::vector<augment::SimParams>& ps) {
  std::vector<double> v;
  for (const auto& p : ps)
    v.insert(v.end(), {double(p.top), double(p.left), double(p.height), double(p.width),
                       double(p.flip), double(p.jitter), double(p.gray), double(p.enabled),
                       double(p.order[0]), double(p.order[1]), double(p.order[2]),
                       double(p.order[3]), p.brightness, p.contrast, p.saturation, p.hue});
  return from_vector(v, {static_cast<int64_t>(ps.size()), 16}, DType::Float64);
}

}  // namespace

TEST_CASE("cuda/crop_flip_params_match_cpu") {
  if (skip_without_gpu()) return;
  augment::CropFlipConfig cut;
  cut.cutout = 16;
  augment::CropFlipConfig odd;
  odd.size = 28;
  odd.padding = 2;
  odd.cutout = 9;
  for (const augment::CropFlipConfig& cfg : {augment::CropFlipConfig{}, cut, odd}) {
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(cfg.size);
      CAPTURE(cfg.cutout);
      CAPTURE(n);
      const Tensor idx = indices_for(n, 50000, int64_t{1} << 33);
      const augment::SampleKey key{0xABCDEF0123ull, 17, 0};
      const Tensor cpu = augment::crop_flip_params(idx, key, cfg, 30, 36);
      const Tensor gpu = augment::crop_flip_params(to_cuda(idx), key, cfg, 30, 36);
      CHECK(gpu.device() == Device::CUDA);
      // Exact: integer draws from the same Philox words.
      check_cuda_matches(
          "crop_flip_params",
          to_cuda(crop_flip_fields(augment::params_to_host<augment::CropFlipParams>(gpu))),
          crop_flip_fields(augment::params_to_host<augment::CropFlipParams>(cpu)), 0, 0);
    }
  }
}

TEST_CASE("cuda/sim_params_match_cpu") {
  if (skip_without_gpu()) return;
  augment::SimConfig partial;  // disabled steps, hue at its limit, jitter always
  partial.contrast = 0;
  partial.hue = 0.5;
  partial.jitter_p = 1;
  augment::SimConfig strip;  // on a 4 x 100 image every draw takes the fallback box
  strip.scale_lo = 0.9;
  struct Case {
    augment::SimConfig cfg;
    int64_t h, w;
  };
  for (const Case& c :
       {Case{{}, 32, 32}, Case{{}, 24, 40}, Case{partial, 32, 32}, Case{strip, 4, 100}}) {
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(c.h);
      CAPTURE(c.w);
      CAPTURE(n);
      const Tensor idx = indices_for(n, 50000);
      const augment::SampleKey key{99, 3, 2};
      const Tensor cpu = augment::sim_params(idx, key, c.cfg, c.h, c.w);
      const Tensor gpu = augment::sim_params(to_cuda(idx), key, c.cfg, c.h, c.w);
      // Exact: the same words, and each factor one fused multiply-add on both devices.
      check_cuda_matches("sim_params",
                         to_cuda(sim_fields(augment::params_to_host<augment::SimParams>(gpu))),
                         sim_fields(augment::params_to_host<augment::SimParams>(cpu)), 0, 0);
    }
  }
}

TEST_CASE("cuda/augment_crop_flip_matches_cpu") {
  if (skip_without_gpu()) return;
  augment::CropFlipConfig cut;
  cut.cutout = 16;
  augment::CropFlipConfig odd;
  odd.size = 28;
  odd.padding = 2;
  odd.cutout = 9;
  struct Case {
    augment::CropFlipConfig cfg;
    int64_t h, w;
  };
  for (const Case& c : {Case{{}, 32, 32}, Case{cut, 32, 32}, Case{odd, 30, 36}}) {
    const int64_t count = 40;
    const augment::PackedImages cpu_images = random_images(count, c.h, c.w, Device::CPU);
    const augment::PackedImages gpu_images = random_images(count, c.h, c.w, Device::CUDA);
    for (int64_t n : kAugmentBatchSizes) {
      CAPTURE(c.cfg.size);
      CAPTURE(n);
      const Tensor idx = indices_for(n, count);
      const Tensor params = augment::crop_flip_params(idx, {5, 1, 0}, c.cfg, c.h, c.w);
      const Tensor cpu = augment::augment_crop_flip(cpu_images, idx, params, c.cfg, cifar_norm());
      const Tensor gpu = augment::augment_crop_flip(gpu_images, to_cuda(idx), to_cuda(params),
                                                    c.cfg, cifar_norm());
      // Exact: the same bytes, normalised by one fused multiply-add on both devices.
      check_cuda_matches("augment_crop_flip", gpu, cpu, 0, 0);
    }
  }
}

TEST_CASE("cuda/augment_sim_matches_cpu") {
  if (skip_without_gpu()) return;
  struct Case {
    int64_t h, w, size;
  };
  // 32 (CIFAR), 16, a side that is not a power of two (inexact bilinear steps, rounded alike on
  // both devices), and 100 (10000 pixels: every thread of the block loops over several).
  for (const Case& c : {Case{32, 32, 32}, Case{40, 24, 32}, Case{32, 32, 16}, Case{32, 32, 24},
                        Case{64, 48, 100}}) {
    const int64_t count = 30;
    const augment::PackedImages cpu_images = random_images(count, c.h, c.w, Device::CPU);
    const augment::PackedImages gpu_images = random_images(count, c.h, c.w, Device::CUDA);
    augment::SimConfig cfg;
    cfg.size = static_cast<int32_t>(c.size);
    cfg.jitter_p = 0.9;
    cfg.gray_p = 0.3;
    for (int64_t n : kAugmentBatchSizes) {
      if (c.size == 100 && n > 257) continue;
      CAPTURE(c.h);
      CAPTURE(c.w);
      CAPTURE(c.size);
      CAPTURE(n);
      const Tensor idx = indices_for(n, count);
      const Tensor params = augment::sim_params(idx, {77, 4, 1}, cfg, c.h, c.w);
      const Tensor cpu = augment::augment_sim(cpu_images, idx, params, cfg, cifar_norm());
      const Tensor gpu =
          augment::augment_sim(gpu_images, to_cuda(idx), to_cuda(params), cfg, cifar_norm());
      // Exact: the same per-pixel functions with explicit roundings, and the contrast step's
      // integer luma sum, whatever order the block adds it in.
      check_cuda_matches("augment_sim", gpu, cpu, 0, 0);
    }
  }
}

TEST_CASE("cuda/augment_sim_every_jitter_order_matches_cpu") {
  if (skip_without_gpu()) return;
  const int64_t count = 6;
  const augment::PackedImages cpu_images = random_images(count, 32, 32, Device::CPU);
  const augment::PackedImages gpu_images = random_images(count, 32, 32, Device::CUDA);
  std::vector<augment::SimParams> params;
  std::vector<int64_t> idx;
  int order[4] = {0, 1, 2, 3};
  int k = 0;
  do {
    augment::SimParams p;
    p.top = k % 3;
    p.left = k % 5;
    p.height = 32 - k % 3;
    p.width = 20 + k % 7;
    p.flip = k % 2;
    p.jitter = 1;
    p.enabled = k < 20 ? 15 : 15 & ~(1 << (k % 4));
    for (int j = 0; j < 4; ++j) p.order[j] = order[j];
    p.brightness = 0.6 + 0.8 * (k % 4) / 3;
    p.contrast = 1.4 - 0.8 * (k % 5) / 4;
    p.saturation = 0.6 + 0.8 * (k % 3) / 2;
    p.hue = -0.1 + 0.2 * (k % 6) / 5;
    p.gray = k % 5 == 0;
    params.push_back(p);
    idx.push_back(k % count);
    ++k;
  } while (std::next_permutation(order, order + 4));
  augment::SimConfig cfg;
  Tensor index = empty({static_cast<int64_t>(idx.size())}, DType::Int64);
  std::copy(idx.begin(), idx.end(), index.data<int64_t>());
  const Tensor cpu = augment::augment_sim(
      cpu_images, index, augment::params_from_host(params, Device::CPU), cfg, cifar_norm());
  const Tensor gpu =
      augment::augment_sim(gpu_images, to_cuda(index),
                           augment::params_from_host(params, Device::CUDA), cfg, cifar_norm());
  check_cuda_matches("augment_sim", gpu, cpu, 0, 0);
}

TEST_CASE("cuda/augment_out_of_range_index_gives_nan") {
  if (skip_without_gpu()) return;
  const augment::PackedImages images = random_images(4, 32, 32, Device::CUDA);
  const Tensor idx = to_cuda(from_vector({1, -1, 4, 3}, {4}, DType::Int64));
  const augment::CropFlipConfig cf;
  const augment::SimConfig sim;
  const Tensor a = raw::to_device(
      augment::augment_crop_flip(images, idx, augment::crop_flip_params(idx, {}, cf, 32, 32), cf,
                                 cifar_norm()),
      Device::CPU);
  const Tensor b =
      raw::to_device(augment::augment_sim(images, idx, augment::sim_params(idx, {}, sim, 32, 32),
                                          sim, cifar_norm()),
                     Device::CPU);
  for (const Tensor& t : {a, b}) {
    const std::vector<double> v = t.to_vector();
    const size_t per = 3 * 32 * 32;
    for (size_t i = 0; i < 4; ++i) {
      int64_t nans = 0;
      for (size_t j = 0; j < per; ++j) nans += std::isnan(v[i * per + j]);
      CAPTURE(i);
      CHECK(nans == (i == 1 || i == 2 ? static_cast<int64_t>(per) : 0));
    }
  }
}

TEST_CASE("cuda/augment_edge_cases") {
  if (skip_without_gpu()) return;
  const augment::PackedImages images = random_images(3, 32, 32, Device::CUDA);
  const Tensor none = to_cuda(empty({0}, DType::Int64));
  const augment::CropFlipConfig cf;
  augment::SimConfig sim;
  CHECK(augment::augment_crop_flip(images, none, augment::crop_flip_params(none, {}, cf, 32, 32),
                                   cf, cifar_norm())
            .shape() == Shape{0, 3, 32, 32});
  CHECK(augment::augment_sim(images, none, augment::sim_params(none, {}, sim, 32, 32), sim,
                             cifar_norm())
            .shape() == Shape{0, 3, 32, 32});
  // A view too large for the kernel's shared memory is refused with a message.
  sim.size = 128;
  const Tensor one = to_cuda(from_vector({0}, {1}, DType::Int64));
  std::string message = "(no bcl::Error was thrown)";
  try {
    augment::augment_sim(images, one, augment::sim_params(one, {}, sim, 32, 32), sim, cifar_norm());
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find("does not fit the CUDA kernel's shared memory") != std::string::npos);
  // pack / unpack through the GPU keep every byte.
  const std::vector<uint8_t> back = augment::unpack_images(images);
  const std::vector<uint8_t> host = augment::unpack_images(random_images(3, 32, 32, Device::CPU));
  CHECK(back == host);
}
