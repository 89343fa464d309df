// The batched crop-flip and sim views (data/augment_batch.h) on the CPU: their draws against the
// loader's ops on augment_generator's stream and against the distributions those ops define, and
// their pixels against data/'s image and colour ops composed as the pipelines compose them, with
// the same parameters.
//
// Pixel comparisons are on the normalised floats with atol 1e-6: one step of a byte moves a value
// by 1 / (255 std) >= 0.014, and both sides normalise with one fused multiply-add, so the check is
// exact on the bytes. Frequency checks allow 5 binomial standard deviations, as
// tests/data/test_augment_random.cpp does.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "data/augment.h"
#include "data/augment_batch.h"
#include "data/color_ops.h"
#include "data/image_ops.h"
#include "data/sampling.h"
#include "tests/data/augment_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::test;
using namespace bcl::data;

namespace {

// Smooth colour ramps with a gray band and saturated corners: the hue and saturation paths meet
// maxc == minc, pure primaries and 255s, which noise rarely gives.
Image ramp_image(int64_t h, int64_t w) {
  Image img(h, w);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const auto r = static_cast<uint8_t>(255 * x / (w - 1));
      const auto g = static_cast<uint8_t>(255 * y / (h - 1));
      const auto b = static_cast<uint8_t>(255 - (r + g) / 2);
      const bool gray = y == h / 2;
      img.at(y, x, 0) = r;
      img.at(y, x, 1) = gray ? r : g;
      img.at(y, x, 2) = gray ? r : b;
    }
  }
  return img;
}

std::vector<Image> test_images(int64_t h, int64_t w, int64_t count) {
  std::vector<Image> images{ramp_image(h, w)};
  for (int64_t i = 1; i < count; ++i) images.push_back(nonzero_noise_image(h, w, 100 + i));
  return images;
}

// The views, normalised by data::Pipeline, as one [N, 3, S, S] tensor.
Tensor normalized(const std::vector<Image>& views, const Normalization& norm) {
  const int64_t s = views.empty() ? 1 : views[0].height;
  Tensor out = empty({static_cast<int64_t>(views.size()), 3, s, s});
  const Pipeline plain({}, norm);
  for (size_t i = 0; i < views.size(); ++i)
    plain.normalize(views[i], out.data<float>() + static_cast<int64_t>(i) * 3 * s * s);
  return out;
}

augment::ChannelNorm channel_norm_of(const Normalization& norm) {
  return augment::channel_norm(norm.mean.data(), norm.std.data());
}

// data/'s ops on the given parameters.
Image crop_flip_reference(const Image& img, const augment::CropFlipParams& p, int64_t size) {
  Image out = crop(img, p.top, p.left, size, size);
  if (p.flip) out = hflip(out);
  for (int64_t y = p.cut_y0; y < p.cut_y1; ++y)
    for (int64_t x = p.cut_x0; x < p.cut_x1; ++x)
      for (int64_t c = 0; c < 3; ++c) out.at(y, x, c) = 0;
  return out;
}

Image sim_reference(const Image& img, const augment::SimParams& p, int64_t size) {
  Image out = resize_bilinear(crop(img, p.top, p.left, p.height, p.width), size, size);
  if (p.flip) out = hflip(out);
  if (p.jitter) {
    ColorJitterDraw d;
    for (int k = 0; k < 4; ++k) {
      d.order[k] = p.order[k];
      d.enabled[k] = (p.enabled >> k) & 1;
    }
    d.brightness = p.brightness;
    d.contrast = p.contrast;
    d.saturation = p.saturation;
    d.hue = p.hue;
    out = apply_color_jitter(out, d);
  }
  if (p.gray) out = to_grayscale(out);
  return out;
}

}  // namespace

