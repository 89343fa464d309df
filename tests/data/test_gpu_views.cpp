// data::GpuViews: BCL's three views made by the batched augmentation ops. On the CPU they must be
// the DataLoader's views (bcl_train_transform("crop-flip", "sim-sim") on augment_generator's
// streams); on a GPU, the CPU's.
//
// Float comparisons with the loader's views use atol 1e-6: a byte step moves a normalised value by
// >= 0.014, while the two normalisations may differ by an ulp (see test_augment_batch.cpp).
#include <chrono>
#include <set>

#include "data/augment.h"
#include "data/augment_batch.h"
#include "data/gpu_views.h"
#include "tests/tensor/cuda_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;

namespace {

Dataset noise_dataset(int64_t n, int64_t h = 32, int64_t w = 32) {
  Dataset ds;
  ds.class_names = {"a", "b", "c"};
  Generator gen(99);
  for (int64_t i = 0; i < n; ++i) {
    Image img(h, w);
    for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(gen.next_u32() & 0xFF);
    ds.images.push_back(std::move(img));
    ds.labels.push_back(i % 3);
  }
  return ds;
}

// Sample i's view v as the DataLoader makes it.
Tensor loader_view(const Dataset& ds, const MultiViewTransform& t, const std::vector<int64_t>& idx,
                   int64_t epoch, uint64_t seed, int v) {
  const auto n = static_cast<int64_t>(idx.size());
  Tensor out = empty({n, 3, 32, 32});
  const Pipeline& pipeline = t.views[static_cast<size_t>(v)];
  for (int64_t i = 0; i < n; ++i) {
    Generator gen = augment_generator(seed, epoch, idx[static_cast<size_t>(i)], v);
    const Image img =
        pipeline.augment(ds.images[static_cast<size_t>(idx[static_cast<size_t>(i)])], gen);
    pipeline.normalize(img, out.data<float>() + i * 3 * 32 * 32);
  }
  return out;
}

bool equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector() == b.to_vector();
}

// The fraction of the n images whose views differ somewhere.
double fraction_differing(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  const int64_t n = a.size(0), per = a.numel() / n;
  int64_t differing = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool same = true;
    for (int64_t j = 0; j < per && same; ++j) same = va[i * per + j] == vb[i * per + j];
    differing += !same;
  }
  return static_cast<double>(differing) / static_cast<double>(n);
}

}  // namespace

TEST_CASE("gpu_views/three float32 views of the batch, and the labels") {
  const Dataset ds = noise_dataset(20);
  const GpuViews views(ds, Device::CPU, kCifar10Normalization);
  CHECK(views.num_samples() == 20);
  CHECK(views.labels().to_vector() == std::vector<double>(ds.labels.begin(), ds.labels.end()));
  const std::vector<Tensor> v = views.make({3, 19, 0, 3, 7}, 0, 1);
  REQUIRE(v.size() == 3);
  for (const Tensor& t : v) {
    CHECK(t.shape() == Shape{5, 3, 32, 32});
    CHECK(t.dtype() == DType::Float32);
    CHECK(t.device() == Device::CPU);
  }
  CHECK(views.make(std::vector<int64_t>{}, 0, 1)[2].shape() == Shape{0, 3, 32, 32});
}

TEST_CASE("gpu_views/equal the DataLoader's views") {
  const Dataset ds = noise_dataset(40);
  const Normalization& norm = kCifar10Normalization;
  const GpuViews views(ds, Device::CPU, norm);
  const MultiViewTransform t =
      bcl_train_transform("crop-flip", "sim-sim", norm, 32, mean_fill_colour(norm));
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < 64; ++i) idx.push_back(i * 17 % 40);
  for (int64_t epoch : {0, 5}) {
    for (uint64_t seed : {uint64_t{0}, uint64_t{123456789}}) {
      CAPTURE(epoch);
      CAPTURE(seed);
      const std::vector<Tensor> v = views.make(idx, epoch, seed);
      for (int k = 0; k < 3; ++k) {
        CAPTURE(k);
        CHECK_ALLCLOSE(v[static_cast<size_t>(k)], loader_view(ds, t, idx, epoch, seed, k), 1e-6, 0);
      }
    }
  }
}

TEST_CASE("gpu_views/a pure function of (seed, epoch, index, view)") {
  const Dataset ds = noise_dataset(30);
  const GpuViews views(ds, Device::CPU, kCifar10Normalization);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < 30; ++i) idx.push_back(i);
  const std::vector<Tensor> a = views.make(idx, 2, 7), b = views.make(idx, 2, 7);
  for (int k = 0; k < 3; ++k) CHECK(equal(a[static_cast<size_t>(k)], b[static_cast<size_t>(k)]));
  // A sample's views do not depend on its batch or its position in it.
  const std::vector<Tensor> single = views.make({12}, 2, 7);
  for (int k = 0; k < 3; ++k)
    CHECK(equal(single[static_cast<size_t>(k)], raw::narrow(a[static_cast<size_t>(k)], 0, 12, 1)));
  // Another epoch or seed draws again: nearly every sample changes (a crop-flip repeats with
  // probability 1/162, a sim view practically never).
  const std::vector<Tensor> next_epoch = views.make(idx, 3, 7), other_seed = views.make(idx, 2, 8);
  for (int k = 0; k < 3; ++k) {
    CAPTURE(k);
    CHECK(fraction_differing(a[static_cast<size_t>(k)], next_epoch[static_cast<size_t>(k)]) > 0.9);
    CHECK(fraction_differing(a[static_cast<size_t>(k)], other_seed[static_cast<size_t>(k)]) > 0.9);
  }
}

