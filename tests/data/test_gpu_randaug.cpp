// The batched RandAugment views against the DataLoader's, on thousands of samples:
//   augment::rand_view_params + augment::augment_rand_view   vs data::rand_pipeline(norm, size,
//   fill) augment::randaug_params + augment::augment_randaug       vs data::ce_pipeline("randaug",
//   ...)
// each applied with augment_generator(seed, epoch, index, view), so that every one of the 15 ops
// occurs, the signed ones with both signs, the geometric ones with both resamplings, and
// magnitudes both clipped at 10 and below it (asserted).
//
// The bytes are compared bit for bit: with the normalisation scale 1 and shift 0 the op's floats
// are its bytes exactly. The normalised views are then compared with Pipeline::normalize at atol
// 1e-6 (see tests/data/test_gpu_autoaug.cpp), while a byte step moves a value by >= 0.014.
#include <array>
#include <set>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/augment_batch.h"
#include "data/auto_augment.h"
#include "tests/data/augment_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::test;
using namespace bcl::data;

namespace {

struct Coverage {
  std::set<int> ops, flips;
  std::set<std::pair<int, int>> signs, resamples;  // (op, sign), (op, resample)
  int64_t clipped = 0, unclipped = 0, skipped = 0, jitter = 0, gray = 0, padded = 0;
};

void cover(const augment::RandStep (&steps)[augment::kMaxRandOps], Coverage& cov) {
  for (const augment::RandStep& s : steps) {
    if (!s.applied) {
      ++cov.skipped;
      continue;
    }
    cov.ops.insert(s.op);
    cov.signs.insert({s.op, s.argument < 0 ? -1 : 1});
    cov.resamples.insert({s.op, s.resample});
    ++(s.magnitude == 10 ? cov.clipped : cov.unclipped);
  }
}

// The batched view of n samples (the dataset's images repeated, so that every sample has its own
// index and draw) against the pipeline's, sample by sample. `rand_view` picks the "rand" view
// (drawn as view 1) or the "randaug" CE view (view 0).
void check_against_loader(bool rand_view, int64_t h, int64_t w, int32_t size, uint64_t seed,
                          int64_t epoch, int64_t n, Coverage& cov) {
  const std::vector<Image> base = loader_test_images(h, w, 700);
  std::vector<Image> images;
  for (int64_t j = 0; j < n; ++j) images.push_back(base[static_cast<size_t>(j) % base.size()]);
  const augment::PackedImages packed = pack(images);
  const Normalization& norm = kCifar100Normalization;
  const std::array<uint8_t, 3> fill = mean_fill_colour(norm);
  const int32_t view = rand_view ? 1 : 0;
  const Pipeline pipeline =
      rand_view ? rand_pipeline(norm, size, fill) : ce_pipeline("randaug", norm, size, fill);
  std::vector<int64_t> idx;  // a permutation of [0, n)
  for (int64_t i = 0; i < n; ++i) idx.push_back((i * 13 + 5) % n);
  const Tensor indices = index_tensor(idx);
  const augment::SampleKey key{seed, epoch, view};
  const augment::ChannelNorm cn = augment::channel_norm(norm.mean.data(), norm.std.data());
  Tensor bytes_t, normalized;
  std::vector<augment::RandViewParams> view_ps;
  std::vector<augment::RandAugParams> ce_ps;
  if (rand_view) {
    const augment::RandViewConfig cfg = augment::rand_view_config(size, fill.data());
    const Tensor params = augment::rand_view_params(indices, key, cfg, h, w);
    bytes_t = augment::augment_rand_view(packed, indices, params, cfg, bytes_as_floats());
    normalized = augment::augment_rand_view(packed, indices, params, cfg, cn);
    view_ps = augment::params_to_host<augment::RandViewParams>(params);
  } else {
    const augment::RandAugConfig cfg = augment::randaug_config(size, fill.data());
    const Tensor params = augment::randaug_params(indices, key, cfg, h, w);
    bytes_t = augment::augment_randaug(packed, indices, params, cfg, bytes_as_floats());
    normalized = augment::augment_randaug(packed, indices, params, cfg, cn);
    ce_ps = augment::params_to_host<augment::RandAugParams>(params);
  }
  const std::vector<double> bytes = bytes_t.to_vector();
  Tensor expected = empty({n, 3, size, size});
  const int64_t plane = int64_t{size} * size;
  int64_t mismatched = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto ii = static_cast<size_t>(i);
    Generator gen = augment_generator(seed, epoch, idx[ii], view);
    const Image v = pipeline.augment(images[static_cast<size_t>(idx[ii])], gen);
    pipeline.normalize(v, expected.data<float>() + i * 3 * plane);
    bool same = true;
    for (int64_t c = 0; c < 3 && same; ++c)
      for (int64_t q = 0; q < plane && same; ++q)
        same = bytes[static_cast<size_t>((i * 3 + c) * plane + q)] ==
               v.pixels[static_cast<size_t>(q * 3 + c)];
    const augment::RandStep(&steps)[augment::kMaxRandOps] =
        rand_view ? view_ps[ii].step : ce_ps[ii].step;
    if (!same && mismatched++ < 5) {
      INFO("sample ", i, " (index ", idx[ii], "): steps (", steps[0].op, ", runs ",
           steps[0].applied, ", argument ", steps[0].argument, ", resample ", steps[0].resample,
           ") (", steps[1].op, ", runs ", steps[1].applied, ", argument ", steps[1].argument,
           ", resample ", steps[1].resample, ")");
      CHECK(same);
    }
    cover(steps, cov);
    if (rand_view) {
      cov.flips.insert(view_ps[ii].sim.flip);
      cov.jitter += view_ps[ii].sim.jitter;
      cov.gray += view_ps[ii].sim.gray;
    } else {
      const augment::RandAugParams& p = ce_ps[ii];
      cov.flips.insert(p.flip);
      cov.padded += p.top < 0 || p.left < 0 || p.top + size > h || p.left + size > w;
    }
  }
  CHECK(mismatched == 0);
  CHECK_ALLCLOSE(normalized, expected, 1e-6, 0);
}

