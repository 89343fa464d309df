#include "tensor/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "tensor/ops.h"

// Tensors are copied to and from the file byte for byte, which is only right on a little-endian
// host (every platform bcl targets).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors.cpp assumes little endian");

namespace bcl {
namespace {

using json = nlohmann::json;

constexpr const char* kMetadataKey = "__metadata__";

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      return "I64";
    case DType::BFloat16:
      return "BF16";
  }
  return "?";
}

bool parse_dtype(const std::string& code, DType* out) {
  for (DType t : {DType::Float32, DType::Float64, DType::Int64, DType::BFloat16}) {
    if (code == safetensors_dtype(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

std::string system_error() {
  return std::strerror(errno);
}

// ---- Loading --------------------------------------------------------------------------------

// Every check names the file, so a failure deep inside a checkpoint load says which file is bad.
#define LOAD_CHECK(cond, ...) BCL_CHECK(cond, "load_safetensors: ", path, ": ", __VA_ARGS__)

// One tensor's header entry, validated against the size of the data section.
struct Entry {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // bytes within the data section
};

Entry parse_entry(const std::string& path, const std::string& name, const json& value,
                  uint64_t data_size) {
  Entry e;
  e.name = name;
  LOAD_CHECK(value.is_object(), "entry '", name, "' is not a JSON object");

  auto dtype = value.find("dtype");
  LOAD_CHECK(dtype != value.end() && dtype->is_string(), "tensor '", name,
             "' has no \"dtype\" string");
  LOAD_CHECK(parse_dtype(dtype->get<std::string>(), &e.dtype), "tensor '", name,
             "' has unsupported dtype \"", dtype->get<std::string>(),
             "\" (bcl reads F32, F64 and I64)");

  // numel is computed with an overflow check: a hostile shape must not wrap around to a small size.
  auto shape = value.find("shape");
  LOAD_CHECK(shape != value.end() && shape->is_array(), "tensor '", name,
             "' has no \"shape\" array");
  uint64_t numel = 1;
  for (const json& d : *shape) {
    LOAD_CHECK(d.is_number_unsigned(), "tensor '", name, "' has shape ", shape->dump(),
               ", whose sizes are not all non-negative integers");
    uint64_t size = d.get<uint64_t>();
    LOAD_CHECK(size <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
                   (size == 0 || numel <= data_size / size),
               "tensor '", name, "' has shape ", shape->dump(), ", larger than the file's data");
    numel *= size;
    e.shape.push_back(static_cast<int64_t>(size));
  }

  auto offsets = value.find("data_offsets");
  LOAD_CHECK(offsets != value.end() && offsets->is_array() && offsets->size() == 2 &&
                 (*offsets)[0].is_number_unsigned() && (*offsets)[1].is_number_unsigned(),
             "tensor '", name, "' has no \"data_offsets\" pair of non-negative integers");
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  LOAD_CHECK(e.begin <= e.end && e.end <= data_size, "tensor '", name, "' has data_offsets [",
             e.begin, ", ", e.end, "] outside the data section of ", data_size, " bytes");
  // numel <= data_size, so this product cannot overflow.
  uint64_t expected = numel * dtype_size(e.dtype);
  LOAD_CHECK(e.end - e.begin == expected, "tensor '", name, "' has data_offsets [", e.begin, ", ",
             e.end, "] spanning ", e.end - e.begin, " bytes, but shape ", shape_str(e.shape),
             " of ", safetensors_dtype(e.dtype), " needs ", expected);
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& value) {
  LOAD_CHECK(value.is_object(), "\"", kMetadataKey, "\" is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, v] : value.items()) {
    LOAD_CHECK(v.is_string(), "metadata value of '", key, "' is not a string");
    metadata[key] = v.get<std::string>();
  }
  return metadata;
}

// As the format requires, the tensors must tile the data section exactly: sorted by offset, each
// starts where the previous one ended, and the last ends at the end of the file.
void check_tiling(const std::string& path, std::vector<Entry> entries, uint64_t data_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    LOAD_CHECK(e.begin >= covered, "tensors '", previous ? previous->name : "", "' and '", e.name,
               "' overlap (bytes [", e.begin, ", ", e.end, ") start before byte ", covered, ")");
    LOAD_CHECK(e.begin == covered, "bytes [", covered, ", ", e.begin,
               ") of the data section belong to no tensor");
    covered = e.end;
    previous = &e;
  }
  LOAD_CHECK(covered == data_size, "bytes [", covered, ", ", data_size,
             ") at the end of the data section belong to no tensor");
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  LOAD_CHECK(in.is_open(), "cannot open for reading: ", system_error());
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  LOAD_CHECK(file_size >= 8, "file is ", file_size,
             " bytes, too short to hold the 8-byte header length");

  unsigned char prefix[8];
  in.seekg(0);
  in.read(reinterpret_cast<char*>(prefix), 8);
  LOAD_CHECK(in.good(), "cannot read the header length");
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | prefix[i];
  LOAD_CHECK(header_size <= file_size - 8, "header length ", header_size, " is larger than the ",
             file_size - 8, " bytes that follow it");
  const uint64_t data_size = file_size - 8 - header_size;

  std::string header_text(header_size, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_size));
  LOAD_CHECK(in.good(), "cannot read the ", header_size, "-byte header");
  json header;
  try {
    header = json::parse(header_text);
  } catch (const json::parse_error& e) {
    LOAD_CHECK(false, "header is not valid JSON (", e.what(), ")");
  }
  LOAD_CHECK(header.is_object(), "header is not a JSON object");

  SafetensorsFile file;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      file.metadata = parse_metadata(path, value);
    } else {
      entries.push_back(parse_entry(path, key, value, data_size));
    }
  }
  check_tiling(path, entries, data_size);

  // Only now that every offset is known to be in range are the bytes read.
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (e.end > e.begin) {
      in.seekg(static_cast<std::streamoff>(8 + header_size + e.begin));
      in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(e.end - e.begin));
      LOAD_CHECK(in.good(), "cannot read the data of tensor '", e.name, "'");
    }
    file.tensors.emplace(e.name, t);
  }
  return file;
}

