#include "data/image_io.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "tensor/error.h"

// stb_image is compiled here and only here. Reading from memory (STBI_NO_STDIO) lets us report file
// errors ourselves; only the two formats image folders hold are built in.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
// stb_image_write too, for write_png (apps and tests write PNGs through it, never stb directly).
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace bcl::data {
namespace {

bool is_jpeg(const std::vector<uint8_t>& b) {
  return b.size() >= 2 && b[0] == 0xFF && b[1] == 0xD8;
}

// Offset of the last two-byte marker 0xFF `code`, or npos.
size_t last_marker(const std::vector<uint8_t>& b, uint8_t code) {
  for (size_t i = b.size(); i >= 2; --i) {
    if (b[i - 2] == 0xFF && b[i - 1] == code) return i - 2;
  }
  return std::string::npos;
}

// A JPEG's entropy-coded data never holds 0xFF followed by anything but 0x00 or a restart marker,
// so a complete file has its end-of-image marker (FF D9) after its last start-of-scan (FF DA).
bool jpeg_complete(const std::vector<uint8_t>& b) {
  const size_t sos = last_marker(b, 0xDA), eoi = last_marker(b, 0xD9);
  return sos != std::string::npos && eoi != std::string::npos && eoi > sos;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  BCL_CHECK(in.is_open(), path, ": cannot open for reading: ", std::strerror(errno));
  const std::streamoff size = in.tellg();
  BCL_CHECK(size >= 0, path, ": cannot tell the file's size");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  BCL_CHECK(in.good() || size == 0, path, ": read error");
  return bytes;
}

Image decode_image(const std::vector<uint8_t>& bytes, const std::string& name) {
  BCL_CHECK(!bytes.empty(), name, ": empty image file");
  BCL_CHECK(bytes.size() <= static_cast<size_t>(std::numeric_limits<int>::max()), name,
            ": image file too large (", bytes.size(), " bytes)");
  BCL_CHECK(!is_jpeg(bytes) || jpeg_complete(bytes), name,
            ": corrupt or truncated JPEG (no end-of-image marker after the image data)");
  int w = 0, h = 0, channels_in_file = 0;
  uint8_t* rgb = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h,
                                       &channels_in_file, Image::kChannels);
  BCL_CHECK(rgb != nullptr, name, ": cannot decode image (", stbi_failure_reason(),
            "); JPEG and PNG are supported");
  Image img;
  img.height = h;
  img.width = w;
  img.pixels.assign(rgb, rgb + static_cast<size_t>(h) * w * Image::kChannels);
  stbi_image_free(rgb);
  return img;
}

Image decode_image_file(const std::string& path) {
  return decode_image(read_file_bytes(path), path);
}

void write_png(const Image& img, const std::string& path) {
  BCL_CHECK(img.height > 0 && img.width > 0 &&
                img.pixels.size() == static_cast<size_t>(img.height * img.width * 3),
            "write_png: ", path, ": image ", img.height, "x", img.width, " holds ",
            img.pixels.size(), " bytes, not height * width * 3");
  const int w = static_cast<int>(img.width), h = static_cast<int>(img.height);
  BCL_CHECK(stbi_write_png(path.c_str(), w, h, 3, img.pixels.data(), w * 3) != 0,
            "write_png: cannot write ", path);
}

bool is_image_file_name(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;  // no extension, or a hidden file
  std::string ext = name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == "jpg" || ext == "jpeg" || ext == "png";
}

}  // namespace bcl::data