void check_coverage(const Coverage& cov) {
  CHECK(cov.ops.size() == 15);
  CHECK(cov.flips.size() == 2);
  for (int32_t op = 0; op < augment::kNumRandOps; ++op) {
    CAPTURE(op);
    if (augment::rand_op_is_signed(op)) {
      CHECK(cov.signs.count({op, -1}) == 1);
      CHECK(cov.signs.count({op, 1}) == 1);
      CHECK(cov.resamples.count({op, augment::kRandBilinear}) == 1);
      CHECK(cov.resamples.count({op, augment::kRandBicubic}) == 1);
    }
  }
  CHECK(cov.clipped > 100);
  CHECK(cov.unclipped > 100);
  CHECK(cov.skipped > 100);
}

}  // namespace

TEST_CASE("gpu_randaug/the batched rand view is rand_pipeline's, bit for bit") {
  Coverage cov;
  check_against_loader(true, 32, 32, 32, 2025, 0, 1500, cov);
  check_against_loader(true, 32, 32, 32, 0xFEDCBA9876543210ull, 5, 900, cov);
  check_coverage(cov);
  CHECK(cov.jitter > 1000);
  CHECK(cov.gray > 200);
}

TEST_CASE("gpu_randaug/the batched randaug CE view is ce_pipeline(randaug)'s, bit for bit") {
  Coverage cov;
  check_against_loader(false, 32, 32, 32, 77, 3, 1500, cov);
  check_against_loader(false, 32, 32, 32, 123456789, 1, 900, cov);
  check_coverage(cov);
  CHECK(cov.padded > 1000);
}

TEST_CASE("gpu_randaug/other image and view sizes: a smaller view, an odd side, non-square") {
  // rand: 28 x 28 views of 30 x 36 images and 17 x 17 of 20 x 19 (rotation centre 8.5); randaug:
  // size 28 (padding 3) on 30 x 36 images and 17 (padding 2) on 20 x 19.
  Coverage cov;
  check_against_loader(true, 30, 36, 28, 11, 2, 600, cov);
  check_against_loader(true, 20, 19, 17, 5, 1, 600, cov);
  check_against_loader(false, 30, 36, 28, 11, 2, 600, cov);
  check_against_loader(false, 20, 19, 17, 5, 1, 600, cov);
  CHECK(cov.ops.size() == 15);
}