TEST_CASE("augment_batch/sample_stream replays augment_generator's stream") {
  const uint64_t seeds[] = {0, 7, 0xFEDCBA9876543210ull};
  const int64_t indices[] = {0, 1, 49999, (int64_t{1} << 40) + 3};
  for (uint64_t seed : seeds) {
    for (int64_t index : indices) {
      for (int view = 0; view < 3; ++view) {
        const int64_t epoch = 1 + view * 100;
        CAPTURE(seed);
        CAPTURE(index);
        CAPTURE(view);
        Generator gen = augment_generator(seed, epoch, index, view);
        augment::PhiloxStream s = augment::sample_stream({seed, epoch, view}, index);
        CHECK(s.seed == gen.seed());
        for (int k = 0; k < 9; ++k) CHECK(s.next_u32() == gen.next_u32());  // across blocks
        CHECK(s.next_uniform() == gen.next_uniform());
        // Bounds with a large rejection threshold (2^63 + 5 rejects almost half of all draws).
        for (uint64_t n : {uint64_t{1}, uint64_t{3}, uint64_t{9}, (uint64_t{1} << 33) + 1,
                           (uint64_t{1} << 63) + 5}) {
          CHECK(augment::below(s, n) == random_below(gen, n));
        }
        CHECK(s.next_u32() == gen.next_u32());
      }
    }
  }
}

TEST_CASE("augment_batch/crop_flip draws are random_crop's, the flip's and cutout's") {
  for (int32_t cutout : {0, 16, 7}) {
    augment::CropFlipConfig cfg;
    cfg.cutout = cutout;
    const std::vector<int64_t> idx = iota_indices(500, 1000);
    const auto params = augment::params_to_host<augment::CropFlipParams>(
        augment::crop_flip_params(index_tensor(idx), {5, 3, 0}, cfg, 32, 32));
    REQUIRE(params.size() == idx.size());
    for (size_t i = 0; i < idx.size(); ++i) {
      CAPTURE(i);
      Generator gen = augment_generator(5, 3, idx[i], 0);
      const auto top = static_cast<int64_t>(random_below(gen, 9)) - 4;
      const auto left = static_cast<int64_t>(random_below(gen, 9)) - 4;
      const bool flip = gen.next_uniform() < 0.5;
      CHECK(params[i].top == top);
      CHECK(params[i].left == left);
      CHECK((params[i].flip != 0) == flip);
      if (cutout > 0) {
        const auto cy = static_cast<int64_t>(random_below(gen, 32));
        const auto cx = static_cast<int64_t>(random_below(gen, 32));
        CHECK(params[i].cut_y0 == std::clamp<int64_t>(cy - cutout / 2, 0, 32));
        CHECK(params[i].cut_y1 == std::clamp<int64_t>(cy + cutout / 2, 0, 32));
        CHECK(params[i].cut_x0 == std::clamp<int64_t>(cx - cutout / 2, 0, 32));
        CHECK(params[i].cut_x1 == std::clamp<int64_t>(cx + cutout / 2, 0, 32));
      } else {
        CHECK(params[i].cut_y0 == params[i].cut_y1);
      }
    }
  }
}

