// The deterministic colour and tone primitives of data/color_ops.h against hand-computed values and
// plain restatements of PIL's definitions.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "data/color_ops.h"
#include "tensor/error.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;

namespace {

Image one_pixel(uint8_t r, uint8_t g, uint8_t b) {
  Image img(1, 1);
  img.pixels = {r, g, b};
  return img;
}

std::vector<uint8_t> rgb(const Image& img, int64_t y = 0, int64_t x = 0) {
  return {img.at(y, x, 0), img.at(y, x, 1), img.at(y, x, 2)};
}

// An image whose channel 0 holds the given values (channels 1 and 2 copy it), one per pixel.
Image row_of(const std::vector<uint8_t>& values) {
  Image img(1, static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i)
    for (int c = 0; c < 3; ++c) img.pixels[i * 3 + c] = values[i];
  return img;
}

}  // namespace

TEST_CASE("augment/luma is ITU-R 601-2 in PIL's rounded 16.16 fixed point; grayscale copies it") {
  CHECK(luma(0, 0, 0) == 0);
  CHECK(luma(255, 255, 255) == 255);  // the fixed-point weights sum to exactly 1
  CHECK(luma(255, 0, 0) == 76);       // 76.245
  CHECK(luma(0, 255, 0) == 150);      // 149.685
  CHECK(luma(0, 0, 255) == 29);       // 29.07
  CHECK(luma(100, 150, 200) == 141);  // 29.9 + 88.05 + 22.8 = 140.75
  // Everywhere within rounding of R*299/1000 + G*587/1000 + B*114/1000: at most 0.5 away, plus
  // 0.002 for the fixed-point weights (their error times 255 is below 0.0016).
  double worst = 0;
  for (int r = 0; r < 256; r += 3)
    for (int g = 0; g < 256; g += 5)
      for (int b = 0; b < 256; b += 7) {
        const double exact = (299.0 * r + 587.0 * g + 114.0 * b) / 1000.0;
        worst = std::max(worst, std::fabs(luma(static_cast<uint8_t>(r), static_cast<uint8_t>(g),
                                               static_cast<uint8_t>(b)) -
                                          exact));
      }
  CHECK(worst <= 0.502);
  const Image gray = to_grayscale(one_pixel(100, 150, 200));
  CHECK(rgb(gray) == std::vector<uint8_t>{141, 141, 141});
}

TEST_CASE("augment/blend truncates toward zero, clamps when extrapolating, copies at 0 and 1") {
  CHECK(blend_value(10, 20, 0.25f) == 12);    // 12.5
  CHECK(blend_value(20, 10, 0.25f) == 17);    // 17.5
  CHECK(blend_value(100, 200, 1.5f) == 250);  // 100 + 1.5 * 100
  CHECK(blend_value(100, 200, 2.0f) == 255);  // 300, clamped
  CHECK(blend_value(100, 50, 3.0f) == 0);     // -50, clamped
  CHECK(blend_value(7, 7, 5.0f) == 7);
  const Image a = test::pattern_image(4, 5, 1), b = test::pattern_image(4, 5, 2);
  CHECK(blend(a, b, 0.f).pixels == a.pixels);
  CHECK(blend(a, b, 1.f).pixels == b.pixels);
  CHECK_THROWS_AS(blend(a, Image(4, 4), 0.5f), Error);
}

TEST_CASE("augment/brightness, contrast and saturation are PIL's ImageEnhance blends") {
  // Brightness: blend with black, f * v.
  CHECK(rgb(adjust_brightness(one_pixel(200, 100, 50), 0.5)) == std::vector<uint8_t>{100, 50, 25});
  CHECK(rgb(adjust_brightness(one_pixel(200, 100, 50), 1.5)) == std::vector<uint8_t>{255, 150, 75});
  // Contrast: black and white pixels have mean luma 127.5 -> 128; factor 0.5 gives 128 - 64 and
  // 128 + 63.5 (truncated).
  const Image bw = row_of({0, 255});
  const Image low = adjust_contrast(bw, 0.5);
  CHECK(rgb(low, 0, 0) == std::vector<uint8_t>{64, 64, 64});
  CHECK(rgb(low, 0, 1) == std::vector<uint8_t>{191, 191, 191});
  CHECK(adjust_contrast(bw, 0.0).pixels == std::vector<uint8_t>(6, 128));
  // Saturation: blend with the luma 124 of (200, 100, 50): factor 2 gives 124 + 2 (v - 124),
  // clamped: (276 -> 255, 76, -24 -> 0); factor 0 gives the gray pixel.
  CHECK(luma(200, 100, 50) == 124);
  CHECK(rgb(adjust_saturation(one_pixel(200, 100, 50), 2.0)) == std::vector<uint8_t>{255, 76, 0});
  CHECK(rgb(adjust_saturation(one_pixel(200, 100, 50), 0.0)) ==
        std::vector<uint8_t>{124, 124, 124});
  const Image img = test::pattern_image(6, 7, 3);
  CHECK(adjust_brightness(img, 1.0).pixels == img.pixels);
  CHECK(adjust_contrast(img, 1.0).pixels == img.pixels);
  CHECK(adjust_saturation(img, 1.0).pixels == img.pixels);
}

