// BCL's multi-view transform (bcl_train_transform), its pipelines, and the --show-augment grid.
#include <memory>

#include "data/augment.h"
#include "data/loader.h"
#include "tests/data/augment_test_util.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::test;
using namespace bcl::data;
using bcl::test::contains;
using bcl::test::error_message;

namespace {

const std::array<uint8_t, 3> kFill{125, 123, 114};

}  // namespace

TEST_CASE("augment/bcl_train_transform gives three views of the right shape that differ") {
  const Image img = nonzero_noise_image(32, 32, 1);
  for (const char* ce : {"crop-flip", "autoaug-cutout", "randaug"}) {
    for (const char* cl : {"sim-sim", "sim-rand", "rand-rand"}) {
      INFO(ce, " ", cl);
      const MultiViewTransform t = bcl_train_transform(ce, cl, kCifar10Normalization, 32, kFill);
      REQUIRE(t.num_views() == 3);
      int differing = 0;
      for (int64_t index = 0; index < 4; ++index) {
        std::vector<Image> views;
        for (int v = 0; v < 3; ++v) {
          Generator gen = augment_generator(0, 0, index, v);
          views.push_back(t.views[static_cast<size_t>(v)].augment(img, gen));
          CHECK(views.back().height == 32);
          CHECK(views.back().width == 32);
        }
        differing += views[0].pixels != views[1].pixels && views[1].pixels != views[2].pixels &&
                     views[0].pixels != views[2].pixels;
      }
      CHECK(differing >= 3);  // the views are drawn independently
    }
  }
  // What each name builds.
  const MultiViewTransform sr =
      bcl_train_transform("autoaug-cutout", "sim-rand", kCifar10Normalization, 32, kFill);
  CHECK(sr.views[0].describe() ==
        "random_crop(32, pad 4) -> hflip(0.5) -> autoaugment(cifar10) -> cutout(16) -> normalize");
  CHECK(sr.views[1].describe() ==
        "random_resized_crop(32, scale 0.2..1) -> hflip(0.5) -> apply(0.8: color_jitter(0.4, 0.4, "
        "0.4, 0.1)) -> grayscale(0.2) -> randaugment(n2, m10, mstd0.5) -> normalize");
  CHECK(!contains(sr.views[2].describe(), "randaugment"));
  CHECK(bcl_train_transform("crop-flip", "sim-sim", kCifar10Normalization, 32, kFill)
            .views[0]
            .describe() == cifar_train_pipeline(kCifar10Normalization).describe());
  CHECK(contains(bcl_train_transform("randaug", "rand-rand", kCifar10Normalization, 32, kFill)
                     .views[2]
                     .describe(),
                 "randaugment"));
  // Large images: the CE view resizes and crops to the size; the sim views crop any size.
  const MultiViewTransform large =
      bcl_train_transform("randaug", "sim-sim", kImageNetNormalization, 224, kFill, true);
  const Image photo = nonzero_noise_image(300, 400, 2);
  for (int v = 0; v < 3; ++v) {
    Generator gen = augment_generator(0, 0, 0, v);
    const Image out = large.views[static_cast<size_t>(v)].augment(photo, gen);
    CHECK(out.height == 224);
    CHECK(out.width == 224);
  }
}

TEST_CASE("augment/bcl_train_transform: unknown names throw, naming the accepted values") {
  const std::string ce = error_message(
      [] { bcl_train_transform("autoaug", "sim-sim", kCifar10Normalization, 32, kFill); });
  CHECK(contains(ce, "'autoaug'"));
  CHECK(contains(ce, "crop-flip, autoaug-cutout or randaug"));
  const std::string cl = error_message(
      [] { bcl_train_transform("crop-flip", "sim", kCifar10Normalization, 32, kFill); });
  CHECK(contains(cl, "'sim'"));
  CHECK(contains(cl, "sim-sim, sim-rand or rand-rand"));
}

TEST_CASE("augment/the loader batches BCL's three views as [B, 3, 32, 32] tensors") {
  auto ds = std::make_shared<Dataset>();
  ds->class_names = {"a", "b"};
  for (int i = 0; i < 6; ++i) {
    ds->images.push_back(nonzero_noise_image(32, 32, static_cast<uint64_t>(i)));
    ds->labels.push_back(i % 2);
  }
  LoaderOptions o;
  o.batch_size = 4;
  o.num_workers = 2;
  DataLoader loader(
      ds, bcl_train_transform("autoaug-cutout", "sim-rand", kCifar10Normalization, 32, kFill), o);
  loader.start_epoch(0);
  Batch b;
  REQUIRE(loader.next(b));
  REQUIRE(b.views.size() == 3);
  for (const Tensor& v : b.views) CHECK(v.shape() == Shape{4, 3, 32, 32});
  CHECK(b.views[0].to_vector() != b.views[1].to_vector());
  CHECK(b.views[1].to_vector() != b.views[2].to_vector());
}

TEST_CASE("augment/mean_fill_colour rounds 255 * mean as timm's img_mean") {
  // 255 * (0.4914, 0.4822, 0.4465) = (125.307, 122.961, 113.8575).
  CHECK(mean_fill_colour(kCifar10Normalization) == std::array<uint8_t, 3>{125, 123, 114});
  CHECK(mean_fill_colour(kImageNetNormalization) == std::array<uint8_t, 3>{124, 116, 104});
}

TEST_CASE("augment/augmentation_grid lays out the image and its views, upscaled") {
  const std::vector<Image> images = {nonzero_noise_image(32, 32, 3),
                                     nonzero_noise_image(32, 32, 4)};
  const std::vector<int64_t> indices = {5, 9};
  const MultiViewTransform t =
      bcl_train_transform("autoaug-cutout", "sim-sim", kCifar10Normalization, 32, kFill);
  const Image grid = augmentation_grid(images, indices, t, 7, 4, 2);
  CHECK(grid.height == 2 * (32 * 4 + 2) + 2);
  CHECK(grid.width == 4 * (32 * 4 + 2) + 2);
  // Row 1 (the second image), column 0 is the image; column 2 is its view 1 with the generator of
  // (seed 7, epoch 0, index 9, view 1); each pixel a 4x4 block.
  Generator gen = augment_generator(7, 0, 9, 1);
  const Image view1 = t.views[1].augment(images[1], gen);
  const int64_t top = 2 + (32 * 4 + 2);
  for (int64_t y = 0; y < 32; y += 5) {
    for (int64_t x = 0; x < 32; x += 3) {
      for (int64_t k : {0, 3}) {
        CHECK(grid.at(top + 4 * y + k, 2 + 4 * x + k, 1) == images[1].at(y, x, 1));
        CHECK(grid.at(top + 4 * y + k, 2 + 2 * (32 * 4 + 2) + 4 * x, 2) == view1.at(y, x, 2));
      }
    }
  }
  CHECK(grid.at(0, 0, 0) == 128);  // the gaps are grey
  // A larger image is shown at the views' size: its centre after resizing the shorter side.
  const Image big = augmentation_grid({nonzero_noise_image(64, 96, 5)}, {0}, t, 0, 1, 0);
  CHECK(big.height == 32);
  CHECK(big.width == 4 * 32);
}