TEST_CASE("gpu_views/view 0 is a crop-flip of the image, views 1 and 2 two different sim views") {
  const Dataset ds = noise_dataset(25);
  const Normalization& norm = kCifar10Normalization;
  const GpuViews views(ds, Device::CPU, norm);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < 25; ++i) idx.push_back(i);
  const std::vector<Tensor> v = views.make(idx, 1, 3);
  const augment::ChannelNorm cn = views.channel_norm();
  auto value = [&](int c, uint8_t byte) { return augment::normalize_value(byte, cn, c); };
  int64_t ce_new_values = 0, sim_new_values = 0, ce_zero = 0;
  const std::vector<double> ce = v[0].to_vector(), sim = v[1].to_vector();
  for (int64_t i = 0; i < 25; ++i) {
    // The values each channel of the image holds, and 0 (the padding).
    std::set<float> held[3];
    for (size_t p = 0; p < ds.images[static_cast<size_t>(i)].pixels.size(); ++p) {
      const int c = static_cast<int>(p % 3);
      held[c].insert(value(c, ds.images[static_cast<size_t>(i)].pixels[p]));
    }
    for (int c = 0; c < 3; ++c) {
      for (int64_t q = 0; q < 1024; ++q) {
        const auto e = static_cast<size_t>((i * 3 + c) * 1024 + q);
        const auto x = static_cast<float>(ce[e]);
        ce_zero += x == value(c, 0);
        ce_new_values += x != value(c, 0) && held[c].count(x) == 0;
        sim_new_values += held[c].count(static_cast<float>(sim[e])) == 0;
      }
    }
  }
  // A crop-flip only moves pixels and pads with 0 (a crop has no padding only when both offsets
  // are 0: probability 1/81 per image).
  CHECK(ce_new_values == 0);
  CHECK(ce_zero > 0);
  // Resampling and colour jitter make values the image does not hold.
  CHECK(sim_new_values > 0);
  CHECK(fraction_differing(v[1], v[2]) == 1.0);
  CHECK(fraction_differing(v[0], v[1]) == 1.0);
}

TEST_CASE("gpu_views/bad datasets and indices throw") {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no bcl::Error was thrown)");
  };
  Dataset mixed = noise_dataset(3);
  mixed.images[2] = Image(32, 30);
  CHECK(message([&] {
          GpuViews(mixed, Device::CPU, kCifar10Normalization);
        }).find("image 2 is 32x30") != std::string::npos);
  CHECK(message([&] {
          GpuViews(noise_dataset(2, 20, 20), Device::CPU, kCifar10Normalization);
        }).find("smaller than the 32x32 crop") != std::string::npos);
  const GpuViews views(noise_dataset(4), Device::CPU, kCifar10Normalization);
  CHECK(message([&] {
          views.make({1, 4}, 0, 0);
        }).find("indices[1] = 4 is out of range [0, 4)") != std::string::npos);
}

TEST_CASE("cuda/gpu_views_match_cpu") {
  if (bcl::test::skip_without_gpu()) return;
  const Dataset ds = noise_dataset(300);
  const GpuViews cpu(ds, Device::CPU, kCifar10Normalization);
  const GpuViews gpu(ds, Device::CUDA, kCifar10Normalization);
  CHECK(gpu.labels().device() == Device::CUDA);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < 257; ++i) idx.push_back(i * 7 % 300);
  for (int64_t epoch : {0, 9}) {
    const std::vector<Tensor> c = cpu.make(idx, epoch, 2024), g = gpu.make(idx, epoch, 2024);
    for (int k = 0; k < 3; ++k) {
      CHECK(g[static_cast<size_t>(k)].device() == Device::CUDA);
      // Exact: the same draws and the same per-pixel arithmetic (augment_draws.h,
      // augment_pixels.h).
      bcl::test::check_cuda_matches("gpu_views", g[static_cast<size_t>(k)],
                                    c[static_cast<size_t>(k)], 0, 0);
    }
  }
}

TEST_CASE("cuda/gpu_views_throughput") {
  if (bcl::test::skip_without_gpu()) return;
  // Not a check: images per second (3 views each) for the device report.
  const Dataset ds = noise_dataset(2048);
  const GpuViews gpu(ds, Device::CUDA, kCifar10Normalization);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < 512; ++i) idx.push_back(i * 3 % 2048);
  const Tensor indices = bcl::test::to_cuda(
      from_vector(std::vector<double>(idx.begin(), idx.end()), {512}, DType::Int64));
  gpu.make(indices, 0, 1);
  cuda_synchronize();
  const int reps = 50;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) gpu.make(indices, r, 1);
  cuda_synchronize();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("GpuViews on CUDA: ", 512.0 * reps / s, " images/s (3 views each, batch 512)");
  CHECK(s > 0);
}