TEST_CASE("augment/8-bit HSV: primaries by hand, round trip within quantisation, hue shifts wrap") {
  CHECK(rgb_to_hsv(255, 0, 0) == std::array<uint8_t, 3>{0, 255, 255});
  CHECK(rgb_to_hsv(0, 255, 0) == std::array<uint8_t, 3>{85, 255, 255});
  CHECK(rgb_to_hsv(0, 0, 255) == std::array<uint8_t, 3>{170, 255, 255});
  CHECK(rgb_to_hsv(90, 90, 90) == std::array<uint8_t, 3>{0, 0, 90});
  CHECK(rgb_to_hsv(255, 0, 128)[2] == 255);
  CHECK(hsv_to_rgb(0, 255, 255) == std::array<uint8_t, 3>{255, 0, 0});
  CHECK(hsv_to_rgb(85, 255, 255) == std::array<uint8_t, 3>{0, 255, 0});
  CHECK(hsv_to_rgb(170, 255, 255) == std::array<uint8_t, 3>{0, 0, 255});
  CHECK(hsv_to_rgb(17, 0, 40) == std::array<uint8_t, 3>{40, 40, 40});
  // The round trip loses at most what 8-bit H and S can hold: one unit of H is 6/255 of a sector,
  // up to 6 levels of a channel, and S adds rounding; 8 bounds it (the max is the channel value
  // change of 1.5 H units).
  int worst = 0;
  for (int r = 0; r < 256; r += 5)
    for (int g = 0; g < 256; g += 7)
      for (int b = 0; b < 256; b += 11) {
        const auto hsv =
            rgb_to_hsv(static_cast<uint8_t>(r), static_cast<uint8_t>(g), static_cast<uint8_t>(b));
        const auto back = hsv_to_rgb(hsv[0], hsv[1], hsv[2]);
        worst =
            std::max({worst, std::abs(back[0] - r), std::abs(back[1] - g), std::abs(back[2] - b)});
        CHECK(std::max({back[0], back[1], back[2]}) == std::max({r, g, b}));  // V is exact
      }
  CHECK(worst <= 8);
  CHECK(worst >= 1);  // and the round trip is lossy, as PIL's
  // hue 0.34 -> shift int(86.7) = 86: red's H 0 -> 86, sector 2 with fraction 6/255 -> (0, 255, 6).
  CHECK(rgb(adjust_hue(one_pixel(255, 0, 0), 0.34)) == std::vector<uint8_t>{0, 255, 6});
  // hue -0.1 -> int(-25.5) = -25 -> 231 mod 256: green's H 85 -> 60, sector 1, q = 150.
  CHECK(rgb(adjust_hue(one_pixel(0, 255, 0), -0.1)) == std::vector<uint8_t>{150, 255, 0});
  CHECK(rgb(adjust_hue(one_pixel(70, 70, 70), 0.3)) == std::vector<uint8_t>{70, 70, 70});
  CHECK_THROWS_AS(adjust_hue(one_pixel(1, 2, 3), 0.6), Error);
}

TEST_CASE("augment/posterize, solarize, solarize_add and invert tables") {
  const Image img = row_of({0, 90, 100, 120, 127, 128, 183, 200, 250, 255});
  CHECK(posterize(img, 3).at(0, 6, 0) == 160);  // 0b10110111 -> 0b10100000
  CHECK(posterize(img, 1).at(0, 7, 1) == 128);
  CHECK(posterize(img, 8).pixels == img.pixels);
  CHECK(posterize(img, 0).pixels == std::vector<uint8_t>(img.pixels.size(), 0));
  CHECK_THROWS_AS(posterize(img, 9), Error);
  const Image sol = solarize(img, 128);
  CHECK(sol.at(0, 4, 0) == 127);
  CHECK(sol.at(0, 5, 0) == 127);  // 255 - 128
  CHECK(sol.at(0, 7, 2) == 55);   // 255 - 200
  CHECK(solarize(img, 256).pixels == img.pixels);
  CHECK(solarize(img, 0).pixels == invert(img).pixels);
  CHECK(solarize(img, 113.78).at(0, 3, 0) == 135);  // fractional thresholds compare as numbers
  const Image add = solarize_add(img, 50);
  CHECK(add.at(0, 2, 0) == 150);
  CHECK(add.at(0, 4, 0) == 177);
  CHECK(add.at(0, 5, 0) == 128);  // at the threshold: unchanged
  CHECK(add.at(0, 8, 0) == 250);
  CHECK(solarize_add(img, 200).at(0, 1, 0) == 255);  // 90 + 200, clamped
  for (size_t i = 0; i < img.pixels.size(); ++i)
    CHECK(invert(img).pixels[i] == 255 - img.pixels[i]);
  CHECK(invert(invert(img)).pixels == img.pixels);
}

