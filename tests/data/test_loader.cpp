#include <algorithm>
#include <cstring>
#include <set>

#include "data/image_io.h"
#include "data/loader.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;
using bcl::test::contains;
using bcl::test::error_message;

namespace {

std::shared_ptr<Dataset> pattern_dataset(int64_t n, int64_t side = 8) {
  auto ds = std::make_shared<Dataset>();
  ds->class_names = {"a", "b", "c"};
  for (int64_t i = 0; i < n; ++i) {
    ds->images.push_back(test::pattern_image(side, side, static_cast<int>(i)));
    ds->labels.push_back(i % 3);
  }
  return ds;
}

// Two views, as contrastive training uses: a randomly cropped and flipped one and a plain one.
MultiViewTransform two_views() {
  return {
      {cifar_train_pipeline(kCifar10Normalization, 8, 2), plain_pipeline(kCifar10Normalization)}};
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(),
                     static_cast<size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

std::vector<Batch> one_epoch(DataLoader& loader, int64_t epoch) {
  std::vector<Batch> batches;
  loader.start_epoch(epoch);
  for (Batch b; loader.next(b);) batches.push_back(b);
  return batches;
}

}  // namespace

TEST_CASE("data/loader batches are bitwise identical with 0, 1 and 3 workers") {
  auto ds = pattern_dataset(37);
  LoaderOptions options;
  options.batch_size = 5;
  options.seed = 11;
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    options.num_workers = workers;
    DataLoader loader(ds, two_views(), options);
    for (int64_t epoch : {0, 1}) runs.push_back(one_epoch(loader, epoch));
  }
  REQUIRE(runs[0].size() == 7);  // 37 / 5, the last 2 samples dropped
  for (size_t r = 2; r < runs.size(); ++r) {
    REQUIRE(runs[r].size() == runs[r % 2].size());
    for (size_t b = 0; b < runs[r].size(); ++b) {
      const Batch &x = runs[r][b], &y = runs[r % 2][b];
      CHECK(bitwise_equal(x.views[0], y.views[0]));
      CHECK(bitwise_equal(x.views[1], y.views[1]));
      CHECK(bitwise_equal(x.labels, y.labels));
      CHECK(bitwise_equal(x.indices, y.indices));
    }
  }
  const Batch& first = runs[0][0];
  CHECK(first.views[0].shape() == Shape{5, 3, 8, 8});
  CHECK(first.labels.dtype() == DType::Int64);
  CHECK(first.labels.shape() == Shape{5});
  // Labels follow the indices; the second view is the plain image, so it differs from the first.
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(first.labels.data<int64_t>()[i] == first.indices.data<int64_t>()[i] % 3);
  }
  CHECK_FALSE(bitwise_equal(first.views[0], first.views[1]));
  // Epochs are shuffled differently.
  CHECK_FALSE(bitwise_equal(runs[0][0].indices, runs[1][0].indices));
}

TEST_CASE("data/loader epoch covers each sample once; eval keeps order and the last batch") {
  auto ds = pattern_dataset(23);
  LoaderOptions train;
  train.batch_size = 4;
  train.num_workers = 2;
  DataLoader loader(ds, two_views(), train);
  CHECK(loader.batches_per_epoch() == 5);
  std::set<int64_t> seen;
  for (const Batch& b : one_epoch(loader, 3)) {
    CHECK(b.labels.size(0) == 4);
    for (int64_t i = 0; i < 4; ++i) CHECK(seen.insert(b.indices.data<int64_t>()[i]).second);
  }
  CHECK(seen.size() == 20);

  DataLoader eval(ds, {{plain_pipeline(kCifar10Normalization)}}, eval_loader_options(4, 2));
  CHECK(eval.batches_per_epoch() == 6);
  const std::vector<Batch> batches = one_epoch(eval, 0);
  REQUIRE(batches.size() == 6);
  CHECK(batches.back().labels.size(0) == 3);
  int64_t expected = 0;
  for (const Batch& b : batches) {
    for (int64_t i = 0; i < b.indices.size(0); ++i)
      CHECK(b.indices.data<int64_t>()[i] == expected++);
  }
  // Without augmentation a view is the normalised image: pixel (0, 0) of channel 0 of sample 22.
  const float v = batches.back().views[0].data<float>()[2 * 3 * 64];
  CHECK(v == doctest::Approx((test::pattern_image(8, 8, 22).at(0, 0, 0) / 255.0 - 0.4914) / 0.2023)
                 .epsilon(1e-5));
}

