// The random augmentations: reproducible from the generator's state, and the statistics of their
// random parameters. Frequency checks allow 5 binomial standard deviations (a false failure about
// once in 1.7 million runs; the seeds are fixed, so each check is deterministic anyway).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "data/augment.h"
#include "data/auto_augment.h"
#include "data/color_ops.h"
#include "data/image_ops.h"
#include "tests/data/augment_test_util.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::test;
using namespace bcl::data;

TEST_CASE("augment/every random op gives the same output from the same generator state") {
  const Image img = nonzero_noise_image(32, 32, 1);
  RandAugmentOptions ra;
  ra.fill = {125, 123, 114};
  const std::vector<ImageOpPtr> ops = {random_resized_crop(32, {0.2, 1.0}),
                                       color_jitter(0.4, 0.4, 0.4, 0.1),
                                       random_grayscale(0.5),
                                       random_apply(color_jitter(0.4, 0.4, 0.4, 0.1), 0.5),
                                       cutout(16),
                                       cifar10_auto_augment(),
                                       rand_augment(ra)};
  for (const ImageOpPtr& op : ops) {
    INFO(op->name());
    std::set<std::vector<uint8_t>> outputs;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      Generator a(seed), b(seed);
      const Image x = op->apply(img, a), y = op->apply(img, b);
      CHECK(x.pixels == y.pixels);
      CHECK(a.offset() == b.offset());
      outputs.insert(x.pixels);
    }
    CHECK(outputs.size() > 1);  // and the seed matters
  }
}

TEST_CASE("augment/random_resized_crop: areas in the scale range, ratios in the ratio range") {
  Generator gen(7);
  const int64_t H = 240, W = 320;
  double min_area = 1, max_area = 0, min_ratio = 10, max_ratio = 0;
  for (int i = 0; i < 4000; ++i) {
    const CropBox b = random_resized_crop_box(H, W, {0.2, 1.0}, {3.0 / 4, 4.0 / 3}, gen);
    REQUIRE(b.top >= 0);
    REQUIRE(b.left >= 0);
    REQUIRE(b.top + b.height <= H);
    REQUIRE(b.left + b.width <= W);
    const double area = static_cast<double>(b.height * b.width) / (H * W);
    const double ratio = static_cast<double>(b.width) / static_cast<double>(b.height);
    // Rounding each side to whole pixels moves the area and the ratio by at most 0.5 / side
    // relative per side; the sides here are at least sqrt(0.2 * 240 * 320 * 3 / 4) > 100, so 1.1%.
    CHECK(area >= 0.2 * (1 - 0.011));
    CHECK(area <= 1.0);
    CHECK(ratio >= 0.75 * (1 - 0.011));
    CHECK(ratio <= 4.0 / 3 * (1 + 0.011));
    min_area = std::min(min_area, area);
    max_area = std::max(max_area, area);
    min_ratio = std::min(min_ratio, ratio);
    max_ratio = std::max(max_ratio, ratio);
  }
  // The whole ranges are visited (log-uniform ratio: both ends).
  CHECK(min_area < 0.22);
  CHECK(max_area > 0.95);
  CHECK(min_ratio < 0.77);
  CHECK(max_ratio > 1.30);
  // The ratio is log-uniform: on a square image wide and tall windows are equally likely (a ratio
  // uniform in [3/4, 4/3] would make 57% of them wide).
  int wide = 0, tall = 0;
  for (int i = 0; i < 4000; ++i) {
    const CropBox b = random_resized_crop_box(256, 256, {0.2, 1.0}, {3.0 / 4, 4.0 / 3}, gen);
    wide += b.width > b.height;
    tall += b.width < b.height;
  }
  check_binomial(wide, wide + tall, 0.5);
  // A 4x100 strip can never hold a window of 90% of its area in that ratio range: every draw falls
  // back to the centre crop with the ratio clamped to 4/3 (h 4, w round(5.33) = 5, left 47).
  for (int i = 0; i < 50; ++i) {
    const CropBox b = random_resized_crop_box(4, 100, {0.9, 1.0}, {3.0 / 4, 4.0 / 3}, gen);
    CHECK(b.top == 0);
    CHECK(b.left == 47);
    CHECK(b.height == 4);
    CHECK(b.width == 5);
  }
  const Image out = random_resized_crop(32, {0.2, 1.0})->apply(nonzero_noise_image(50, 70, 2), gen);
  CHECK(out.height == 32);
  CHECK(out.width == 32);
}

