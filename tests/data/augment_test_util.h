// What the augmentation tests share (tests/data/test_augment_*.cpp, test_cuda_augment_*.cpp and
// test_gpu_*.cpp): the images they run on, the index tensors that pick them, the normalisations
// they apply, fixed RandAugment steps, and a binomial frequency check.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/augment_batch.h"
#include "data/dataset.h"
#include "tests/test_util.h"

namespace bcl::test {

// The batch sizes the CUDA augmentation tests sweep: one image, a partial block, more than a
// block, many blocks.
inline constexpr int64_t kAugmentBatchSizes[] = {1, 7, 257, 1000};

// Uniform random bytes over the whole range (the top byte of each draw).
inline data::Image noise_image(int64_t h, int64_t w, uint64_t seed) {
  data::Image img(h, w);
  Generator gen(seed);
  for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(gen.next_u32() >> 24);
  return img;
}

// Uniform random values in [1, 255]: no zeros, so Cutout's holes are visible.
inline data::Image nonzero_noise_image(int64_t h, int64_t w, uint64_t seed) {
  data::Image img(h, w);
  Generator gen(seed);
  for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(1 + gen.next_u32() % 255);
  return img;
}

// Noise, a smooth narrow-range ramp, a flat image and a two-valued one, all s x s: the histogram
// ops meet a stretched range, single values per channel and two values; the enhance ops
// saturate; the warps interpolate a gradient.
inline std::vector<data::Image> op_images(int64_t s) {
  std::vector<data::Image> images{noise_image(s, s, 1), noise_image(s, s, 2)};
  data::Image ramp(s, s), flat(s, s), two(s, s);
  for (int64_t y = 0; y < s; ++y) {
    for (int64_t x = 0; x < s; ++x) {
      for (int64_t c = 0; c < 3; ++c) {
        ramp.at(y, x, c) = static_cast<uint8_t>(60 + (c + 1) * (x + 2 * y) % 90);
        flat.at(y, x, c) = static_cast<uint8_t>(100 + 50 * c);
        two.at(y, x, c) = (x + y + c) % 3 == 0 ? 255 : 3;
      }
    }
  }
  images.push_back(ramp);
  images.push_back(flat);
  images.push_back(two);
  return images;
}

// Smooth ramps over part of the byte range (kind picks slopes and offsets): the histogram ops
// stretch a narrow range, the warps interpolate between close values, and solarize and posterize
// cut through a gradient, which noise images do not show.
inline data::Image gradient_image(int64_t h, int64_t w, int kind) {
  data::Image img(h, w);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      img.at(y, x, 0) = static_cast<uint8_t>(40 + (kind * 13 + 3 * x + y) % 120);
      img.at(y, x, 1) = static_cast<uint8_t>(90 + (2 * y + kind * x) % 70);
      img.at(y, x, 2) = static_cast<uint8_t>(kind % 2 ? 200 - 2 * (x + y) % 150 : 17 + x * y % 31);
    }
  }
  return img;
}

// 8 noise images (seeds noise_seed..+7), 8 gradients and a flat image, which autocontrast and
// equalize leave as it is: the dataset the loader comparisons cycle through.
inline std::vector<data::Image> loader_test_images(int64_t h, int64_t w, uint64_t noise_seed) {
  std::vector<data::Image> images;
  for (uint64_t k = 0; k < 8; ++k) images.push_back(noise_image(h, w, noise_seed + k));
  for (int k = 0; k < 8; ++k) images.push_back(gradient_image(h, w, k));
  data::Image flat(h, w);
  for (int64_t i = 0; i < h * w; ++i) {
    flat.pixels[static_cast<size_t>(3 * i)] = 77;
    flat.pixels[static_cast<size_t>(3 * i + 1)] = 128;
    flat.pixels[static_cast<size_t>(3 * i + 2)] = 250;
  }
  images.push_back(flat);
  return images;
}

