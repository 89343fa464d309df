#include "data/list_file.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <memory>

#include "tensor/error.h"

namespace bcl::data {
namespace {

namespace fs = std::filesystem;

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  BCL_CHECK(fs::is_regular_file(path), path, ": file not found");
  // gzread passes a file that is not gzip-compressed through unchanged.
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  BCL_CHECK(file != nullptr, path, ": cannot open for reading");
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(file.get(), buffer, sizeof(buffer));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      BCL_CHECK(false, path, ": read error (", message, ")");
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  // A gzip stream cut short reads as a clean end of file; zlib only says so through gzerror.
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  BCL_CHECK(code == Z_OK || code == Z_STREAM_END, path, ": damaged gzip stream (", message, ")");
  return text;
}

Dataset read_list_file(const std::string& list_path, const std::string& root, int64_t num_classes) {
  const std::string text = read_text_file(list_path);
  Dataset ds;
  int64_t max_label = -1;
  size_t line_number = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ++line_number;
    std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    while (!line.empty() && is_space(line.back())) line.pop_back();  // also a Windows '\r'
    const size_t first = std::find_if_not(line.begin(), line.end(), is_space) - line.begin();
    if (first == line.size()) continue;

    const auto where = [&] { return detail::cat(list_path, ":", line_number, ": "); };
    const size_t gap = line.find_last_of(" \t");
    BCL_CHECK(gap != std::string::npos && gap > first, where(), "no label in '", line,
              "' (expected '<relative path> <label>')");
    const std::string field = line.substr(gap + 1);
    int64_t label = -1;
    const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), label);
    BCL_CHECK(ec == std::errc() && ptr == field.data() + field.size() && label >= 0, where(),
              "label '", field, "' is not a non-negative integer");
    BCL_CHECK(num_classes <= 0 || label < num_classes, where(), "label ", label,
              " out of range [0, ", num_classes, ")");

    size_t path_end = gap;
    while (path_end > first && is_space(line[path_end - 1])) --path_end;
    ds.files.push_back((fs::path(root) / line.substr(first, path_end - first)).string());
    ds.labels.push_back(label);
    max_label = std::max(max_label, label);
  }
  BCL_CHECK(!ds.files.empty(), list_path, ": no samples in the list");

  const int64_t classes = num_classes > 0 ? num_classes : max_label + 1;
  for (int64_t c = 0; c < classes; ++c) ds.class_names.push_back(std::to_string(c));
  return ds;
}

}  // namespace bcl::data