TEST_CASE("augment/color_jitter: factors in their ranges, order a uniform permutation") {
  Generator gen(11);
  const int n = 4800;
  std::map<std::array<int, 4>, int> orders;
  double sum_b = 0, sum_h = 0;
  for (int i = 0; i < n; ++i) {
    const ColorJitterDraw d = draw_color_jitter(0.4, 0.4, 0.4, 0.1, gen);
    for (double f : {d.brightness, d.contrast, d.saturation}) {
      CHECK(f >= 0.6);
      CHECK(f <= 1.4);
    }
    CHECK(std::fabs(d.hue) <= 0.1);
    std::array<int, 4> sorted = d.order;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::array<int, 4>{0, 1, 2, 3});
    ++orders[d.order];
    sum_b += d.brightness;
    sum_h += d.hue;
  }
  CHECK(orders.size() == 24);
  for (const auto& [order, count] : orders) check_binomial(count, n, 1.0 / 24);
  // Means: U[0.6, 1.4] has sd 0.23 and U[-0.1, 0.1] 0.058; 5 standard errors over 4800 draws.
  CHECK(std::fabs(sum_b / n - 1.0) <= 5 * 0.231 / std::sqrt(n));
  CHECK(std::fabs(sum_h / n) <= 5 * 0.0578 / std::sqrt(n));
  // All four disabled: nothing happens, not even the HSV round trip.
  const Image img = nonzero_noise_image(8, 8, 3);
  CHECK(color_jitter(0, 0, 0, 0)->apply(img, gen).pixels == img.pixels);
  // One step alone is that adjustment with the drawn factor.
  Generator a(5), b(5);
  const Image bright = color_jitter(0.4, 0, 0, 0)->apply(img, a);
  const ColorJitterDraw d = draw_color_jitter(0.4, 0, 0, 0, b);
  CHECK(bright.pixels == adjust_brightness(img, d.brightness).pixels);
}

TEST_CASE("augment/random_grayscale and random_apply happen with their probability") {
  const Image img = nonzero_noise_image(6, 6, 4);
  const Image gray = to_grayscale(img);
  const Image inverted = invert(img);
  // An op that inverts, to see random_apply's choice.
  struct Invert : ImageOp {
    Image apply(const Image& i, Generator&) const override { return invert(i); }
    std::string name() const override { return "invert"; }
  };
  const ImageOpPtr inv = std::make_shared<Invert>();
  const int n = 4000;
  for (double p : {0.2, 0.8}) {
    Generator gen(static_cast<uint64_t>(p * 100));
    int grays = 0, applied = 0, applied_twice = 0;
    for (int i = 0; i < n; ++i) {
      const Image g = random_grayscale(p)->apply(img, gen);
      REQUIRE((g.pixels == gray.pixels || g.pixels == img.pixels));
      grays += g.pixels == gray.pixels;
      const Image a = random_apply(inv, p)->apply(img, gen);
      REQUIRE((a.pixels == inverted.pixels || a.pixels == img.pixels));
      applied += a.pixels == inverted.pixels;
      // A list is applied all together or not at all: inverting twice is the identity.
      const Image both = random_apply({inv, random_grayscale(1.0)}, p)->apply(img, gen);
      REQUIRE((both.pixels == to_grayscale(inverted).pixels || both.pixels == img.pixels));
      applied_twice += both.pixels != img.pixels;
    }
    check_binomial(grays, n, p);
    check_binomial(applied, n, p);
    check_binomial(applied_twice, n, p);
  }
}

TEST_CASE("augment/cutout: one hole of side length, clipped at the border, centre uniform") {
  const Image img = nonzero_noise_image(32, 32, 5);
  const ImageOpPtr op = cutout(16);
  Generator gen(13);
  const int n = 4000;
  int full = 0;
  std::set<int64_t> rows_hit, cols_hit;
  for (int i = 0; i < n; ++i) {
    const Image out = op->apply(img, gen);
    int64_t y0 = 32, y1 = -1, x0 = 32, x1 = -1, zeros = 0;
    for (int64_t y = 0; y < 32; ++y) {
      for (int64_t x = 0; x < 32; ++x) {
        const bool hole = out.at(y, x, 0) == 0 && out.at(y, x, 1) == 0 && out.at(y, x, 2) == 0;
        if (!hole) {
          REQUIRE(out.at(y, x, 0) == img.at(y, x, 0));
          continue;
        }
        ++zeros;
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        rows_hit.insert(y);
        cols_hit.insert(x);
      }
    }
    REQUIRE(zeros > 0);  // the centre is always inside, so the hole is never empty
    // One rectangle, at most 16 on a side, exactly 16 unless it touches the border.
    const int64_t h = y1 - y0 + 1, w = x1 - x0 + 1;
    CHECK(zeros == h * w);
    CHECK(h <= 16);
    CHECK(w <= 16);
    if (y0 > 0 && y1 < 31) CHECK(h == 16);
    if (x0 > 0 && x1 < 31) CHECK(w == 16);
    full += h == 16 && w == 16;
  }
  // Unclipped in both directions when the centre is in [8, 24] on both axes: (17 / 32)^2.
  check_binomial(full, n, (17.0 / 32) * (17.0 / 32));
  CHECK(rows_hit.size() == 32);
  CHECK(cols_hit.size() == 32);
}

