// The two batch sources of bcl-train (train/batch_source.h): on the CPU, --data-on-device's
// batched views equal the DataLoader's bit for bit, batch by batch, so a run trained either way
// ends with the same weights.
#include <cstring>
#include <fstream>

#include "data/augment.h"
#include "data/image_io.h"
#include "tensor/safetensors.h"
#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"
#include "train/batch_source.h"

using namespace bcl;
using bcl::test::contains;

namespace {

std::shared_ptr<const data::Dataset> pattern_dataset(int64_t n, int64_t side) {
  auto ds = std::make_shared<data::Dataset>();
  ds->class_names = {"a", "b", "c"};
  for (int64_t i = 0; i < n; ++i) {
    ds->images.push_back(test::pattern_image(side, side, static_cast<int>(7 * i + 1)));
    ds->labels.push_back((i * i) % 3);
  }
  return ds;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(),
                     static_cast<size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

// Epochs 0 and 1 of both sources, compared batch by batch.
void check_sources_agree(const std::string& ce_aug, const std::string& cl_views, int views) {
  const int64_t side = 16;
  auto ds = pattern_dataset(45, side);
  const data::Normalization norm = data::kCifar10Normalization;
  train::BatchSourceOptions o;
  o.batch_size = 8;
  o.seed = 21;
  o.workers = 1;
  data::MultiViewTransform transform = data::bcl_train_transform(
      ce_aug, cl_views, norm, side, data::mean_fill_colour(norm), /*large_images=*/false);
  transform.views.resize(static_cast<size_t>(views));
  const auto loader = train::loader_batches(ds, transform, o);
  const auto device = train::device_batches(ds, norm, side, ce_aug, cl_views, views, o);
  REQUIRE(loader->batches_per_epoch() == 5);  // 45 / 8, the last 5 samples dropped
  REQUIRE(device->batches_per_epoch() == 5);
  for (int64_t epoch : {0, 1}) {
    loader->start_epoch(epoch);
    device->start_epoch(epoch);
    train::TrainBatch a, b;
    int64_t batches = 0;
    while (loader->next(a)) {
      CAPTURE(epoch);
      CAPTURE(batches);
      REQUIRE(device->next(b));
      REQUIRE(a.views.size() == static_cast<size_t>(views));
      REQUIRE(b.views.size() == a.views.size());
      CHECK(bitwise_equal(raw::contiguous(b.labels), a.labels));
      for (size_t v = 0; v < a.views.size(); ++v) {
        CAPTURE(v);
        CHECK(a.views[v].shape() == Shape{8, 3, side, side});
        CHECK(bitwise_equal(b.views[v], a.views[v]));
      }
      ++batches;
    }
    CHECK(batches == 5);
    CHECK_FALSE(device->next(b));
  }
}

}  // namespace

TEST_CASE("apps/batch sources: the device views equal the loader's, three views and one") {
  for (const std::string ce_aug : {"crop-flip", "autoaug-cutout", "randaug"}) {
    for (const std::string cl_views : {"sim-sim", "sim-rand", "rand-rand"}) {
      CAPTURE(ce_aug);
      CAPTURE(cl_views);
      check_sources_agree(ce_aug, cl_views, 3);
    }
    check_sources_agree(ce_aug, "sim-sim", 1);
  }
}

TEST_CASE("apps/batch sources: bad data for --data-on-device is named") {
  train::BatchSourceOptions o;
  o.batch_size = 8;
  auto few = pattern_dataset(5, 16);
  CHECK_THROWS_WITH_AS(
      train::device_batches(few, data::kCifar10Normalization, 16, "crop-flip", "sim-sim", 3, o),
      doctest::Contains("--data-on-device: 5 training images make no full batch of --batch-size 8"),
      Error);
  auto mixed = std::make_shared<data::Dataset>(*pattern_dataset(12, 16));
  mixed->images[4] = test::pattern_image(12, 16, 3);
  const std::string message = test::error_message([&] {
    train::device_batches(mixed, data::kCifar10Normalization, 16, "crop-flip", "sim-sim", 3, o);
  });
  CHECK(contains(message, "--data-on-device"));
  CHECK(contains(message, "image 4"));
}

TEST_CASE(
    "apps/bcl-train --data-on-device trains to the same weights as the loader on the CPU "
    "(bcl, autoaug-cutout)") {
  test::TempDir dir("data_on_device");
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 16; ++i)
      data::write_png(
          test::pattern_image(16, 16, 100 * c + i),
          dir.file("train/class" + std::to_string(c) + "/" + std::to_string(i) + ".png"));
    data::write_png(test::pattern_image(16, 16, 1000 + c),
                    dir.file("test/class" + std::to_string(c) + "/0.png"));
  }
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"--data",       "folder:" + dir.path().string(),
                                    "--method",     "bcl",
                                    "--ce-aug",     "autoaug-cutout",
                                    "--epochs",     "1",
                                    "--batch-size", "16",
                                    "--lr",         "0.05",
                                    "--seed",       "4",
                                    "--threads",    "1",
                                    "--out",        out};
  };
  const test::AppRun loader = test::run_app("bcl-train", args(dir.file("loader")));
  INFO("loader run:\n", loader.output);
  REQUIRE(loader.exit_code == 0);
  std::vector<std::string> device_args = args(dir.file("device"));
  device_args.push_back("--data-on-device");
  const test::AppRun device = test::run_app("bcl-train", device_args);
  INFO("device run:\n", device.output);
  REQUIRE(device.exit_code == 0);

  const SafetensorsFile a = load_safetensors(dir.file("loader/last.safetensors"));
  const SafetensorsFile b = load_safetensors(dir.file("device/last.safetensors"));
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [name, ta] : a.tensors) {
    INFO(name);
    REQUIRE(b.tensors.count(name) == 1);
    CHECK(bitwise_equal(b.tensors.at(name), ta));
  }
  // The logged losses, read a few times per epoch, are the same sums.
  std::ifstream la(dir.file("loader/log.jsonl")), lb(dir.file("device/log.jsonl"));
  std::string line_a, line_b;
  REQUIRE(std::getline(la, line_a));
  REQUIRE(std::getline(lb, line_b));
  CHECK(line_a.substr(0, line_a.find("\"img_per_s\"")) ==
        line_b.substr(0, line_b.find("\"img_per_s\"")));
}

TEST_CASE("apps/bcl-train --data-on-device refuses images of several sizes, naming the flag") {
  const test::TempDir dir("refused");
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 4; ++i)
      data::write_png(test::pattern_image(16 + 4 * c, 16, i),
                      dir.file("train/c" + std::to_string(c) + "/" + std::to_string(i) + ".png"));
    data::write_png(test::pattern_image(16, 16, 9),
                    dir.file("test/c" + std::to_string(c) + "/0.png"));
  }
  const test::AppRun run =
      test::run_app("bcl-train", {"--data", "folder:" + dir.path().string(), "--data-on-device",
                                  "--batch-size", "2", "--out", dir.file("run")});
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "--data-on-device"));
}