TEST_CASE("augment_batch/sim draws are sim_pipeline's ops' draws") {
  struct Case {
    int64_t h, w;
    augment::SimConfig cfg;
  };
  std::vector<Case> cases;
  cases.push_back({32, 32, {}});
  cases.push_back({24, 40, {}});
  augment::SimConfig strip;  // never fits: every draw takes the fallback
  strip.scale_lo = 0.9;
  cases.push_back({4, 100, strip});
  augment::SimConfig partial;  // contrast and hue disabled, no colour jitter probability limit
  partial.contrast = 0;
  partial.hue = 0;
  partial.jitter_p = 1;
  partial.brightness = 1.5;  // factors U[0, 2.5]
  cases.push_back({32, 32, partial});
  for (const Case& c : cases) {
    const std::vector<int64_t> idx = iota_indices(400, 77);
    const auto params = augment::params_to_host<augment::SimParams>(
        augment::sim_params(index_tensor(idx), {11, 2, 1}, c.cfg, c.h, c.w));
    for (size_t i = 0; i < idx.size(); ++i) {
      CAPTURE(c.h);
      CAPTURE(c.w);
      CAPTURE(i);
      const augment::SimParams& p = params[i];
      Generator gen = augment_generator(11, 2, idx[i], 1);
      const CropBox b = random_resized_crop_box(c.h, c.w, {c.cfg.scale_lo, c.cfg.scale_hi},
                                                {c.cfg.ratio_lo, c.cfg.ratio_hi}, gen);
      CHECK(p.top == b.top);
      CHECK(p.left == b.left);
      CHECK(p.height == b.height);
      CHECK(p.width == b.width);
      CHECK((p.flip != 0) == (gen.next_uniform() < c.cfg.flip_p));
      const bool jitter = gen.next_uniform() < c.cfg.jitter_p;
      CHECK((p.jitter != 0) == jitter);
      if (jitter) {
        const ColorJitterDraw d =
            draw_color_jitter(c.cfg.brightness, c.cfg.contrast, c.cfg.saturation, c.cfg.hue, gen);
        for (int k = 0; k < 4; ++k) {
          CHECK(p.order[k] == d.order[static_cast<size_t>(k)]);
          CHECK(((p.enabled >> k) & 1) == static_cast<int>(d.enabled[static_cast<size_t>(k)]));
        }
        CHECK(p.brightness == d.brightness);
        CHECK(p.contrast == d.contrast);
        CHECK(p.saturation == d.saturation);
        CHECK(p.hue == d.hue);
      }
      CHECK((p.gray != 0) == (gen.next_uniform() < c.cfg.gray_p));
    }
  }
}

TEST_CASE("augment_batch/crop_flip draws: uniform offsets, flip and cutout rates") {
  augment::CropFlipConfig cfg;
  cfg.cutout = 16;
  const int64_t n = 18000;
  const auto params = augment::params_to_host<augment::CropFlipParams>(
      augment::crop_flip_params(index_tensor(iota_indices(n)), {42, 0, 0}, cfg, 32, 32));
  std::map<int, int64_t> tops, lefts;
  int64_t flips = 0, full_rows = 0;
  for (const auto& p : params) {
    ++tops[p.top];
    ++lefts[p.left];
    flips += p.flip;
    REQUIRE(p.cut_y0 >= 0);
    REQUIRE(p.cut_y1 <= 32);
    REQUIRE(p.cut_y1 - p.cut_y0 <= 16);
    REQUIRE(p.cut_x1 - p.cut_x0 <= 16);
    full_rows += p.cut_y1 - p.cut_y0 == 16;
  }
  CHECK(tops.size() == 9);
  CHECK(lefts.size() == 9);
  for (const auto& [v, count] : tops) {
    CHECK(v >= -4);
    CHECK(v <= 4);
    check_binomial(count, n, 1.0 / 9);
  }
  for (const auto& [v, count] : lefts) check_binomial(count, n, 1.0 / 9);
  check_binomial(flips, n, 0.5);
  // The hole is 16 rows tall when its centre is in [8, 24]: 17 of the 32 rows.
  check_binomial(full_rows, n, 17.0 / 32);
}

