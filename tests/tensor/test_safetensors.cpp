#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tensor/safetensors.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace bcl;

namespace {

// A fresh directory under the system's temporary directory, removed with its contents at scope
// exit.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("bcl_test_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

std::string le64(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(n >> (8 * i));
  return bytes;
}

template <class T>
std::string raw_bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A file as the format lays it out: the header's length, the header, the data.
void write_safetensors_bytes(const std::string& path, const std::string& header,
                             const std::string& data) {
  write_file(path, le64(header.size()) + header + data);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Loading `path` must throw a bcl::Error that names the file and contains `problem`.
void check_rejected(const std::string& path, const std::string& problem) {
  std::string message;
  try {
    load_safetensors(path);
  } catch (const bcl::Error& e) {
    message = e.what();
  }
  INFO("expected \"", problem, "\", got: \"", message, "\"");
  CHECK(contains(message, "load_safetensors: " + path + ": "));
  CHECK(contains(message, problem));
}

void check_same(const Tensor& a, const Tensor& b) {
  CHECK(a.dtype() == b.dtype());
  CHECK(a.shape() == b.shape());
  CHECK(a.to_vector() == b.to_vector());  // bit-exact: the file stores the raw bytes
}

}  // namespace

TEST_CASE("safetensors/round_trip") {
  TempDir dir("safetensors_round_trip");
  std::string path = dir.file("t.safetensors");
  Tensor f32 = test::randn({2, 3}, 1, DType::Float32);
  Tensor f64 = test::randn({4}, 2, DType::Float64);
  Tensor i64 = from_vector({0, -5, 1099511627776.0}, {3}, DType::Int64);  // 2^40: needs 64 bits
  Tensor scalar_f32 = scalar(2.5);
  Tensor empty_f64 = zeros({0, 3}, DType::Float64);
  Tensor bf16 = raw::to_dtype(test::randn({5}, 4, DType::Float32), DType::BFloat16);
  Tensor base = test::randn({3, 4}, 3, DType::Float32);
  Tensor transposed = raw::transpose(base, 0, 1);
  REQUIRE_FALSE(transposed.is_contiguous());
  std::map<std::string, std::string> metadata = {{"epoch", "12"}, {"note", "héllo \"quoted\""}};

  save_safetensors(path,
                   {{"f32", f32},
                    {"f64", f64},
                    {"i64", i64},
                    {"scalar", scalar_f32},
                    {"empty", empty_f64},
                    {"bf16", bf16},
                    {"transposed", transposed}},
                   metadata);
  SafetensorsFile file = load_safetensors(path);

  CHECK(file.tensors.size() == 7);
  check_same(file.tensors.at("f32"), f32);
  check_same(file.tensors.at("f64"), f64);
  check_same(file.tensors.at("i64"), i64);
  CHECK(file.tensors.at("i64").to_vector()[2] == 1099511627776.0);
  check_same(file.tensors.at("scalar"), scalar_f32);
  check_same(file.tensors.at("empty"), empty_f64);
  check_same(file.tensors.at("bf16"), bf16);
  check_same(file.tensors.at("transposed"), transposed);  // written in row-major order
  CHECK(file.tensors.at("transposed").is_contiguous());
  CHECK(file.metadata == metadata);

  SUBCASE("no metadata") {
    save_safetensors(path, {{"f32", f32}});
    SafetensorsFile again = load_safetensors(path);
    CHECK(again.metadata.empty());
    check_same(again.tensors.at("f32"), f32);
  }
}

TEST_CASE("safetensors/layout") {
  // The bytes other readers (the Python package, Rust crate) expect: length, JSON, data, with the
  // header padded by spaces so the data starts 8-byte aligned.
  TempDir dir("safetensors_layout");
  std::string path = dir.file("t.safetensors");
  save_safetensors(
      path, {{"b", from_vector({1, 2}, {2}, DType::Float64)}, {"a", from_vector({3, 4, 5}, {3})}},
      {{"k", "v"}});
  std::string bytes = read_file(path);
  REQUIRE(bytes.size() >= 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<uint8_t>(bytes[i]);
  CHECK(header_size % 8 == 0);
  REQUIRE(bytes.size() == 8 + header_size + 3 * 4 + 2 * 8);

  auto header = nlohmann::json::parse(bytes.substr(8, header_size));
  CHECK(header["__metadata__"]["k"] == "v");
  CHECK(header["a"]["dtype"] == "F32");
  CHECK(header["a"]["shape"] == nlohmann::json::array({3}));
  CHECK(header["a"]["data_offsets"] == nlohmann::json::array({0, 12}));
  CHECK(header["b"]["dtype"] == "F64");
  CHECK(header["b"]["data_offsets"] == nlohmann::json::array({12, 28}));
  CHECK(bytes.substr(8 + header_size) == raw_bytes<float>({3, 4, 5}) + raw_bytes<double>({1, 2}));
}

TEST_CASE("safetensors/reads_file_from_other_writers") {
  // Written by hand as another writer might: unsorted keys, offsets out of name order, no padding.
  TempDir dir("safetensors_other_writers");
  std::string path = dir.file("t.safetensors");
  write_safetensors_bytes(path,
                          R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]},)"
                          R"("__metadata__":{"format":"pt"},)"
                          R"("idx":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})",
                          raw_bytes<int64_t>({7, -1}) + raw_bytes<float>({1.5f, -2, 0, 4}));
  SafetensorsFile file = load_safetensors(path);
  check_same(file.tensors.at("w"), from_vector({1.5, -2, 0, 4}, {2, 2}));
  check_same(file.tensors.at("idx"), from_vector({7, -1}, {2}, DType::Int64));
  CHECK(file.metadata.at("format") == "pt");
}

