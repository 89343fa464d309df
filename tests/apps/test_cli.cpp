// What a user sees when the input is wrong: each app exits non-zero with a message that names the
// cause (the flag, the folder, the file and line). The apps run as child processes.
#include <filesystem>

#include "data/image_io.h"
#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

// Fails the test with the app's output when it did not exit 1 with every part in its output.
void check_error(const test::AppRun& run, const std::vector<std::string>& parts,
                 int exit_code = 1) {
  INFO("output:\n", run.output);
  CHECK(run.term_signal == 0);
  CHECK(run.exit_code == exit_code);
  for (const std::string& part : parts) CHECK(contains(run.output, part));
}

// A folder dataset of 8x8 PNGs: classes a and b, two training and one test image each.
void write_tiny_folder(const test::TempDir& dir) {
  for (const char* cls : {"a", "b"}) {
    for (int i = 0; i < 2; ++i)
      data::write_png(test::pattern_image(8, 8, i),
                      dir.file(std::string("train/") + cls + "/" + std::to_string(i) + ".png"));
    data::write_png(test::pattern_image(8, 8, 9), dir.file(std::string("test/") + cls + "/0.png"));
  }
}

}  // namespace

TEST_CASE("apps/bcl-train rejects an unknown flag and a negative learning rate") {
  test::AppRun run = test::run_app("bcl-train", {"--learning-rate", "0.1"});
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "--learning-rate"));

  run = test::run_app("bcl-train", {"--lr", "-0.1"});
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "--lr"));
  CHECK(contains(run.output, "-0.1"));

  run = test::run_app("bcl-train", {"--epochs", "2", "--warmup-epochs", "5"});
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "--warmup-epochs"));

  run = test::run_app("bcl-train", {"--schedule", "step"});
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "--milestones"));
}

TEST_CASE("apps/bcl-train and bcl-data name a missing dataset folder") {
  test::TempDir dir("cli_missing");
  const std::string missing = (dir.path() / "no_such_folder").string();
  check_error(test::run_app("bcl-data", {"--data", "folder:" + missing}),
              {"bcl-data: error:", "folder not found", missing});
  check_error(
      test::run_app("bcl-train", {"--data", "cifar10:" + missing, "--out", dir.file("run")}),
      {"bcl-train: error:", "folder not found", missing});
  check_error(test::run_app("bcl-data", {"--data", "imagenet:" + missing}),
              {"unknown kind 'imagenet'"});
}

TEST_CASE("apps/bcl-data names a truncated CIFAR binary") {
  test::TempDir dir("cli_cifar");
  for (int k = 1; k <= 5; ++k)
    test::write_cifar_file(dir.file("data_batch_" + std::to_string(k) + ".bin"), {{0}, {1}});
  test::write_cifar_file(dir.file("test_batch.bin"), {{0}, {1}});
  const std::string json =
      test::run_app("bcl-data", {"--data", "cifar10:" + dir.path().string()}).output;
  CHECK(contains(json, "\"train_total\": 10"));

  std::filesystem::resize_file(dir.file("data_batch_2.bin"), 3073 + 1000);
  check_error(test::run_app("bcl-data", {"--data", "cifar10:" + dir.path().string()}),
              {dir.file("data_batch_2.bin"), "truncated"});
}

TEST_CASE("apps/bcl-train names a corrupt JPEG") {
  test::TempDir dir("cli_jpeg");
  write_tiny_folder(dir);
  const std::string bad = dir.file("train/b/broken.jpg");
  test::write_bytes(bad, {0xFF, 0xD8, 0xFF, 0x00, 0x12, 0x34, 0xFF, 0xDA, 0x00, 0xFF, 0xD9});
  check_error(test::run_app("bcl-train", {"--data", "folder:" + dir.path().string(), "--epochs",
                                          "1", "--out", dir.file("run")}),
              {"bcl-train: error:", bad, "cannot decode"});
}

TEST_CASE("apps/bcl-data names the list-file line with no label or a label out of range") {
  test::TempDir dir("cli_list");
  const std::string root = dir.path().string();
  const std::string train = dir.file("train.txt"), test_list = dir.file("test.txt");
  test::write_text(train, "a/0.jpg 0\na/1.jpg 1\nb/2.jpg\n");
  test::write_text(test_list, "a/0.jpg 0\n");
  check_error(test::run_app("bcl-data", {"--data", "list:" + root + ":" + train + ":" + test_list}),
              {train + ":3:", "no label"});

  // The training list has classes 0 and 1, so a test label 2 is out of range.
  test::write_text(train, "a/0.jpg 0\na/1.jpg 1\n");
  test::write_text(test_list, "a/0.jpg 0\na/1.jpg 2\n");
  check_error(test::run_app("bcl-data", {"--data", "list:" + root + ":" + train + ":" + test_list}),
              {test_list + ":2:", "label 2 out of range [0, 2)"});
}

TEST_CASE("apps/bcl-train --resume and bcl-eval name a missing checkpoint") {
  test::TempDir dir("cli_resume");
  write_tiny_folder(dir);
  const std::string run_dir = dir.file("run");
  check_error(test::run_app("bcl-train", {"--data", "folder:" + dir.path().string(), "--batch-size",
                                          "2", "--out", run_dir, "--resume"}),
              {"--resume", run_dir + "/last.safetensors"});
  const test::AppRun run = test::run_app("bcl-eval", {"--checkpoint", dir.file("none.safetensors"),
                                                      "--data", "folder:" + dir.path().string()});
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "none.safetensors"));
}