TEST_CASE("augment/autocontrast stretches each channel's range; constant channels stay") {
  Image img = row_of({50, 100, 150});
  for (int64_t x = 0; x < 3; ++x) img.at(0, x, 2) = 77;  // a constant channel
  const Image out = autocontrast(img);
  // scale 255 / 100, offset -127.5: 50 -> 0, 100 -> int(127.5) = 127, 150 -> 255.
  CHECK(out.at(0, 0, 0) == 0);
  CHECK(out.at(0, 1, 0) == 127);
  CHECK(out.at(0, 2, 0) == 255);
  CHECK(out.at(0, 1, 1) == 127);
  CHECK(out.at(0, 1, 2) == 77);
  const Image p = autocontrast(test::pattern_image(5, 6, 4));
  for (int c = 0; c < 3; ++c) {
    uint8_t lo = 255, hi = 0;
    for (size_t i = static_cast<size_t>(c); i < p.pixels.size(); i += 3) {
      lo = std::min(lo, p.pixels[i]);
      hi = std::max(hi, p.pixels[i]);
    }
    CHECK(lo == 0);
    CHECK(hi == 255);
  }
}

TEST_CASE("augment/equalize maps through the cumulative histogram as PIL's ImageOps.equalize") {
  // 1020 pixels: 510 of 10, 255 of 20, 255 of 30. step = (1020 - 255) // 255 = 3, n starts at 1:
  //   10 -> 1 // 3 = 0, 20 -> 511 // 3 = 170, 30 -> 766 // 3 = 255.
  std::vector<uint8_t> v(510, 10);
  v.insert(v.end(), 255, 20);
  v.insert(v.end(), 255, 30);
  const Image out = equalize(row_of(v));
  CHECK(out.at(0, 0, 0) == 0);
  CHECK(out.at(0, 600, 1) == 170);
  CHECK(out.at(0, 1000, 2) == 255);
  // 512 pixels: 256 of 10, 128 of 20, 128 of 30: step 1, and 20 -> 256, 30 -> 384 clip to 255.
  std::vector<uint8_t> w(256, 10);
  w.insert(w.end(), 128, 20);
  w.insert(w.end(), 128, 30);
  const Image clipped = equalize(row_of(w));
  CHECK(clipped.at(0, 0, 0) == 0);
  CHECK(clipped.at(0, 300, 0) == 255);
  CHECK(clipped.at(0, 500, 0) == 255);
  // Too few pixels for a step (step 0), or one value: unchanged.
  CHECK(equalize(row_of({3, 9, 200})).pixels == row_of({3, 9, 200}).pixels);
  CHECK(equalize(row_of(std::vector<uint8_t>(600, 42))).pixels ==
        row_of(std::vector<uint8_t>(600, 42)).pixels);
}

TEST_CASE("augment/smooth3x3 is PIL's SMOOTH filter; sharpness blends with it") {
  Image dot(5, 5);
  for (int c = 0; c < 3; ++c) dot.at(2, 2, c) = 130;
  const Image s = smooth3x3(dot);
  CHECK(s.at(2, 2, 0) == 50);  // 0.5 + 130 * 5 / 13, truncated
  CHECK(s.at(1, 1, 1) == 10);  // 0.5 + 130 / 13
  CHECK(s.at(3, 2, 2) == 10);
  CHECK(s.at(0, 2, 0) == 0);  // border rows and columns are copied
  Image border = dot;
  border.at(0, 0, 0) = 200;
  CHECK(smooth3x3(border).at(0, 0, 0) == 200);
  Image flat(6, 6);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 99);
  CHECK(smooth3x3(flat).pixels == flat.pixels);
  const Image img = test::pattern_image(7, 8, 5);
  CHECK(adjust_sharpness(img, 1.0).pixels == img.pixels);
  CHECK(adjust_sharpness(img, 0.0).pixels == smooth3x3(img).pixels);
  // Sharpening pushes the centre away from its smoothed value: 50 + 2 * (130 - 50) -> clamped 210.
  CHECK(adjust_sharpness(dot, 2.0).at(2, 2, 0) == 210);
}