TEST_CASE("safetensors/atomic_overwrite") {
  TempDir dir("safetensors_atomic");
  std::string path = dir.file("model.safetensors");
  Tensor old_value = from_vector({1, 2, 3}, {3});
  save_safetensors(path, {{"x", old_value}});

  SUBCASE("a successful save replaces the file and leaves no temporary behind") {
    Tensor new_value = from_vector({4, 5}, {2}, DType::Float64);
    save_safetensors(path, {{"y", new_value}});
    SafetensorsFile file = load_safetensors(path);
    CHECK(file.tensors.count("x") == 0);
    check_same(file.tensors.at("y"), new_value);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
  }
  SUBCASE("a save that fails before writing keeps the old file") {
    CHECK_THROWS_WITH_AS(save_safetensors(path, {{"x", Tensor()}}),
                         doctest::Contains("save_safetensors: "), bcl::Error);
    check_same(load_safetensors(path).tensors.at("x"), old_value);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
  }
  SUBCASE("a save whose rename fails removes its temporary") {
    // rename() cannot replace a non-empty directory, so the save fails after writing the temporary.
    std::string blocked = dir.file("blocked");
    fs::create_directories(blocked + "/child");
    CHECK_THROWS_WITH_AS(save_safetensors(blocked, {{"x", old_value}}),
                         doctest::Contains("cannot rename"), bcl::Error);
    CHECK(fs::is_directory(blocked));
    CHECK(dir.listing() == std::vector<std::string>{"blocked", "model.safetensors"});
  }
}

