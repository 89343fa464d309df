// Helpers for the data tests: temporary folders and small synthetic dataset files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tensor/error.h"

namespace bcl::test {

// A fresh directory under the system's temporary directory, removed with its contents at scope
// exit.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside, with its parent folders created.
  std::string file(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

// A w x h image whose every value is a distinct function of (y, x, c) and `seed`.
data::Image pattern_image(int64_t h, int64_t w, int seed);

// A CIFAR binary file: for each record its label bytes (1 for CIFAR-10: the label; 2 for
// CIFAR-100: coarse, fine) then pattern_image(32, 32, record seed) stored CHW. The seed of record r
// is first_seed + r.
void write_cifar_file(const std::string& path, const std::vector<std::vector<uint8_t>>& labels,
                      int first_seed = 0);

void write_text(const std::string& path, const std::string& text);
void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// The message of the bcl::Error that f() throws, or a note that it threw none (other exceptions
// escape), for checking that a message names the file and the line.
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no bcl::Error was thrown)";
}
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace bcl::test