// count images of h x w x 3 bytes on `device`, noise from `seed` but for the first two: a smooth
// narrow-range ramp (histogram stretching, interpolated gradients) and a flat image (single-valued
// channels).
inline augment::PackedImages ramp_flat_noise_images(int64_t count, int64_t h, int64_t w,
                                                    Device device, uint64_t seed) {
  std::vector<uint8_t> bytes(static_cast<size_t>(count * h * w * 3));
  Generator gen(seed);
  for (uint8_t& v : bytes) v = static_cast<uint8_t>(gen.next_u32() >> 24);
  const auto per = static_cast<size_t>(h * w * 3);
  for (size_t i = 0; i < per; ++i) {
    bytes[i] = static_cast<uint8_t>(70 + (i / 3 % static_cast<size_t>(w) + i / 3 / w) % 60);
    if (count > 1) bytes[per + i] = static_cast<uint8_t>(100 + i % 3);
  }
  return augment::pack_images(bytes.data(), count, h, w, device);
}

// Images of one size, packed on the CPU.
inline augment::PackedImages pack(const std::vector<data::Image>& images) {
  std::vector<uint8_t> bytes;
  for (const data::Image& img : images)
    bytes.insert(bytes.end(), img.pixels.begin(), img.pixels.end());
  return augment::pack_images(bytes.data(), static_cast<int64_t>(images.size()), images[0].height,
                              images[0].width, Device::CPU);
}

inline Tensor index_tensor(const std::vector<int64_t>& indices) {
  Tensor t = empty({static_cast<int64_t>(indices.size())}, DType::Int64);
  std::copy(indices.begin(), indices.end(), t.data<int64_t>());
  return t;
}

inline std::vector<int64_t> iota_indices(int64_t n, int64_t first = 0) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = first + i;
  return v;
}

// n indices into a dataset of `count` images that repeat, skip and reach its last image; offset
// moves them beyond 2^32 for the draws, which only hash them.
inline Tensor indices_for(int64_t n, int64_t count, int64_t offset = 0) {
  Tensor t = empty({n}, DType::Int64);
  for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = offset + (i * 5 + n) % count;
  return t;
}

// Scale 1, shift 0: a view's floats are then its bytes exactly.
inline augment::ChannelNorm bytes_as_floats() {
  augment::ChannelNorm n;
  for (int c = 0; c < 3; ++c) {
    n.scale[c] = 1;
    n.shift[c] = 0;
  }
  return n;
}

inline augment::ChannelNorm cifar_norm() {
  const float mean[3] = {0.4914f, 0.4822f, 0.4465f}, std[3] = {0.2023f, 0.1994f, 0.2010f};
  return augment::channel_norm(mean, std);
}

// The image's bytes in the ops' CHW float layout.
inline std::vector<double> chw(const data::Image& img) {
  const int64_t plane = img.height * img.width;
  std::vector<double> v(static_cast<size_t>(3 * plane));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t q = 0; q < plane; ++q)
      v[static_cast<size_t>(c * plane + q)] = img.pixels[static_cast<size_t>(q * 3 + c)];
  return v;
}

// A RandAugment slot that runs op at `magnitude` with the sign and resampling given, its argument
// and warp as a draw on a size x size view makes them: fixed params.
inline augment::RandStep fixed_rand_step(int32_t op, double magnitude, int32_t sign,
                                         int32_t resample, int32_t size) {
  augment::RandStep s;
  s.op = op;
  s.applied = 1;
  s.magnitude = magnitude;
  s.argument = augment::rand_argument(op, magnitude);
  if (augment::rand_op_is_signed(op) && sign < 0) s.argument = -s.argument;
  s.resample = resample;
  augment::set_rand_warp(s, size, size);
  return s;
}

// |count - n p| <= 5 sqrt(n p (1 - p)).
inline void check_binomial(int64_t count, int64_t n, double p) {
  const double sd = std::sqrt(n * p * (1 - p));
  INFO("count ", count, " of ", n, ", expected ", n * p, " +- ", 5 * sd);
  CHECK(std::fabs(static_cast<double>(count) - n * p) <= 5 * sd);
}

}  // namespace bcl::test
