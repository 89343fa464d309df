#include <set>
#include <utility>

#include "data/augment.h"
#include "data/image_ops.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;

TEST_CASE("data/crop takes a window, zero outside the image; hflip mirrors") {
  const Image img = test::pattern_image(6, 5, 0);
  const Image inside = crop(img, 1, 2, 3, 2);
  CHECK(inside.height == 3);
  CHECK(inside.width == 2);
  for (int64_t c = 0; c < 3; ++c) {
    CHECK(inside.at(0, 0, c) == img.at(1, 2, c));
    CHECK(inside.at(2, 1, c) == img.at(3, 3, c));
  }
  // A window hanging over the top-left corner by 2 rows and 1 column, as a padded crop would.
  const Image over = crop(img, -2, -1, 4, 4);
  for (int64_t y = 0; y < 4; ++y) {
    for (int64_t x = 0; x < 4; ++x) {
      const bool outside = y < 2 || x < 1;
      CHECK(over.at(y, x, 1) == (outside ? 0 : img.at(y - 2, x - 1, 1)));
    }
  }
  CHECK(crop(img, 10, 10, 2, 2).pixels == std::vector<uint8_t>(12, 0));

  const Image flipped = hflip(img);
  CHECK(flipped.at(2, 0, 2) == img.at(2, 4, 2));
  CHECK(flipped.at(5, 4, 0) == img.at(5, 0, 0));
  CHECK(hflip(flipped).pixels == img.pixels);
}

TEST_CASE("data/resize: constant stays constant, sizes, exact 2x downsampling of pairs") {
  Image flat(10, 20);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 77);
  const Image r = resize_shorter_side(flat, 5);
  CHECK(r.height == 5);
  CHECK(r.width == 10);
  CHECK(r.pixels == std::vector<uint8_t>(5 * 10 * 3, 77));
  CHECK(resize_shorter_side(Image(300, 200), 256).width == 256);
  CHECK(resize_shorter_side(Image(300, 200), 256).height == 384);
  // Halving samples at the midpoint of each pair of pixels: their average.
  Image two(1, 2);
  two.at(0, 0, 0) = 10;
  two.at(0, 1, 0) = 30;
  CHECK(resize_bilinear(two, 1, 1).at(0, 0, 0) == 20);
}

TEST_CASE("data/random crop with padding: every offset in range, geometry of the padded image") {
  const Image img = test::pattern_image(32, 32, 5);
  const ImageOpPtr op = random_crop(32, 4);
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (int s = 0; s < 2000; ++s) {
    Generator gen(static_cast<uint64_t>(s));
    const Image out = op->apply(img, gen);
    REQUIRE(out.height == 32);
    REQUIRE(out.width == 32);
    // Find the offset in [-4, 4]^2 that reproduces the output.
    bool found = false;
    for (int64_t top = -4; top <= 4 && !found; ++top) {
      for (int64_t left = -4; left <= 4 && !found; ++left) {
        if (crop(img, top, left, 32, 32).pixels == out.pixels) {
          offsets.insert({top, left});
          found = true;
        }
      }
    }
    CHECK(found);
  }
  CHECK(offsets.size() == 81);
  Generator a(9), b(9);
  CHECK(op->apply(img, a).pixels == op->apply(img, b).pixels);
  Generator gen(0);
  CHECK_THROWS_AS(random_crop(48, 4)->apply(img, gen), Error);
}

TEST_CASE("data/random flip happens half the time; center crop is centred") {
  const Image img = test::pattern_image(8, 8, 1);
  const ImageOpPtr flip = random_horizontal_flip(0.5);
  int flips = 0;
  for (int s = 0; s < 2000; ++s) {
    Generator gen(static_cast<uint64_t>(s));
    const Image out = flip->apply(img, gen);
    if (out.pixels != img.pixels) {
      CHECK(out.pixels == hflip(img).pixels);
      ++flips;
    }
  }
  CHECK(flips > 900);  // binomial(2000, 0.5): mean 1000, sd 22
  CHECK(flips < 1100);

  Generator gen(0);
  const Image centre = center_crop(4)->apply(test::pattern_image(8, 9, 2), gen);
  CHECK(centre.pixels == crop(test::pattern_image(8, 9, 2), 2, 2, 4, 4).pixels);
}

TEST_CASE("data/normalisation writes CHW floats (v / 255 - mean) / std") {
  Image img(2, 3);
  img.at(1, 2, 0) = 255;
  img.at(0, 1, 2) = 128;
  const Pipeline p = plain_pipeline(kCifar10Normalization);
  std::vector<float> out(3 * 2 * 3);
  p.normalize(img, out.data());
  CHECK(out[0 * 6 + 1 * 3 + 2] == doctest::Approx((1.0 - 0.4914) / 0.2023).epsilon(1e-6));
  CHECK(out[0 * 6 + 0] == doctest::Approx(-0.4914 / 0.2023).epsilon(1e-6));
  CHECK(out[2 * 6 + 0 * 3 + 1] == doctest::Approx((128 / 255.0 - 0.4465) / 0.2010).epsilon(1e-6));
  CHECK(out[1 * 6 + 4] == doctest::Approx(-0.4822 / 0.1994).epsilon(1e-6));
  CHECK(kCifar100Normalization.std[2] == doctest::Approx(0.2762));

  // The statistics of a dataset of two flat images, 0 and 255: mean 0.5 and std 0.5 per channel.
  Dataset ds;
  ds.images = {Image(2, 2), Image(2, 2)};
  std::fill(ds.images[1].pixels.begin(), ds.images[1].pixels.end(), 255);
  const Normalization n = compute_normalization(ds);
  CHECK(n.mean[1] == doctest::Approx(0.5));
  CHECK(n.std[2] == doctest::Approx(0.5));
}

TEST_CASE("data/augment generators depend on seed, epoch, index and view only") {
  const uint32_t base = augment_generator(1, 2, 3, 0).next_u32();
  CHECK(augment_generator(1, 2, 3, 0).next_u32() == base);
  CHECK(augment_generator(0, 2, 3, 0).next_u32() != base);
  CHECK(augment_generator(1, 3, 3, 0).next_u32() != base);
  CHECK(augment_generator(1, 2, 4, 0).next_u32() != base);
  CHECK(augment_generator(1, 2, 3, 1).next_u32() != base);
  const Pipeline p = cifar_train_pipeline(kCifar10Normalization);
  CHECK(p.describe() == "random_crop(32, pad 4) -> hflip(0.5) -> normalize");
}
