#include "data/image_folder.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <thread>

#include "data/image_io.h"
#include "tensor/error.h"

namespace bcl::data {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> sorted_entries(const fs::path& dir, bool want_directories) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool keep = want_directories ? it->is_directory() && name[0] != '.'
                                       : it->is_regular_file() && is_image_file_name(name);
    if (keep) names.push_back(name);
  }
  BCL_CHECK(!ec, dir.string(), ": cannot list the folder: ", ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// Decodes files[i] into images[i] on several threads. Each thread takes the next undecoded index;
// after a failure the others stop early, and the error of the lowest failing index is rethrown, so
// the message does not depend on the threads' timing.
std::vector<Image> decode_all(const std::vector<std::string>& files, int num_threads) {
  std::vector<Image> images(files.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::pair<size_t, std::exception_ptr>> errors(static_cast<size_t>(num_threads));
  auto work = [&](size_t t) {
    for (size_t i; !failed && (i = next++) < files.size();) {
      try {
        images[i] = decode_image_file(files[i]);
      } catch (...) {
        errors[t] = {i, std::current_exception()};
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < num_threads; ++t) threads.emplace_back(work, static_cast<size_t>(t));
  work(0);
  for (std::thread& th : threads) th.join();
  const std::pair<size_t, std::exception_ptr>* first = nullptr;
  for (const auto& e : errors) {
    if (e.second && (first == nullptr || e.first < first->first)) first = &e;
  }
  if (first != nullptr) std::rethrow_exception(first->second);
  return images;
}

}  // namespace

Dataset read_image_folder(const std::string& dir, const std::vector<std::string>& classes,
                          int num_threads) {
  BCL_CHECK(fs::is_directory(dir), "image folder not found: ", dir);
  const std::vector<std::string> subfolders = sorted_entries(dir, true);
  Dataset ds;
  ds.class_names = classes.empty() ? subfolders : classes;
  BCL_CHECK(!ds.class_names.empty(), dir, ": no class subfolders (expected ", dir,
            "/<class>/*.jpg)");

  std::vector<std::string> files;
  for (const std::string& sub : subfolders) {
    const auto pos = std::find(ds.class_names.begin(), ds.class_names.end(), sub);
    BCL_CHECK(pos != ds.class_names.end(), dir, ": subfolder '", sub,
              "' is not one of the training classes");
    const int64_t label = pos - ds.class_names.begin();
    for (const std::string& name : sorted_entries(fs::path(dir) / sub, false)) {
      files.push_back((fs::path(dir) / sub / name).string());
      ds.labels.push_back(label);
    }
  }
  BCL_CHECK(!files.empty(), dir, ": no .jpg, .jpeg or .png files in its class subfolders");

  if (num_threads <= 0)
    num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  num_threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(num_threads), files.size()));
  ds.images = decode_all(files, num_threads);
  return ds;
}

}  // namespace bcl::data
