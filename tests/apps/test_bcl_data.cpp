// bcl-data --export: the PNG folders it writes read back, through the folder: reader, as the very
// training set (after the long-tail cut) and test set it was given, pixel for pixel and in order.
#include <filesystem>

#include "data/dataset_spec.h"
#include "data/long_tail.h"
#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

void check_same_split(const data::Dataset& got, const data::Dataset& want) {
  CHECK(got.class_names == want.class_names);
  REQUIRE(got.labels == want.labels);
  int64_t differing = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    const data::Image a = got.image(i), b = want.image(i);
    differing += a.height != b.height || a.width != b.width || a.pixels != b.pixels;
  }
  CHECK(differing == 0);
}

}  // namespace

TEST_CASE("apps/bcl-data --export writes the long-tailed training set and the test set as PNGs") {
  const std::string source = "folder:" + test::repo_path("data/embedded/cifar10-lt-mini");
  const test::TempDir dir("bcl_data_export");
  const std::string out = (dir.path() / "lt").string();
  // The embedded set already has R = 100's profile (300 down to 3). R = 1000 cuts every class but
  // the first, down to none for the last two (their empty folders must still come back as
  // classes); data seed 3 picks other images than the default.
  const test::AppRun run = test::run_app(
      "bcl-data", {"--data", source, "--imbalance", "1000", "--data-seed", "3", "--export", out});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  const data::DataSplits original = data::load_dataset(source);
  data::LongTailOptions lt;
  lt.ratio = 1000;
  lt.data_seed = 3;
  const data::Dataset train = data::make_long_tailed(original.train, lt);
  REQUIRE(train.size() < original.train.size());
  CHECK(contains(run.output, "\"train\": " + std::to_string(train.size())));
  CHECK(contains(run.output, "\"test\": " + std::to_string(original.test.size())));

  const data::DataSplits back = data::load_dataset("folder:" + out);
  check_same_split(back.train, train);
  check_same_split(back.test, original.test);

  // A second export into the same folder would mix two sets: refused, naming the flag and folder.
  const test::AppRun again = test::run_app("bcl-data", {"--data", source, "--export", out});
  CHECK(again.exit_code == 1);
  CHECK(contains(again.output, "--export"));
  CHECK(contains(again.output, out));
}
