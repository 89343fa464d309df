// The batched "autoaug-cutout" CE view (augment::autoaug_cutout_params,
// augment::augment_autoaug_cutout) against the DataLoader's: data::ce_pipeline("autoaug-cutout",
// ...) applied with augment_generator(seed, epoch, index, 0), on thousands of samples, so that
// every sub-policy, op and sign occurs (asserted).
//
// The bytes are compared bit for bit: with the normalisation scale 1 and shift 0 the op's floats
// are its bytes exactly. The normalised views are then compared with Pipeline::normalize at atol
// 1e-6 (equal in a g++ -O3 -march=native build, where both are one fused multiply-add; an ulp
// apart where g++ does not fuse, see tests/tensor/test_augment_batch.cpp), while a byte step
// moves a value by >= 0.014.
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
  std::set<int> policies, flips;
  std::set<std::pair<int, int>> applied;  // (op, sign)
  int64_t cut_at_border = 0, padded = 0;
};

// Checks `n` samples of (seed, epoch) on a dataset of n images of h x w (loader_test_images
// repeated, so that every sample has its own index and draw) with the view side `size`.
void check_against_loader(int64_t h, int64_t w, int32_t size, uint64_t seed, int64_t epoch,
                          int64_t n, Coverage& cov) {
  const std::vector<Image> base = loader_test_images(h, w, 500);
  std::vector<Image> images;
  for (int64_t j = 0; j < n; ++j) images.push_back(base[static_cast<size_t>(j) % base.size()]);
  const augment::PackedImages packed = pack(images);
  const Normalization& norm = kCifar10Normalization;
  const Pipeline pipeline = ce_pipeline("autoaug-cutout", norm, size, mean_fill_colour(norm));
  const augment::AutoAugCutoutConfig cfg = augment::autoaug_cutout_config(size);
  std::vector<int64_t> idx;  // a permutation of [0, n) (13 does not divide n)
  for (int64_t i = 0; i < n; ++i) idx.push_back((i * 13 + 5) % n);
  const Tensor indices = index_tensor(idx);
  const Tensor params = augment::autoaug_cutout_params(indices, {seed, epoch, 0}, cfg, h, w);
  const std::vector<double> bytes =
      augment::augment_autoaug_cutout(packed, indices, params, cfg, bytes_as_floats()).to_vector();
  const Tensor normalized = augment::augment_autoaug_cutout(
      packed, indices, params, cfg, augment::channel_norm(norm.mean.data(), norm.std.data()));
  const std::vector<augment::AutoAugCutoutParams> ps =
      augment::params_to_host<augment::AutoAugCutoutParams>(params);
  Tensor expected = empty({n, 3, size, size});
  const int64_t plane = int64_t{size} * size;
  int64_t mismatched = 0;
  for (int64_t i = 0; i < n; ++i) {
    Generator gen = augment_generator(seed, epoch, idx[static_cast<size_t>(i)], 0);
    const Image view =
        pipeline.augment(images[static_cast<size_t>(idx[static_cast<size_t>(i)])], gen);
    pipeline.normalize(view, expected.data<float>() + i * 3 * plane);
    bool same = true;
    for (int64_t c = 0; c < 3 && same; ++c)
      for (int64_t q = 0; q < plane && same; ++q)
        same = bytes[static_cast<size_t>((i * 3 + c) * plane + q)] ==
               view.pixels[static_cast<size_t>(q * 3 + c)];
    if (!same && mismatched++ < 5) {
      const augment::AutoAugCutoutParams& p = ps[static_cast<size_t>(i)];
      INFO("sample ", i, " (index ", idx[static_cast<size_t>(i)], "): policy ", p.policy,
           ", steps (", p.op[0], ", ", p.magnitude[0], ", sign ", p.sign[0], ", runs ", p.apply[0],
           ") (", p.op[1], ", ", p.magnitude[1], ", sign ", p.sign[1], ", runs ", p.apply[1], ")");
      CHECK(same);
    }
    const augment::AutoAugCutoutParams& p = ps[static_cast<size_t>(i)];
    cov.policies.insert(p.policy);
    cov.flips.insert(p.flip);
    for (int k = 0; k < 2; ++k)
      if (p.apply[k]) cov.applied.insert({p.op[k], p.sign[k]});
    cov.cut_at_border += p.cut_y0 == 0 || p.cut_x0 == 0 || p.cut_y1 == size || p.cut_x1 == size;
    cov.padded += p.top < 0 || p.left < 0 || p.top + size > h || p.left + size > w;
  }
  CHECK(mismatched == 0);
  CHECK_ALLCLOSE(normalized, expected, 1e-6, 0);
}

}  // namespace

TEST_CASE("gpu_autoaug/the batched view is ce_pipeline(autoaug-cutout)'s, bit for bit") {
  Coverage cov;
  check_against_loader(32, 32, 32, 2024, 0, 1500, cov);
  check_against_loader(32, 32, 32, 0xFEDCBA9876543210ull, 7, 900, cov);
  // All 25 sub-policies, both flips, the 13 ops the table names (all but ShearX) each with both
  // signs where it has one (an unsigned op draws a sign it ignores), crops reaching into the
  // padding and holes clipped by the border.
  CHECK(cov.policies.size() == 25);
  CHECK(cov.flips.size() == 2);
  std::set<int> ops;
  for (const auto& [op, sign] : cov.applied) ops.insert(op);
  CHECK(ops.size() == 13);
  CHECK(ops.count(static_cast<int>(augment::PolicyOp::ShearX)) == 0);
  for (auto op :
       {augment::PolicyOp::ShearY, augment::PolicyOp::TranslateX, augment::PolicyOp::TranslateY,
        augment::PolicyOp::Color, augment::PolicyOp::Contrast, augment::PolicyOp::Sharpness,
        augment::PolicyOp::Brightness}) {
    CAPTURE(static_cast<int>(op));
    CHECK(cov.applied.count({static_cast<int>(op), -1}) == 1);
    CHECK(cov.applied.count({static_cast<int>(op), 1}) == 1);
  }
  CHECK(cov.cut_at_border > 100);
  CHECK(cov.padded > 1000);
}

TEST_CASE("gpu_autoaug/a crop smaller than the image, an odd view side and its own padding") {
  // ce_pipeline("autoaug-cutout", size 28): padding 3, Cutout(14), on 30 x 36 images; and a view
  // of 17 (centre 8.5 for the rotation, odd cutout half) on 20 x 19 images.
  Coverage cov;
  check_against_loader(30, 36, 28, 11, 2, 700, cov);
  check_against_loader(20, 19, 17, 5, 1, 700, cov);
  CHECK(cov.policies.size() == 25);
}