TEST_CASE("data/loader shuts down cleanly mid-epoch and before any epoch") {
  auto ds = pattern_dataset(64);
  LoaderOptions options;
  options.batch_size = 2;
  options.num_workers = 3;
  options.prefetch = 6;
  { DataLoader idle(ds, two_views(), options); }
  {
    DataLoader loader(ds, two_views(), options);
    loader.start_epoch(0);
    Batch b;
    CHECK(loader.next(b));
    loader.start_epoch(1);  // restart mid-epoch: the stale batches are dropped
    int n = 0;
    while (loader.next(b)) ++n;
    CHECK(n == 32);
    loader.start_epoch(2);
    CHECK(loader.next(b));
  }  // destroyed with batches in flight
  CHECK(true);
}

TEST_CASE("data/loader rethrows a worker's error for its batch, naming the file") {
  test::TempDir dir("loader_lazy");
  auto ds = std::make_shared<Dataset>();
  ds->class_names = {"x", "y"};
  for (int i = 0; i < 6; ++i) {
    ds->files.push_back(dir.file(std::to_string(i) + ".png"));
    ds->labels.push_back(i % 2);
    data::write_png(test::pattern_image(8, 8, i), ds->files.back());
  }
  test::write_bytes(ds->files[3], {0x89, 'P', 'N', 'G', 0, 0});
  for (int workers : {0, 2}) {
    DataLoader loader(ds, {{plain_pipeline(kCifar10Normalization)}},
                      eval_loader_options(2, workers));
    loader.start_epoch(0);
    Batch b;
    CHECK(loader.next(b));
    const std::string msg = error_message([&] { loader.next(b); });
    CHECK(contains(msg, "3.png"));
    CHECK(loader.next(b));  // the batch after it is fine
    CHECK(b.indices.data<int64_t>()[0] == 4);
  }
}

TEST_CASE("data/loader argument and size errors") {
  auto ds = pattern_dataset(10);
  LoaderOptions options;
  options.batch_size = 16;
  CHECK_THROWS_WITH_AS(DataLoader(ds, two_views(), options),
                       doctest::Contains("make no full batch"), Error);
  options.batch_size = 4;
  DataLoader loader(ds, two_views(), options);
  Batch b;
  CHECK_THROWS_WITH_AS(loader.next(b), doctest::Contains("start_epoch"), Error);

  // Images of two sizes and a pipeline that does not crop them to one.
  auto mixed = pattern_dataset(4);
  mixed->images[1] = test::pattern_image(6, 6, 1);
  DataLoader bad(mixed, {{plain_pipeline(kCifar10Normalization)}}, eval_loader_options(4, 1));
  bad.start_epoch(0);
  CHECK_THROWS_WITH_AS(bad.next(b), doctest::Contains("add a crop or resize"), Error);
}

TEST_CASE("data/loader visits the samples in epoch_order") {
  auto ds = pattern_dataset(23);
  LoaderOptions options;
  options.batch_size = 4;
  options.seed = 5;
  options.num_workers = 0;
  DataLoader loader(ds, two_views(), options);
  for (int64_t epoch : {0, 3}) {
    const std::vector<int64_t> order = epoch_order(23, 5, epoch);
    std::vector<int64_t> visited;
    for (const Batch& b : one_epoch(loader, epoch)) {
      for (int64_t i = 0; i < b.indices.numel(); ++i)
        visited.push_back(b.indices.data<int64_t>()[i]);
    }
    REQUIRE(visited.size() == 20);  // 5 full batches of 4; the last 3 samples dropped
    CHECK(std::equal(visited.begin(), visited.end(), order.begin()));
  }
  // A permutation, new each epoch; unshuffled, the identity.
  std::vector<int64_t> sorted = epoch_order(23, 5, 0);
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 23; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
  CHECK(epoch_order(23, 5, 0) != epoch_order(23, 5, 1));
  CHECK(epoch_order(4, 5, 0, /*shuffle=*/false) == std::vector<int64_t>{0, 1, 2, 3});
}
