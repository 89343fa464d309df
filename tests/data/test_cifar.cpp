#include "data/cifar.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;
using bcl::test::contains;
using bcl::test::error_message;

namespace {

// CIFAR-10 batches with 2 records each: batch k holds labels (k, 9 - k), the test batch (3, 7).
void write_cifar10(const test::TempDir& dir, const std::string& sub = "") {
  for (int k = 1; k <= 5; ++k) {
    test::write_cifar_file(dir.file(sub + "data_batch_" + std::to_string(k) + ".bin"),
                           {{static_cast<uint8_t>(k)}, {static_cast<uint8_t>(9 - k)}}, 10 * k);
  }
  test::write_cifar_file(dir.file(sub + "test_batch.bin"), {{3}, {7}}, 100);
}

}  // namespace

TEST_CASE("data/cifar10 reads the binary batches and converts CHW records to HWC") {
  test::TempDir dir("cifar10");
  write_cifar10(dir);
  const Dataset train = read_cifar10(dir.path().string(), true);
  REQUIRE(train.size() == 10);
  CHECK(train.labels == std::vector<int64_t>{1, 8, 2, 7, 3, 6, 4, 5, 5, 4});
  CHECK(train.class_names.size() == 10);
  CHECK(train.class_names[0] == "airplane");
  CHECK(train.class_names[9] == "truck");
  CHECK_FALSE(train.lazy());
  // Record 1 of batch 2 was written from pattern_image(32, 32, 21).
  const Image expected = test::pattern_image(32, 32, 21);
  CHECK(train.images[3].height == 32);
  CHECK(train.images[3].pixels == expected.pixels);

  const Dataset test_split = read_cifar10(dir.path().string(), false);
  CHECK(test_split.labels == std::vector<int64_t>{3, 7});
  CHECK(test_split.images[0].pixels == test::pattern_image(32, 32, 100).pixels);
}

TEST_CASE("data/cifar10 finds the archive folder and reads batches.meta.txt") {
  test::TempDir dir("cifar10_archive");
  write_cifar10(dir, "cifar-10-batches-bin/");
  std::string names;
  for (int c = 0; c < 10; ++c) names += "class" + std::to_string(c) + "\n";
  test::write_text(dir.file("cifar-10-batches-bin/batches.meta.txt"), names + "\n");
  const Dataset train = read_cifar10(dir.path().string(), true);
  CHECK(train.size() == 10);
  CHECK(train.class_names[4] == "class4");

  test::write_text(dir.file("cifar-10-batches-bin/batches.meta.txt"), "a\nb\n");
  const std::string msg = error_message([&] { read_cifar10(dir.path().string(), true); });
  CHECK(contains(msg, "batches.meta.txt"));
  CHECK(contains(msg, "2 class names, expected 10"));
}

TEST_CASE("data/cifar10 errors name the folder or the file") {
  test::TempDir dir("cifar10_errors");
  const std::string missing = (dir.path() / "nowhere").string();
  std::string msg = error_message([&] { read_cifar10(missing, true); });
  CHECK(contains(msg, "folder not found"));
  CHECK(contains(msg, missing));

  msg = error_message([&] { read_cifar10(dir.path().string(), true); });
  CHECK(contains(msg, "data_batch_1.bin not found"));

  write_cifar10(dir);
  std::filesystem::remove(dir.path() / "data_batch_4.bin");
  msg = error_message([&] { read_cifar10(dir.path().string(), true); });
  CHECK(contains(msg, "data_batch_4.bin not found"));

  // A record cut short.
  write_cifar10(dir);
  const std::string batch3 = dir.file("data_batch_3.bin");
  std::filesystem::resize_file(batch3, 2 * 3073 - 100);
  msg = error_message([&] { read_cifar10(dir.path().string(), true); });
  CHECK(contains(msg, batch3));
  CHECK(contains(msg, "truncated"));

  // A label byte that is no CIFAR-10 class.
  test::write_cifar_file(batch3, {{1}, {10}});
  msg = error_message([&] { read_cifar10(dir.path().string(), true); });
  CHECK(contains(msg, batch3));
  CHECK(contains(msg, "record 1 has label 10"));
}

TEST_CASE("data/cifar100 uses the fine label and fine_label_names.txt") {
  test::TempDir dir("cifar100");
  test::write_cifar_file(dir.file("cifar-100-binary/train.bin"), {{0, 42}, {19, 99}, {3, 0}});
  test::write_cifar_file(dir.file("cifar-100-binary/test.bin"), {{7, 58}}, 50);
  Dataset train = read_cifar100(dir.path().string(), true);
  CHECK(train.labels == std::vector<int64_t>{42, 99, 0});
  CHECK(train.class_names.size() == 100);
  CHECK(train.class_names[0] == "apple");
  CHECK(train.class_names[99] == "worm");
  CHECK(train.images[1].pixels == test::pattern_image(32, 32, 1).pixels);
  const Dataset test_split = read_cifar100(dir.path().string(), false);
  CHECK(test_split.labels == std::vector<int64_t>{58});
  CHECK(test_split.images[0].pixels == test::pattern_image(32, 32, 50).pixels);

  std::string names;
  for (int c = 0; c < 100; ++c) names += "fine" + std::to_string(c) + "\n";
  test::write_text(dir.file("cifar-100-binary/fine_label_names.txt"), names);
  train = read_cifar100(dir.path().string(), true);
  CHECK(train.class_names[42] == "fine42");

  // The 3074-byte records of CIFAR-100 are not a whole number of CIFAR-10's 3073-byte ones.
  test::write_cifar_file(dir.file("cifar-100-binary/train.bin"), {{0}, {1}});
  const std::string msg = error_message([&] { read_cifar100(dir.path().string(), true); });
  CHECK(contains(msg, "train.bin"));
  CHECK(contains(msg, "3074-byte records"));
}