TEST_CASE("augment_batch/sim draws: box ranges, probabilities, jitter order and factors") {
  const augment::SimConfig cfg;
  const int64_t n = 24000;
  const auto params = augment::params_to_host<augment::SimParams>(
      augment::sim_params(index_tensor(iota_indices(n)), {3, 9, 2}, cfg, 32, 32));
  int64_t flips = 0, jitters = 0, grays = 0, wide = 0, tall = 0;
  double min_area = 1, max_area = 0, min_ratio = 10, max_ratio = 0, sum_b = 0, sum_h = 0;
  std::map<std::array<int, 4>, int64_t> orders;
  for (const auto& p : params) {
    REQUIRE(p.top >= 0);
    REQUIRE(p.left >= 0);
    REQUIRE(p.top + p.height <= 32);
    REQUIRE(p.left + p.width <= 32);
    const double area = p.height * p.width / 1024.0;
    const double ratio = static_cast<double>(p.width) / p.height;
    // Sides of at least sqrt(0.2 * 1024 * 3 / 4) = 12.4 pixels, each rounded by at most half a
    // pixel: 4.1% per side, 8.5% for the area and the ratio.
    CHECK(area >= 0.2 * (1 - 0.085));
    CHECK(area <= 1.0);
    CHECK(ratio >= 0.75 * (1 - 0.085));
    CHECK(ratio <= 4.0 / 3 * (1 + 0.085));
    min_area = std::min(min_area, area);
    max_area = std::max(max_area, area);
    min_ratio = std::min(min_ratio, ratio);
    max_ratio = std::max(max_ratio, ratio);
    wide += p.width > p.height;
    tall += p.width < p.height;
    flips += p.flip;
    grays += p.gray;
    if (p.jitter) {
      ++jitters;
      CHECK(p.enabled == 15);
      std::array<int, 4> order{p.order[0], p.order[1], p.order[2], p.order[3]};
      ++orders[order];
      for (double f : {p.brightness, p.contrast, p.saturation}) {
        CHECK(f >= 0.6);
        CHECK(f <= 1.4);
      }
      CHECK(std::fabs(p.hue) <= 0.1);
      sum_b += p.brightness;
      sum_h += p.hue;
    } else {
      CHECK(p.enabled == 0);
      CHECK(p.brightness == 1);
    }
  }
  CHECK(min_area < 0.22);
  CHECK(max_area > 0.95);
  CHECK(min_ratio < 0.8);
  CHECK(max_ratio > 1.25);
  // A log-uniform aspect on a square image: wide and tall equally likely.
  check_binomial(wide, wide + tall, 0.5);
  check_binomial(flips, n, 0.5);
  check_binomial(jitters, n, 0.8);
  check_binomial(grays, n, 0.2);
  CHECK(orders.size() == 24);
  for (const auto& [order, count] : orders) {
    std::array<int, 4> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::array<int, 4>{0, 1, 2, 3});
    check_binomial(count, jitters, 1.0 / 24);
  }
  // U[0.6, 1.4] has sd 0.231 and U[-0.1, 0.1] 0.0577: 5 standard errors of the means.
  CHECK(std::fabs(sum_b / jitters - 1.0) <= 5 * 0.231 / std::sqrt(jitters));
  CHECK(std::fabs(sum_h / jitters) <= 5 * 0.0577 / std::sqrt(jitters));
}

