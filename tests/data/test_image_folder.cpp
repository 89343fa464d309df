#include <cstdlib>
#include <filesystem>

#include "data/image_folder.h"
#include "data/image_io.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;
using bcl::test::contains;
using bcl::test::error_message;

namespace {

int max_abs_difference(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  int worst = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<int>(a.pixels[i]) - b.pixels[i]));
  }
  return worst;
}

// A smooth image, which JPEG reproduces closely. tests/data/fixtures/gradient_16x24.jpg is
// gradient_image(16, 24) written by stb_image_write's stbi_write_jpg at quality 95.
const char* kGradientJpeg = "tests/data/fixtures/gradient_16x24.jpg";

Image gradient_image(int64_t h, int64_t w) {
  Image img(h, w);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      img.at(y, x, 0) = static_cast<uint8_t>(40 + 4 * x);
      img.at(y, x, 1) = static_cast<uint8_t>(200 - 3 * y);
      img.at(y, x, 2) = 128;
    }
  }
  return img;
}

}  // namespace

TEST_CASE("data/write_png names the file it cannot write, and refuses a malformed image") {
  test::TempDir dir("write_png");
  const std::string missing = (dir.path() / "no" / "such" / "p.png").string();
  CHECK(contains(error_message([&] { data::write_png(test::pattern_image(4, 4, 1), missing); }),
                 "write_png: cannot write " + missing));
  Image short_image(4, 4);
  short_image.pixels.pop_back();
  const std::string file = dir.file("short.png");
  CHECK(contains(error_message([&] { data::write_png(short_image, file); }), file));
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("data/decode reads PNG exactly and JPEG closely") {
  test::TempDir dir("decode");
  const Image pattern = test::pattern_image(5, 7, 3);
  const std::string png = dir.file("p.png");
  data::write_png(pattern, png);
  const Image from_png = decode_image_file(png);
  CHECK(from_png.height == 5);
  CHECK(from_png.width == 7);
  CHECK(from_png.pixels == pattern.pixels);

  const std::string jpg = test::repo_path(kGradientJpeg);
  REQUIRE_MESSAGE(std::filesystem::exists(jpg), jpg,
                  " not found: run the tests from the repository root or set BCL_REPO_ROOT");
  const Image from_jpg = decode_image_file(jpg);
  CHECK(from_jpg.height == 16);
  CHECK(from_jpg.width == 24);
  CHECK(max_abs_difference(from_jpg, gradient_image(16, 24)) <= 4);

  CHECK(is_image_file_name("a.JPEG"));
  CHECK(is_image_file_name("a.png"));
  CHECK_FALSE(is_image_file_name("a.txt"));
  CHECK_FALSE(is_image_file_name(".jpg"));
}

TEST_CASE("data/decode rejects corrupt and truncated JPEGs, naming the file") {
  test::TempDir dir("corrupt");
  const std::string garbage = dir.file("garbage.jpg");
  test::write_bytes(garbage, {0xFF, 0xD8, 0xFF, 0x00, 0x12, 0x34, 0xFF, 0xDA, 0x00, 0xFF, 0xD9});
  std::string msg = error_message([&] { decode_image_file(garbage); });
  CHECK(contains(msg, garbage));
  CHECK(contains(msg, "cannot decode"));

  std::vector<uint8_t> bytes = read_file_bytes(test::repo_path(kGradientJpeg));
  bytes.resize(bytes.size() * 2 / 3);
  const std::string cut = dir.file("cut.jpg");
  test::write_bytes(cut, bytes);
  msg = error_message([&] { decode_image_file(cut); });
  CHECK(contains(msg, cut));
  CHECK(contains(msg, "truncated"));

  test::write_text(dir.file("not_an_image.png"), "hello");
  msg = error_message([&] { decode_image_file(dir.file("not_an_image.png")); });
  CHECK(contains(msg, "not_an_image.png"));

  msg = error_message([&] { decode_image_file(dir.file("missing.jpg")); });
  CHECK(contains(msg, "missing.jpg"));
  CHECK(contains(msg, "cannot open"));
}

TEST_CASE(
    "data/image folder: classes sorted by name, files in name order, test uses train classes") {
  test::TempDir dir("folder");
  // Written out of order on purpose; "notes.txt" and ".hidden/" are skipped.
  data::write_png(test::pattern_image(4, 4, 1), dir.file("train/zebra/b.png"));
  data::write_png(test::pattern_image(4, 4, 2), dir.file("train/zebra/a.png"));
  data::write_png(test::pattern_image(4, 4, 3), dir.file("train/ant/x.PNG"));
  test::write_text(dir.file("train/ant/notes.txt"), "not an image");
  data::write_png(test::pattern_image(4, 4, 4), dir.file("train/.hidden/y.png"));
  data::write_png(test::pattern_image(4, 4, 5), dir.file("test/zebra/c.png"));

  const Dataset train = read_image_folder(dir.file("train"), {}, 2);
  CHECK(train.class_names == std::vector<std::string>{"ant", "zebra"});
  CHECK(train.labels == std::vector<int64_t>{0, 1, 1});
  CHECK(train.images[1].pixels == test::pattern_image(4, 4, 2).pixels);  // a.png before b.png
  CHECK(train.images[2].pixels == test::pattern_image(4, 4, 1).pixels);

  const Dataset test_split = read_image_folder(dir.file("test"), train.class_names, 2);
  CHECK(test_split.class_names == train.class_names);
  CHECK(test_split.labels == std::vector<int64_t>{1});

  data::write_png(test::pattern_image(4, 4, 6), dir.file("test/yak/d.png"));
  std::string msg = error_message([&] { read_image_folder(dir.file("test"), train.class_names); });
  CHECK(contains(msg, "'yak' is not one of the training classes"));

  msg = error_message([&] { read_image_folder(dir.file("nowhere")); });
  CHECK(contains(msg, "image folder not found"));
  CHECK(contains(msg, "nowhere"));
}

TEST_CASE("data/image folder reports the corrupt file whatever the thread count") {
  test::TempDir dir("folder_corrupt");
  for (int i = 0; i < 20; ++i) {
    data::write_png(test::pattern_image(8, 8, i),
                    dir.file("train/c/" + std::to_string(100 + i) + ".png"));
  }
  test::write_bytes(dir.file("train/c/105.png"), {1, 2, 3, 4});
  test::write_bytes(dir.file("train/c/117.png"), {5, 6, 7, 8});
  for (int threads : {1, 2, 4}) {
    const std::string msg =
        error_message([&] { read_image_folder(dir.file("train"), {}, threads); });
    CHECK(contains(msg, "105.png"));  // the first bad file in order
  }
}
