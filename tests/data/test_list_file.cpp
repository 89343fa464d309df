#include <zlib.h>

#include <filesystem>

#include "data/list_file.h"
#include "tests/data/data_test_util.h"
#include "tests/skip.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;
using bcl::test::contains;
using bcl::test::error_message;

namespace {

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) ==
          static_cast<int>(text.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

}  // namespace

TEST_CASE("data/list file: paths joined to the root, labels, blank lines, CRLF, spaces in paths") {
  test::TempDir dir("list");
  const std::string list = dir.file("train.txt");
  test::write_text(list,
                   "train/a/1.jpg 0\r\n"
                   "\n"
                   "train/b/with space.jpg\t2\n"
                   "  train/a/2.jpg   0  \n");
  const Dataset ds = read_list_file(list, "/data/root");
  CHECK(ds.lazy());
  CHECK(ds.labels == std::vector<int64_t>{0, 2, 0});
  CHECK(ds.files == std::vector<std::string>{"/data/root/train/a/1.jpg",
                                             "/data/root/train/b/with space.jpg",
                                             "/data/root/train/a/2.jpg"});
  CHECK(ds.class_names == std::vector<std::string>{"0", "1", "2"});  // the largest label + 1

  const Dataset five = read_list_file(list, "/data/root", 5);
  CHECK(five.num_classes() == 5);
}

TEST_CASE("data/list file errors name the file and the line") {
  test::TempDir dir("list_errors");
  const std::string list = dir.file("bad.txt");

  test::write_text(list, "a.jpg 0\nb.jpg 1\nc.jpg\n");
  std::string msg = error_message([&] { read_list_file(list, "root"); });
  CHECK(contains(msg, list + ":3:"));
  CHECK(contains(msg, "no label"));

  test::write_text(list, "a.jpg 0\nb.jpg one\n");
  msg = error_message([&] { read_list_file(list, "root"); });
  CHECK(contains(msg, list + ":2:"));
  CHECK(contains(msg, "label 'one' is not a non-negative integer"));

  test::write_text(list, "a.jpg -1\n");
  msg = error_message([&] { read_list_file(list, "root"); });
  CHECK(contains(msg, list + ":1:"));

  test::write_text(list, "a.jpg 0\n\nb.jpg 3\nc.jpg 10\n");
  msg = error_message([&] { read_list_file(list, "root", 10); });
  CHECK(contains(msg, list + ":4:"));
  CHECK(contains(msg, "label 10 out of range [0, 10)"));

  test::write_text(list, "\n\n");
  msg = error_message([&] { read_list_file(list, "root"); });
  CHECK(contains(msg, "no samples"));

  msg = error_message([&] { read_list_file(dir.file("missing.txt"), "root"); });
  CHECK(contains(msg, "missing.txt: file not found"));
}

TEST_CASE("data/list file reads gzip lists and rejects a truncated one") {
  test::TempDir dir("list_gz");
  std::string text;
  for (int i = 0; i < 3000; ++i)
    text += "img/" + std::to_string(i) + ".jpg " + std::to_string(i % 7) + "\n";
  const std::string gz = dir.file("list.txt.gz");
  write_gzip(gz, text);
  const Dataset ds = read_list_file(gz, "r");
  REQUIRE(ds.size() == 3000);
  CHECK(ds.files[2999] == "r/img/2999.jpg");
  CHECK(ds.labels[2999] == 2999 % 7);
  CHECK(ds.num_classes() == 7);

  std::filesystem::resize_file(gz, std::filesystem::file_size(gz) / 2);
  const std::string msg = error_message([&] { read_list_file(gz, "r"); });
  CHECK(contains(msg, gz));
}

TEST_CASE("data/list file reads the real ImageNet-LT val and test lists") {
  const std::string shared = test::repo_path("../shared/data");  // beside the repository
  const std::string val = shared + "/ImageNet_LT_val.txt.gz";
  const std::string test_list = shared + "/ImageNet_LT_test.txt.gz";
  if (!std::filesystem::exists(val) || !std::filesystem::exists(test_list)) {
    test::skip(test::SkipReason::NoData, shared + " has no ImageNet-LT lists");
    return;
  }
  const Dataset v = read_list_file(val, "/imagenet", 1000);
  CHECK(v.size() == 20000);
  CHECK(v.num_classes() == 1000);
  CHECK(v.files[0].rfind("/imagenet/", 0) == 0);
  const Dataset t = read_list_file(test_list, "/imagenet");
  CHECK(t.size() == 50000);
  CHECK(t.num_classes() == 1000);
  // Both splits are balanced: 20 and 50 images of every class.
  const std::vector<int64_t> vc = v.class_counts(), tc = t.class_counts();
  CHECK(*std::min_element(vc.begin(), vc.end()) == 20);
  CHECK(*std::max_element(vc.begin(), vc.end()) == 20);
  CHECK(*std::min_element(tc.begin(), tc.end()) == 50);
  CHECK(*std::max_element(tc.begin(), tc.end()) == 50);
}