TEST_CASE("augment_batch/crop_flip pixels are data's crop, hflip and cutout") {
  const Normalization& norm = kCifar10Normalization;
  struct Case {
    int64_t h, w;
    augment::CropFlipConfig cfg;
  };
  augment::CropFlipConfig odd;  // a crop smaller than the image, padding 2, cutout 9
  odd.size = 28;
  odd.padding = 2;
  odd.cutout = 9;
  augment::CropFlipConfig cut;
  cut.cutout = 16;
  for (const Case& c : {Case{32, 32, {}}, Case{32, 32, cut}, Case{30, 36, odd}}) {
    CAPTURE(c.cfg.size);
    CAPTURE(c.cfg.cutout);
    const std::vector<Image> images = test_images(c.h, c.w, 5);
    const augment::PackedImages packed = pack(images);
    // Hand-picked corners and centres (padding on every side, both flips), then random draws.
    std::vector<augment::CropFlipParams> params;
    const int32_t pad = c.cfg.padding;
    const int32_t max_top = static_cast<int32_t>(c.h) + pad - c.cfg.size;
    const int32_t max_left = static_cast<int32_t>(c.w) + pad - c.cfg.size;
    for (int32_t top : {-pad, 0, max_top}) {
      for (int32_t left : {-pad, 1, max_left}) {
        for (int32_t flip : {0, 1}) {
          augment::CropFlipParams p;
          p.top = top;
          p.left = left;
          p.flip = flip;
          if (c.cfg.cutout > 0) {  // a hole clipped by the top-right border
            p.cut_y0 = 0;
            p.cut_y1 = 5;
            p.cut_x0 = c.cfg.size - 3;
            p.cut_x1 = c.cfg.size;
          }
          params.push_back(p);
        }
      }
    }
    std::vector<int64_t> idx;
    for (size_t i = 0; i < params.size(); ++i) idx.push_back(static_cast<int64_t>(i * 7 % 5));
    const std::vector<int64_t> more = {4, 4, 0, 3, 1, 2, 2, 0, 1, 3, 4, 0, 0};
    const auto drawn = augment::params_to_host<augment::CropFlipParams>(
        augment::crop_flip_params(index_tensor(more), {1, 1, 0}, c.cfg, c.h, c.w));
    params.insert(params.end(), drawn.begin(), drawn.end());
    idx.insert(idx.end(), more.begin(), more.end());

    const Tensor out = augment::augment_crop_flip(packed, index_tensor(idx),
                                                  augment::params_from_host(params, Device::CPU),
                                                  c.cfg, channel_norm_of(norm));
    std::vector<Image> expected;
    for (size_t i = 0; i < idx.size(); ++i)
      expected.push_back(
          crop_flip_reference(images[static_cast<size_t>(idx[i])], params[i], c.cfg.size));
    REQUIRE(out.shape() == Shape{static_cast<int64_t>(idx.size()), 3, c.cfg.size, c.cfg.size});
    CHECK_ALLCLOSE(out, normalized(expected, norm), 1e-6, 0);
  }
}

TEST_CASE("augment_batch/sim pixels are data's resize, flip, colour jitter and grayscale") {
  const Normalization& norm = kCifar100Normalization;
  struct Case {
    int64_t h, w, size;
  };
  for (const Case& c : {Case{32, 32, 32}, Case{24, 40, 32}, Case{32, 32, 16}}) {
    CAPTURE(c.h);
    CAPTURE(c.w);
    CAPTURE(c.size);
    const std::vector<Image> images = test_images(c.h, c.w, 6);
    const augment::PackedImages packed = pack(images);
    augment::SimConfig cfg;
    cfg.size = static_cast<int32_t>(c.size);
    // Every jitter order at the ends of the factor ranges, with and without grayscale, on the
    // whole image and on a small off-centre box; then many random draws.
    std::vector<augment::SimParams> params;
    std::vector<int64_t> idx;
    std::array<int, 4> order{0, 1, 2, 3};
    int k = 0;
    do {
      augment::SimParams p;
      const bool whole = k % 2 == 0;
      p.top = whole ? 0 : 3;
      p.left = whole ? 0 : 5;
      p.height = whole ? static_cast<int32_t>(c.h) : 11;
      p.width = whole ? static_cast<int32_t>(c.w) : 17;
      p.flip = k % 3 == 0;
      p.jitter = 1;
      p.enabled = 15;
      for (int j = 0; j < 4; ++j) p.order[j] = order[static_cast<size_t>(j)];
      p.brightness = k % 4 < 2 ? 0.6 : 1.4;
      p.contrast = k % 5 < 2 ? 1.4 : 0.6;
      p.saturation = k % 3 == 1 ? 0.6 : 1.4;
      p.hue = k % 2 == 0 ? -0.1 : 0.1;
      p.gray = k % 7 == 0;
      params.push_back(p);
      idx.push_back(k % 6);
      ++k;
    } while (std::next_permutation(order.begin(), order.end()));
    const std::vector<int64_t> drawn_idx = [] {
      std::vector<int64_t> v;
      for (int i = 0; i < 300; ++i) v.push_back(i * 13 % 6);
      return v;
    }();
    const auto drawn = augment::params_to_host<augment::SimParams>(
        augment::sim_params(index_tensor(drawn_idx), {8, 4, 1}, cfg, c.h, c.w));
    params.insert(params.end(), drawn.begin(), drawn.end());
    idx.insert(idx.end(), drawn_idx.begin(), drawn_idx.end());

    const Tensor out = augment::augment_sim(packed, index_tensor(idx),
                                            augment::params_from_host(params, Device::CPU), cfg,
                                            channel_norm_of(norm));
    std::vector<Image> expected;
    for (size_t i = 0; i < idx.size(); ++i)
      expected.push_back(sim_reference(images[static_cast<size_t>(idx[i])], params[i], c.size));
    REQUIRE(out.shape() == Shape{static_cast<int64_t>(idx.size()), 3, c.size, c.size});
    CHECK_ALLCLOSE(out, normalized(expected, norm), 1e-6, 0);
  }
}

