#include "tests/data/data_test_util.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "tensor/error.h"

namespace fs = std::filesystem;

namespace bcl::test {

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() /
          ("bcl_test_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string TempDir::file(const std::string& name) const {
  const fs::path p = path_ / name;
  fs::create_directories(p.parent_path());
  return p.string();
}

data::Image pattern_image(int64_t h, int64_t w, int seed) {
  data::Image img(h, w);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      for (int64_t c = 0; c < 3; ++c) {
        img.at(y, x, c) = static_cast<uint8_t>((y * 7 + x * 3 + c * 85 + seed * 11) % 256);
      }
    }
  }
  return img;
}

void write_cifar_file(const std::string& path, const std::vector<std::vector<uint8_t>>& labels,
                      int first_seed) {
  std::vector<uint8_t> bytes;
  for (size_t r = 0; r < labels.size(); ++r) {
    bytes.insert(bytes.end(), labels[r].begin(), labels[r].end());
    const data::Image img = pattern_image(32, 32, first_seed + static_cast<int>(r));
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t p = 0; p < 32 * 32; ++p) bytes.push_back(img.pixels[p * 3 + c]);
    }
  }
  write_bytes(path, bytes);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  BCL_CHECK(out.good(), "write_text: cannot write ", path);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  BCL_CHECK(out.good(), "write_bytes: cannot write ", path);
}

}  // namespace bcl::test
