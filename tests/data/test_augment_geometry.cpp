// The PIL affine warps of data/auto_augment.h: identities, whole-pixel shifts, quarter turns and a
// plain nearest-neighbour restatement of the inverse map.
#include <cmath>

#include "data/auto_augment.h"
#include "data/image_ops.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;

namespace {

const Rgb kFill{1, 2, 3};

bool is_fill(const Image& img, int64_t y, int64_t x, Rgb fill = kFill) {
  return img.at(y, x, 0) == fill[0] && img.at(y, x, 1) == fill[1] && img.at(y, x, 2) == fill[2];
}

}  // namespace

TEST_CASE("augment/affine with identity parameters is the identity for every resampling") {
  const Image img = test::pattern_image(9, 13, 2);
  for (Resample r : {Resample::Nearest, Resample::Bilinear, Resample::Bicubic}) {
    CHECK(affine(img, {1, 0, 0, 0, 1, 0}, r, kFill).pixels == img.pixels);
    CHECK(shear_x(img, 0, r, kFill).pixels == img.pixels);
    CHECK(shear_y(img, 0, r, kFill).pixels == img.pixels);
    CHECK(translate_x(img, 0, r, kFill).pixels == img.pixels);
    CHECK(rotate(img, 0, r, kFill).pixels == img.pixels);
    CHECK(rotate(img, 360, r, kFill).pixels == img.pixels);
  }
  CHECK(hflip(hflip(img)).pixels == img.pixels);
}

TEST_CASE("augment/translations move whole pixels (nearest) and fill what comes in") {
  const Image img = test::pattern_image(8, 10, 1);
  const Image left = translate_x(img, 3, Resample::Nearest, kFill);   // content moves left by 3
  const Image down = translate_y(img, -2, Resample::Nearest, kFill);  // content moves down by 2
  for (int64_t y = 0; y < 8; ++y) {
    for (int64_t x = 0; x < 10; ++x) {
      if (x + 3 < 10) {
        CHECK(left.at(y, x, 1) == img.at(y, x + 3, 1));
      } else {
        CHECK(is_fill(left, y, x));
      }
      if (y >= 2) {
        CHECK(down.at(y, x, 2) == img.at(y - 2, x, 2));
      } else {
        CHECK(is_fill(down, y, x));
      }
    }
  }
  // Fractional shifts with nearest: the source of x is floor(x + 0.5 + t).
  CHECK(translate_x(img, 2.4, Resample::Nearest, kFill).pixels ==
        translate_x(img, 2, Resample::Nearest, kFill).pixels);
  CHECK(translate_x(img, 2.6, Resample::Nearest, kFill).pixels ==
        translate_x(img, 3, Resample::Nearest, kFill).pixels);
  // Bilinear by half a pixel on a ramp 0, 10, 20, ...: the truncated midpoints 5, 15, ...
  Image ramp(1, 6);
  for (int64_t x = 0; x < 6; ++x)
    for (int64_t c = 0; c < 3; ++c) ramp.at(0, x, c) = static_cast<uint8_t>(10 * x);
  const Image half = translate_x(ramp, 0.5, Resample::Bilinear, kFill);
  for (int64_t x = 0; x < 5; ++x) CHECK(half.at(0, x, 0) == 10 * x + 5);
  CHECK(is_fill(half, 0, 5));  // x + 0.5 + 0.5 = 6 falls outside [0, 6)
}

