// Decoding JPEG and PNG files into RGB images, and writing PNGs (stb_image and stb_image_write,
// from Debian's libstb-dev; both implementations are compiled into image_io.cpp, so nothing extra
// is linked).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace bcl::data {

// The whole file as bytes; throws bcl::Error naming the file when it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Decodes JPEG or PNG bytes to RGB (grey and alpha are converted). `name` (the file) goes into
// every error: undecodable data, and JPEG data that stops before its end-of-image marker, which stb
// would otherwise decode silently with the missing rows grey.
Image decode_image(const std::vector<uint8_t>& bytes, const std::string& name);
Image decode_image_file(const std::string& path);

// Writes img as an 8-bit RGB PNG (lossless: decode_image_file reads the same pixels back); throws
// bcl::Error naming the file when it cannot be written. PNG only: stb_image_write's JPEG encoder
// shifts negative ints, which `make SANITIZE=1` aborts on (JPEG tests use fixture files instead).
void write_png(const Image& img, const std::string& path);

// True for the file names image folders are made of: .jpg, .jpeg and .png, in any case.
bool is_image_file_name(const std::string& name);

}  // namespace bcl::data