TEST_CASE("augment_batch/front-ends check their arguments") {
  const std::vector<Image> images = test_images(32, 32, 3);
  const augment::PackedImages packed = pack(images);
  const augment::ChannelNorm cn = channel_norm_of(kCifar10Normalization);
  const augment::CropFlipConfig cfg;
  const augment::SimConfig sim;
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no bcl::Error was thrown)");
  };
  const Tensor idx = index_tensor({0, 3});
  const Tensor cf = augment::crop_flip_params(idx, {}, cfg, 32, 32);
  CHECK(message([&] {
          augment::augment_crop_flip(packed, idx, cf, cfg, cn);
        }).find("indices[1] = 3 is out of range [0, 3)") != std::string::npos);
  const Tensor ok = index_tensor({0, 2});
  CHECK(message([&] {
          augment::augment_crop_flip(
              packed, ok, augment::crop_flip_params(index_tensor({0}), {}, cfg, 32, 32), cfg, cn);
        }).find("params must be Int64 [2, 4]") != std::string::npos);
  CHECK(message([&] { augment::augment_sim(packed, ok, cf, sim, cn); }).find("augment_sim") !=
        std::string::npos);
  augment::CropFlipConfig big;
  big.size = 41;
  CHECK(message([&] {
          augment::crop_flip_params(ok, {}, big, 32, 32);
        }).find("smaller than the crop 41") != std::string::npos);
  augment::SimConfig bad_hue;
  bad_hue.hue = 0.6;
  CHECK(message([&] { augment::sim_params(ok, {}, bad_hue, 32, 32); }).find("hue <= 0.5") !=
        std::string::npos);
  augment::SimParams outside;
  outside.top = 20;
  outside.height = 13;
  outside.width = 4;
  CHECK(message([&] {
          augment::augment_sim(
              packed, index_tensor({1}),
              augment::params_from_host(std::vector<augment::SimParams>{outside}, Device::CPU), sim,
              cn);
        }).find("is not inside the 32x32 images") != std::string::npos);
  CHECK(message([&] {
          augment::crop_flip_params(from_vector({0, 1}, {2}), {}, cfg, 32, 32);
        }).find("Int64") != std::string::npos);
  // An empty batch gives empty views.
  const Tensor none = index_tensor({});
  CHECK(augment::augment_sim(packed, none, augment::sim_params(none, {}, sim, 32, 32), sim, cn)
            .shape() == Shape{0, 3, 32, 32});
  CHECK(augment::augment_crop_flip(packed, none, augment::crop_flip_params(none, {}, cfg, 32, 32),
                                   cfg, cn)
            .shape() == Shape{0, 3, 32, 32});
}

TEST_CASE("augment_batch/pack_images round-trips a byte count that is not a multiple of 8") {
  const std::vector<Image> images = test_images(5, 7, 3);  // 315 bytes
  const augment::PackedImages packed = pack(images);
  CHECK(packed.bytes.numel() == 40);
  const std::vector<uint8_t> back = augment::unpack_images(packed);
  REQUIRE(back.size() == 315);
  for (size_t i = 0; i < 3; ++i)
    CHECK(std::equal(images[i].pixels.begin(), images[i].pixels.end(), back.begin() + i * 105));
}