TEST_CASE("safetensors/save_errors") {
  TempDir dir("safetensors_save_errors");
  std::string path = dir.file("t.safetensors");
  Tensor x = zeros({2});
  CHECK_THROWS_WITH_AS(save_safetensors(path, {{"__metadata__", x}}),
                       doctest::Contains("is reserved for metadata"), bcl::Error);
  CHECK_THROWS_WITH_AS(save_safetensors(path, {{"x", Tensor()}}),
                       doctest::Contains("tensor 'x' is undefined"), bcl::Error);
  CHECK_THROWS_WITH_AS(save_safetensors(dir.file("missing/dir/t.safetensors"), {{"x", x}}),
                       doctest::Contains("cannot create"), bcl::Error);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("safetensors/corrupt_files") {
  TempDir dir("safetensors_corrupt");
  std::string path = dir.file("bad.safetensors");
  const std::string f32x2 = raw_bytes<float>({1, 2});

  SUBCASE("missing file") {
    check_rejected(dir.file("absent.safetensors"), "cannot open");
  }
  SUBCASE("shorter than the length prefix") {
    write_file(path, "abc");
    check_rejected(path, "file is 3 bytes, too short");
  }
  SUBCASE("header length beyond the end of the file") {
    write_file(path, le64(1000) + "{}");
    check_rejected(path, "header length 1000 is larger than the 2 bytes");
  }
  SUBCASE("header length near 2^64") {
    write_file(path, le64(~uint64_t{0}) + "{}");
    check_rejected(path, "is larger than the 2 bytes");
  }
  SUBCASE("header is not JSON") {
    write_safetensors_bytes(path, R"({"a": {"dtype": "F32",)", f32x2);
    check_rejected(path, "header is not valid JSON");
  }
  SUBCASE("header is not an object") {
    write_safetensors_bytes(path, "[1, 2]", "");
    check_rejected(path, "header is not a JSON object");
  }
  SUBCASE("entry is not an object") {
    write_safetensors_bytes(path, R"({"a": 3})", "");
    check_rejected(path, "entry 'a' is not a JSON object");
  }
  SUBCASE("unsupported dtype") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})",
                            std::string(4, '\0'));
    check_rejected(path, "tensor 'a' has unsupported dtype \"F16\"");
  }
  SUBCASE("missing dtype") {
    write_safetensors_bytes(path, R"({"a":{"shape":[2],"data_offsets":[0,8]}})", f32x2);
    check_rejected(path, "tensor 'a' has no \"dtype\" string");
  }
  SUBCASE("negative size in the shape") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                            f32x2);
    check_rejected(path, "sizes are not all non-negative integers");
  }
  SUBCASE("shape too large for the file") {
    // 2^32 * 2^32 elements would wrap a 64-bit count to 0.
    write_safetensors_bytes(
        path, R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", "");
    check_rejected(path, "larger than the file's data");
  }
  SUBCASE("missing data_offsets") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F32","shape":[2]}})", f32x2);
    check_rejected(path, "tensor 'a' has no \"data_offsets\" pair");
  }
  SUBCASE("offsets beyond the data") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})",
                            f32x2);
    check_rejected(path, "data_offsets [0, 16] outside the data section of 8 bytes");
  }
  SUBCASE("offsets reversed") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})",
                            f32x2);
    check_rejected(path, "data_offsets [8, 0] outside the data section");
  }
  SUBCASE("offsets disagree with the shape") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})",
                            f32x2);
    check_rejected(path, "spanning 8 bytes, but shape [2] of F64 needs 16");
  }
  SUBCASE("overlapping tensors") {
    write_safetensors_bytes(path,
                            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            f32x2 + f32x2);
    check_rejected(path, "tensors 'a' and 'b' overlap");
  }
  SUBCASE("a hole between tensors") {
    write_safetensors_bytes(path,
                            R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                            f32x2 + f32x2);
    check_rejected(path, "bytes [4, 8) of the data section belong to no tensor");
  }
  SUBCASE("trailing bytes after the last tensor") {
    write_safetensors_bytes(path, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                            f32x2);
    check_rejected(path, "bytes [4, 8) at the end of the data section belong to no tensor");
  }
  SUBCASE("metadata that is not a string") {
    write_safetensors_bytes(path, R"({"__metadata__":{"epoch":12}})", "");
    check_rejected(path, "metadata value of 'epoch' is not a string");
  }
}