#undef LOAD_CHECK

// ---- Saving ---------------------------------------------------------------------------------

namespace {

#define SAVE_CHECK(cond, ...) BCL_CHECK(cond, "save_safetensors: ", path, ": ", __VA_ARGS__)

// The temporary file a save writes into. It is removed unless commit() renames it into place, so a
// failed save leaves neither a partial file nor a stray temporary behind.
class TempFile {
 public:
  explicit TempFile(const std::string& path)
      : path_(path), tmp_(path + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    SAVE_CHECK(fd_ >= 0, "cannot create ", tmp_, ": ", system_error());
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const void* bytes, size_t n) {
    const std::string& path = path_;
    const char* p = static_cast<const char*>(bytes);
    while (n > 0) {
      ssize_t written = ::write(fd_, p, n);
      if (written < 0 && errno == EINTR) continue;
      SAVE_CHECK(written > 0, "cannot write ", tmp_, ": ", system_error());
      p += written;
      n -= static_cast<size_t>(written);
    }
  }

  // fsync before rename: otherwise a crash could leave the new name pointing at unwritten blocks.
  // The directory is synced too, so that the rename itself survives a crash.
  void commit() {
    const std::string& path = path_;
    SAVE_CHECK(::fsync(fd_) == 0, "cannot flush ", tmp_, " to disk: ", system_error());
    int rc = ::close(fd_);
    fd_ = -1;
    SAVE_CHECK(rc == 0, "cannot close ", tmp_, ": ", system_error());
    SAVE_CHECK(std::rename(tmp_.c_str(), path_.c_str()) == 0, "cannot rename ", tmp_,
               " to it: ", system_error());
    committed_ = true;
    std::string dir = std::filesystem::path(path_).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
  }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Lay the tensors out back to back, in name order, and describe them in the header.
  json header = json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::vector<Tensor> blobs;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SAVE_CHECK(name != kMetadataKey, "the name \"", kMetadataKey, "\" is reserved for metadata");
    SAVE_CHECK(t.defined(), "tensor '", name, "' is undefined");
    SAVE_CHECK(t.device() == Device::CPU, "tensor '", name, "' is on ", device_name(t.device()),
               "; move it to the CPU first");
    Tensor c = raw::contiguous(t);
    uint64_t nbytes = static_cast<uint64_t>(c.numel()) * dtype_size(c.dtype());
    header[name] = {{"dtype", safetensors_dtype(c.dtype())},
                    {"shape", c.shape()},
                    {"data_offsets", json::array({offset, offset + nbytes})}};
    offset += nbytes;
    blobs.push_back(c);
  }
  // Spaces pad the header so the data section starts 8-byte aligned, as other writers do.
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  unsigned char prefix[8];
  uint64_t n = header_text.size();
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(n >> (8 * i));

  TempFile file(path);
  file.write(prefix, 8);
  file.write(header_text.data(), header_text.size());
  for (const Tensor& c : blobs) {
    if (c.numel() > 0)
      file.write(c.raw_data(), static_cast<size_t>(c.numel()) * dtype_size(c.dtype()));
  }
  file.commit();
}

#undef SAVE_CHECK

}  // namespace bcl