TEST_CASE("augment/autoaugment: the CIFAR-10 table, a uniform sub-policy, steps at their rates") {
  const std::vector<SubPolicy>& policy = cifar10_policy();
  REQUIRE(policy.size() == 25);
  CHECK(policy[0].op1 == AutoAugmentOp::Invert);
  CHECK(policy[0].p1 == 0.1);
  CHECK(policy[24].op2 == AutoAugmentOp::AutoContrast);
  CHECK(policy[24].p2 == 0.9);
  const int posterize_bits[10] = {8, 8, 7, 7, 6, 6, 5, 5, 4, 4};
  for (int i = 0; i < 10; ++i) {
    CHECK(auto_augment_magnitude(AutoAugmentOp::Posterize, i) == posterize_bits[i]);
    CHECK(auto_augment_magnitude(AutoAugmentOp::Rotate, i) == doctest::Approx(30.0 * i / 9));
    CHECK(auto_augment_magnitude(AutoAugmentOp::ShearX, i) == doctest::Approx(0.3 * i / 9));
    CHECK(auto_augment_magnitude(AutoAugmentOp::TranslateY, i) ==
          doctest::Approx(150.0 / 331 * i / 9));
    CHECK(auto_augment_magnitude(AutoAugmentOp::Solarize, i) ==
          doctest::Approx(256 - 256.0 * i / 9));
    CHECK(auto_augment_magnitude(AutoAugmentOp::Contrast, i) == doctest::Approx(0.9 * i / 9));
  }
  CHECK_THROWS_AS(auto_augment_magnitude(AutoAugmentOp::Rotate, 10), Error);
  CHECK(auto_augment_op_name(AutoAugmentOp::TranslateY) == "translateY");
  CHECK(auto_augment_op_name(AutoAugmentOp::Invert) == "invert");

  Generator gen(17);
  const int n = 50000;
  std::vector<int> counts(25, 0), applied1(25, 0), applied2(25, 0);
  int negative = 0;
  for (int i = 0; i < n; ++i) {
    const AutoAugmentDraw d = draw_auto_augment(gen);
    REQUIRE(d.policy >= 0);
    REQUIRE(d.policy < 25);
    const auto k = static_cast<size_t>(d.policy);
    ++counts[k];
    applied1[k] += d.apply1;
    applied2[k] += d.apply2;
    negative += d.sign1 < 0;
  }
  for (size_t k = 0; k < 25; ++k) {
    INFO("sub-policy ", k);
    check_binomial(counts[k], n, 1.0 / 25);
    // Each step of each sub-policy runs with its own probability (about 2000 draws each).
    check_binomial(applied1[k], counts[k], policy[k].p1);
    check_binomial(applied2[k], counts[k], policy[k].p2);
  }
  CHECK(applied2[14] == 0);  // (0.5 solarize, 0.0 invert): the second step never runs
  check_binomial(negative, n, 0.5);

  // The steps: a draw with nothing applied leaves the image; the ops are the primitives.
  const Image img = nonzero_noise_image(32, 32, 6);
  AutoAugmentDraw none;
  none.policy = 3;
  CHECK(apply_auto_augment(img, none, {128, 128, 128}).pixels == img.pixels);
  AutoAugmentDraw first;  // policy 0, step 1: invert
  first.apply1 = true;
  CHECK(apply_auto_augment(img, first, {128, 128, 128}).pixels == invert(img).pixels);
  CHECK(apply_auto_augment_op(img, AutoAugmentOp::Posterize, 9, 1, {}).pixels ==
        posterize(img, 4).pixels);
  CHECK(apply_auto_augment_op(img, AutoAugmentOp::Contrast, 9, -1, {}).pixels ==
        adjust_contrast(img, 1 - 0.9).pixels);
  // Translations use the fill; rotations always fill with 128 grey, as DeepVoltaire's rotate.
  const Image moved = apply_auto_augment_op(img, AutoAugmentOp::TranslateX, 9, 1, {9, 8, 7});
  CHECK(moved.at(5, 31, 0) == 9);
  CHECK(moved.at(5, 31, 2) == 7);
  const Image turned = apply_auto_augment_op(img, AutoAugmentOp::Rotate, 9, 1, {9, 8, 7});
  CHECK(turned.at(0, 0, 0) == 128);
  CHECK(turned.at(0, 0, 2) == 128);
}

