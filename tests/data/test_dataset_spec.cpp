#include <filesystem>

#include "data/dataset_spec.h"
#include "data/image_io.h"
#include "data/long_tail.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;
using bcl::test::contains;
using bcl::test::error_message;

TEST_CASE("data/dataset spec errors quote the spec") {
  std::string msg = error_message([] { load_dataset("cifar10"); });
  CHECK(contains(msg, "'cifar10': no kind"));
  CHECK(contains(msg, "list:ROOT:TRAIN.txt:TEST.txt"));
  msg = error_message([] { load_dataset("imagenet:/data"); });
  CHECK(contains(msg, "unknown kind 'imagenet'"));
  msg = error_message([] { load_dataset("folder:"); });
  CHECK(contains(msg, "no folder after 'folder:'"));
  msg = error_message([] { load_dataset("list:/root:train.txt"); });
  CHECK(contains(msg, "three non-empty fields"));
  msg = error_message([] { load_dataset("cifar100:/no/such/folder"); });
  CHECK(contains(msg, "/no/such/folder"));
}

TEST_CASE("data/dataset spec reads cifar10, list and folder datasets") {
  test::TempDir dir("spec");
  for (int k = 1; k <= 5; ++k) {
    test::write_cifar_file(dir.file("c10/data_batch_" + std::to_string(k) + ".bin"), {{1}});
  }
  test::write_cifar_file(dir.file("c10/test_batch.bin"), {{2}, {3}});
  const DataSplits c10 = load_dataset("cifar10:" + dir.file("c10"));
  CHECK(c10.kind == "cifar10");
  CHECK(c10.train.size() == 5);
  CHECK(c10.test.size() == 2);
  CHECK(c10.normalization.mean[0] == kCifar10Normalization.mean[0]);
  CHECK_FALSE(c10.large_images);
  CHECK(c10.image_size == 32);

  test::write_text(dir.file("lists/train.txt"), "a.jpg 0\nb.jpg 4\n");
  test::write_text(dir.file("lists/test.txt"), "c.jpg 5\n");
  const std::string list_spec = "list:" + dir.file("imgs/") + ":" + dir.file("lists/train.txt") +
                                ":" + dir.file("lists/test.txt");
  // Test labels must be within the training classes.
  CHECK(contains(error_message([&] { load_dataset(list_spec); }), "test.txt:1:"));
  test::write_text(dir.file("lists/test.txt"), "c.jpg 3\n");
  const DataSplits list = load_dataset(list_spec);
  CHECK(list.train.num_classes() == 5);
  CHECK(list.test.lazy());
  CHECK(list.large_images);
  CHECK(list.image_size == 224);
  CHECK(default_eval_transform(list).views[0].describe() ==
        "resize_shorter(256) -> center_crop(224) -> normalize");

  data::write_png(test::pattern_image(16, 16, 1), dir.file("f/train/b/1.png"));
  data::write_png(test::pattern_image(16, 16, 2), dir.file("f/train/a/1.png"));
  data::write_png(test::pattern_image(16, 16, 3), dir.file("f/test/a/1.png"));
  const DataSplits folder = load_dataset("folder:" + dir.file("f"));
  CHECK(folder.train.class_names == std::vector<std::string>{"a", "b"});
  CHECK(folder.test.labels == std::vector<int64_t>{0});
  CHECK(folder.image_size == 16);
  CHECK(default_train_transform(folder).views[0].describe() ==
        "random_crop(16, pad 2) -> hflip(0.5) -> normalize");

  // --normalize: auto keeps the kind's choice (computed for a folder), the names are constants.
  const Normalization computed = compute_normalization(folder.train);
  CHECK(choose_normalization("auto", folder).std[1] == computed.std[1]);
  CHECK(choose_normalization("dataset", folder).mean[2] == computed.mean[2]);
  CHECK(choose_normalization("cifar10", folder).std[0] == kCifar10Normalization.std[0]);
  CHECK(choose_normalization("cifar100", c10).mean[0] == kCifar100Normalization.mean[0]);
  CHECK(choose_normalization("imagenet", c10).std[2] == kImageNetNormalization.std[2]);
  CHECK(choose_normalization("auto", list).mean[0] == kImageNetNormalization.mean[0]);
  CHECK(contains(error_message([&] { choose_normalization("dataset", list); }), "lazily"));
  CHECK(contains(error_message([&] { choose_normalization("imagnet", c10); }),
                 "--normalize 'imagnet'"));
}

TEST_CASE("data/embedded CIFAR-10-LT mini is long-tailed as committed") {
  const std::string root = test::repo_path("data/embedded/cifar10-lt-mini");
  REQUIRE_MESSAGE(std::filesystem::is_directory(root), root,
                  " not found: run the tests from the repository root or set BCL_REPO_ROOT");
  const DataSplits s = load_dataset("folder:" + root);
  CHECK(s.train.class_names.front() == "airplane");
  CHECK(s.train.class_names.back() == "truck");
  CHECK(s.train.class_counts() == std::vector<int64_t>{300, 179, 107, 64, 38, 23, 13, 8, 5, 3});
  CHECK(s.test.class_counts() == std::vector<int64_t>(10, 100));
  CHECK(s.image_size == 32);
  // --imbalance 1 keeps it as it is.
  LongTailOptions options;
  CHECK(make_long_tailed(s.train, options).size() == 740);
}