TEST_CASE("augment/rotate turns counter-clockwise about the centre; four quarter turns are none") {
  const Image img = test::pattern_image(6, 6, 3);
  const Image q = rotate(img, 90, Resample::Nearest, kFill);
  // Counter-clockwise: the top row of the result is the image's right column, read downwards.
  for (int64_t y = 0; y < 6; ++y)
    for (int64_t x = 0; x < 6; ++x) CHECK(q.at(y, x, 0) == img.at(x, 5 - y, 0));
  Image r = img;
  for (int k = 0; k < 4; ++k) r = rotate(r, 90, Resample::Nearest, kFill);
  CHECK(r.pixels == img.pixels);
  CHECK(rotate(img, -270, Resample::Nearest, kFill).pixels == q.pixels);
  // A 30 degree turn of a 32x32 image fills the corners; nearest keeps the centre pixel.
  const Image big = test::pattern_image(32, 32, 4);
  for (Resample rs : {Resample::Nearest, Resample::Bilinear, Resample::Bicubic}) {
    const Image t = rotate(big, 30, rs, kFill);
    CHECK(is_fill(t, 0, 0));
    CHECK(is_fill(t, 31, 31));
    CHECK(t.pixels != big.pixels);
  }
  CHECK(rotate(big, 30, Resample::Nearest, kFill).at(16, 16, 1) == big.at(16, 16, 1));
}

TEST_CASE("augment/nearest shear follows the inverse map x_in = floor(x + 0.5 + f (y + 0.5))") {
  const Image img = test::pattern_image(12, 16, 6);
  for (double f : {0.25, -0.25, 0.5}) {  // exact in binary, so fixed point agrees with floor
    const Image sx = shear_x(img, f, Resample::Nearest, kFill);
    const Image sy = shear_y(img, f, Resample::Nearest, kFill);
    for (int64_t y = 0; y < 12; ++y) {
      for (int64_t x = 0; x < 16; ++x) {
        const auto xin = static_cast<int64_t>(std::floor(x + 0.5 + f * (y + 0.5)));
        if (xin >= 0 && xin < 16) {
          CHECK(sx.at(y, x, 0) == img.at(y, xin, 0));
        } else {
          CHECK(is_fill(sx, y, x));
        }
        const auto yin = static_cast<int64_t>(std::floor(y + 0.5 + f * (x + 0.5)));
        if (yin >= 0 && yin < 12) {
          CHECK(sy.at(y, x, 2) == img.at(yin, x, 2));
        } else {
          CHECK(is_fill(sy, y, x));
        }
      }
    }
  }
  // Bicubic on a constant image stays constant inside (the weights sum to 1) and fills outside.
  Image flat(10, 10);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 90);
  const Image s = shear_x(flat, 0.3, Resample::Bicubic, kFill);
  CHECK(s.at(0, 5, 0) == 90);
  CHECK(is_fill(s, 9, 9));
}

TEST_CASE("augment/the three nearest paths pick the pixel holding the mapped centre") {
  // Dyadic matrices, so that PIL's stepped sums (m1 = m3 = 0), its 16.16 fixed point and the
  // mapped centres (beyond fixed point's range) are all exact: each path must then give
  // floor(m (x + 0.5, y + 0.5, 1)), or the fill outside the image.
  const Image img = test::pattern_image(20, 24, 5);
  const std::array<double, 6> scale{0.75, 0, 2.25, 0, 1.25, -1.5};
  const std::array<double, 6> fixed{1, 0.375, -2.5, -0.25, 1, 1.75};
  const std::array<double, 6> mapped{2000, -2000, 10.25, 0, 1, 0.25};
  for (const auto& m : {scale, fixed, mapped}) {
    const Image out = affine(img, m, Resample::Nearest, kFill);
    for (int64_t y = 0; y < img.height; ++y) {
      for (int64_t x = 0; x < img.width; ++x) {
        const double cx = x + 0.5, cy = y + 0.5;
        const auto sx = static_cast<int64_t>(std::floor(m[0] * cx + m[1] * cy + m[2]));
        const auto sy = static_cast<int64_t>(std::floor(m[3] * cx + m[4] * cy + m[5]));
        const bool inside = sx >= 0 && sx < img.width && sy >= 0 && sy < img.height;
        CAPTURE(y);
        CAPTURE(x);
        for (int64_t c = 0; c < 3; ++c)
          CHECK(out.at(y, x, c) == (inside ? img.at(sy, sx, c) : kFill[static_cast<size_t>(c)]));
      }
    }
  }
}