TEST_CASE(
    "augment/randaugment: uniform ops with replacement, p 0.5, magnitude N(10, 0.5) clipped") {
  RandAugmentOptions o;  // rand-n2-m10-mstd0.5
  Generator gen(19);
  const int n = 10000;
  std::vector<int> counts(kNumRandAugmentOps, 0);
  int steps = 0, applied = 0, at_ten = 0, below = 0, repeats = 0, signed_ops = 0, negated = 0;
  double sum_below = 0;
  for (int i = 0; i < n; ++i) {
    const std::vector<RandAugmentStep> draw = draw_rand_augment(o, gen);
    REQUIRE(draw.size() == 2);
    repeats += draw[0].op == draw[1].op;
    for (const RandAugmentStep& s : draw) {
      ++steps;
      ++counts[static_cast<size_t>(s.op)];
      if (!s.applied) continue;
      ++applied;
      REQUIRE(s.magnitude >= 0);
      REQUIRE(s.magnitude <= 10);
      if (s.magnitude == 10) {
        ++at_ten;
      } else {
        ++below;
        sum_below += s.magnitude;
      }
      const double unsigned_arg = rand_augment_argument(s.op, s.magnitude);
      CHECK(std::fabs(s.argument) == unsigned_arg);
      if (s.op == RandAugmentOp::Rotate || s.op == RandAugmentOp::ShearX ||
          s.op == RandAugmentOp::TranslateYRel) {
        ++signed_ops;
        negated += s.argument < 0;
      } else if (s.op == RandAugmentOp::Solarize) {
        CHECK(s.argument == unsigned_arg);
      }
    }
  }
  for (int c : counts) check_binomial(c, steps, 1.0 / kNumRandAugmentOps);
  check_binomial(repeats, n, 1.0 / kNumRandAugmentOps);  // with replacement
  check_binomial(applied, steps, 0.5);
  check_binomial(at_ten, applied, 0.5);  // N(10, 0.5) exceeds 10 half the time: clipped to 10
  // Below 10 the magnitude is the lower half-normal: mean 10 - 0.5 sqrt(2 / pi) = 9.601, sd 0.301.
  CHECK(std::fabs(sum_below / below - (10 - 0.5 * std::sqrt(2 / M_PI))) <=
        5 * 0.302 / std::sqrt(below));
  check_binomial(negated, signed_ops, 0.5);

  // timm's level functions.
  using RA = RandAugmentOp;
  CHECK(rand_augment_op_name(RA::AutoContrast) == "AutoContrast");
  CHECK(rand_augment_op_name(RA::TranslateYRel) == "TranslateYRel");
  CHECK(rand_augment_argument(RA::Rotate, 10) == doctest::Approx(30));
  CHECK(rand_augment_argument(RA::ShearY, 5) == doctest::Approx(0.15));
  CHECK(rand_augment_argument(RA::TranslateXRel, 10) == doctest::Approx(0.45));
  CHECK(rand_augment_argument(RA::Posterize, 10) == 4);
  CHECK(rand_augment_argument(RA::Posterize, 9.9) == 3);
  CHECK(rand_augment_argument(RA::Posterize, 2) == 0);
  CHECK(rand_augment_argument(RA::Solarize, 10) == 256);
  CHECK(rand_augment_argument(RA::Solarize, 9.5) == 243);
  CHECK(rand_augment_argument(RA::SolarizeAdd, 10) == 110);
  CHECK(rand_augment_argument(RA::Color, 10) == doctest::Approx(1.9));
  CHECK(rand_augment_argument(RA::Sharpness, 0) == doctest::Approx(0.1));
  CHECK(rand_augment_argument(RA::Invert, 10) == 0);

  // Steps apply the primitives, geometric ones with the fill colour.
  const Image img = nonzero_noise_image(32, 32, 7);
  RandAugmentStep s;
  s.op = RA::TranslateXRel;
  s.applied = true;
  s.argument = 0.45;  // 14.4 px left
  const Image moved = apply_rand_augment_step(img, s, {125, 123, 114});
  CHECK(moved.at(3, 31, 0) == 125);
  CHECK(moved.at(3, 31, 1) == 123);
  s.op = RA::Posterize;
  s.argument = 0;
  CHECK(apply_rand_augment_step(img, s, {}).pixels == std::vector<uint8_t>(32 * 32 * 3, 0));
  s.op = RA::SolarizeAdd;
  s.argument = 110;
  CHECK(apply_rand_augment_step(img, s, {}).pixels == solarize_add(img, 110, 128).pixels);
  // The op with probability 0 never changes the image.
  RandAugmentOptions off = o;
  off.prob = 0;
  CHECK(rand_augment(off)->apply(img, gen).pixels == img.pixels);
}
