// The batched "autoaug-cutout" view (data/augment_batch.h) on the CPU: the draws against the
// loader's ops on augment_generator's stream and against the distributions they define, the op
// arguments against numpy.linspace's values, and every op at every magnitude and sign against
// data::apply_auto_augment_op composed after the crop and flip. Pixels are compared as bytes,
// exactly (the normalisation is scale 1, shift 0). Frequency checks allow 5 binomial standard
// deviations.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "data/augment.h"
#include "data/augment_batch.h"
#include "data/auto_augment.h"
#include "data/image_ops.h"
#include "data/sampling.h"
#include "tests/data/augment_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::test;
using namespace bcl::data;

TEST_CASE("augment_policy/the sub-policy table is data's cifar10_policy") {
  const std::vector<SubPolicy>& policy = cifar10_policy();
  REQUIRE(policy.size() == static_cast<size_t>(augment::kNumSubPolicies));
  for (int32_t i = 0; i < augment::kNumSubPolicies; ++i) {
    CAPTURE(i);
    const SubPolicy& sp = policy[static_cast<size_t>(i)];
    const augment::PolicyStep a = augment::cifar10_policy_step(i, 0);
    const augment::PolicyStep b = augment::cifar10_policy_step(i, 1);
    CHECK(a.p == sp.p1);
    CHECK(a.op == static_cast<int32_t>(sp.op1));
    CHECK(a.magnitude == sp.magnitude1);
    CHECK(b.p == sp.p2);
    CHECK(b.op == static_cast<int32_t>(sp.op2));
    CHECK(b.magnitude == sp.magnitude2);
  }
}

TEST_CASE("augment_policy/draws replay random_crop, the flip, draw_auto_augment and cutout") {
  struct Case {
    int64_t h, w;
    augment::AutoAugCutoutConfig cfg;
  };
  augment::AutoAugCutoutConfig odd = augment::autoaug_cutout_config(28);
  odd.cutout = 9;
  augment::AutoAugCutoutConfig none;
  none.cutout = 0;
  for (const Case& c : {Case{32, 32, {}}, Case{30, 36, odd}, Case{32, 32, none}}) {
    const std::vector<int64_t> idx = iota_indices(600, (int64_t{1} << 35) + 9);
    const auto params = augment::params_to_host<augment::AutoAugCutoutParams>(
        augment::autoaug_cutout_params(index_tensor(idx), {77, 4, 0}, c.cfg, c.h, c.w));
    REQUIRE(params.size() == idx.size());
    const int32_t size = c.cfg.size, pad = c.cfg.padding;
    for (size_t i = 0; i < idx.size(); ++i) {
      CAPTURE(i);
      const augment::AutoAugCutoutParams& p = params[i];
      Generator gen = augment_generator(77, 4, idx[i], 0);
      CHECK(p.top == static_cast<int64_t>(random_below(gen, c.h + 2 * pad - size + 1)) - pad);
      CHECK(p.left == static_cast<int64_t>(random_below(gen, c.w + 2 * pad - size + 1)) - pad);
      CHECK((p.flip != 0) == (gen.next_uniform() < 0.5));
      const AutoAugmentDraw d = draw_auto_augment(gen);
      const SubPolicy& sp = cifar10_policy()[static_cast<size_t>(d.policy)];
      CHECK(p.policy == d.policy);
      CHECK(p.op[0] == static_cast<int32_t>(sp.op1));
      CHECK(p.op[1] == static_cast<int32_t>(sp.op2));
      CHECK(p.magnitude[0] == sp.magnitude1);
      CHECK(p.magnitude[1] == sp.magnitude2);
      CHECK((p.apply[0] != 0) == d.apply1);
      CHECK((p.apply[1] != 0) == d.apply2);
      CHECK(p.sign[0] == d.sign1);
      CHECK(p.sign[1] == d.sign2);
      if (c.cfg.cutout > 0) {
        const auto cy = static_cast<int64_t>(random_below(gen, static_cast<uint64_t>(size)));
        const auto cx = static_cast<int64_t>(random_below(gen, static_cast<uint64_t>(size)));
        const int64_t half = c.cfg.cutout / 2;
        CHECK(p.cut_y0 == std::clamp<int64_t>(cy - half, 0, size));
        CHECK(p.cut_y1 == std::clamp<int64_t>(cy + half, 0, size));
        CHECK(p.cut_x0 == std::clamp<int64_t>(cx - half, 0, size));
        CHECK(p.cut_x1 == std::clamp<int64_t>(cx + half, 0, size));
      } else {
        CHECK(p.cut_y0 == p.cut_y1);
      }
    }
  }
}

TEST_CASE("augment_policy/draws: uniform sub-policies, steps at their rates, fair signs, cutout") {
  const augment::AutoAugCutoutConfig cfg;
  const int64_t n = 25000;
  const auto params = augment::params_to_host<augment::AutoAugCutoutParams>(
      augment::autoaug_cutout_params(index_tensor(iota_indices(n)), {5, 0, 0}, cfg, 32, 32));
  std::map<int, int64_t> policies, tops;
  std::map<std::pair<int, int>, int64_t> runs;  // (policy, step)
  int64_t negative = 0, flips = 0, full_rows = 0, top_clipped = 0;
  for (const auto& p : params) {
    ++policies[p.policy];
    ++tops[p.top];
    flips += p.flip;
    for (int k = 0; k < 2; ++k) {
      runs[{p.policy, k}] += p.apply[k];
      negative += p.sign[k] < 0;
    }
    REQUIRE(p.cut_y0 >= 0);
    REQUIRE(p.cut_x1 <= 32);
    REQUIRE(p.cut_y1 - p.cut_y0 >= 8);  // at least half the hole: its centre is in the view
    REQUIRE(p.cut_y1 - p.cut_y0 <= 16);
    REQUIRE(p.cut_x1 - p.cut_x0 >= 8);
    full_rows += p.cut_y1 - p.cut_y0 == 16;
    top_clipped += p.cut_y0 == 0;
  }
  // 1/25 each: 1000 +- 5 x 31.
  CHECK(policies.size() == 25);
  for (const auto& [policy, count] : policies) check_binomial(count, n, 1.0 / 25);
  for (int i = 0; i < 25; ++i) {
    for (int k = 0; k < 2; ++k) {
      CAPTURE(i);
      CAPTURE(k);
      check_binomial(runs[{i, k}], policies[i], augment::cifar10_policy_step(i, k).p);
    }
  }
  check_binomial(negative, 2 * n, 0.5);
  check_binomial(flips, n, 0.5);
  CHECK(tops.size() == 9);
  for (const auto& [top, count] : tops) check_binomial(count, n, 1.0 / 9);
  // The hole's centre row is uniform over 32: all 16 rows when it is in [8, 24] (17 rows), cut
  // at the top when it is in [0, 8] (9 rows).
  check_binomial(full_rows, n, 17.0 / 32);
  check_binomial(top_clipped, n, 9.0 / 32);
}

TEST_CASE("augment_policy/op arguments are numpy.linspace's values") {
  using O = augment::PolicyOp;
  auto mag = [](O op, int i) { return augment::policy_magnitude(static_cast<int32_t>(op), i); };
  for (int32_t i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(mag(O::ShearX, i) == doctest::Approx(0.3 * i / 9));
    CHECK(mag(O::TranslateY, i) == doctest::Approx(150.0 / 331.0 * i / 9));
    CHECK(mag(O::Rotate, i) == doctest::Approx(30.0 * i / 9));
    CHECK(mag(O::Brightness, i) == doctest::Approx(0.9 * i / 9));
    CHECK(mag(O::Posterize, i) == (const int[]){8, 8, 7, 7, 6, 6, 5, 5, 4, 4}[i]);
    CHECK(mag(O::Solarize, i) == doctest::Approx(256 - 256.0 * i / 9));
    CHECK(mag(O::Invert, i) == 0);
  }
  // The rotations: none at index 0, then affine_fixed's path on a 32 x 32 view.
  CHECK(augment::policy_rotation(0, 32, 32).kind == augment::kWarpNone);
  for (int i = 1; i < 10; ++i)
    CHECK(augment::policy_rotation(i, 32, 32).kind == augment::kWarpFixed);
}

TEST_CASE("augment_policy/every op at every magnitude and sign is apply_auto_augment_op's") {
  // A fill that differs from rotate's fixed grey, so that a mix-up shows.
  const std::array<uint8_t, 3> fill{10, 200, 30};
  for (int32_t size : {32, 17, 64, 2}) {
    CAPTURE(size);
    const std::vector<Image> images = op_images(size);
    const augment::PackedImages packed = pack(images);
    augment::AutoAugCutoutConfig cfg = augment::autoaug_cutout_config(size);
    std::copy(fill.begin(), fill.end(), cfg.fill);
    std::vector<augment::AutoAugCutoutParams> params;
    std::vector<int64_t> idx;
    std::vector<Image> expected;
    for (int32_t op = 0; op < augment::kNumPolicyOps; ++op) {
      for (int32_t m = 0; m < 10; ++m) {
        for (int32_t sign : {-1, 1}) {
          for (size_t k = 0; k < images.size(); ++k) {
            augment::AutoAugCutoutParams p;  // the whole image, no flip, no cutout
            p.op[0] = op;
            p.magnitude[0] = m;
            p.sign[0] = sign;
            p.apply[0] = 1;
            params.push_back(p);
            idx.push_back(static_cast<int64_t>(k));
            expected.push_back(
                apply_auto_augment_op(images[k], static_cast<AutoAugmentOp>(op), m, sign, fill));
          }
        }
      }
    }
    const std::vector<double> out =
        augment::augment_autoaug_cutout(packed, index_tensor(idx),
                                        augment::params_from_host(params, Device::CPU), cfg,
                                        bytes_as_floats())
            .to_vector();
    const size_t per = static_cast<size_t>(3 * size * size);
    int64_t mismatched = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::vector<double> want = chw(expected[i]);
      const bool same = std::equal(want.begin(), want.end(), out.begin() + i * per);
      if (!same && mismatched++ < 5) {
        INFO("op ", auto_augment_op_name(static_cast<AutoAugmentOp>(params[i].op[0])),
             " magnitude ", params[i].magnitude[0], " sign ", params[i].sign[0], " image ", idx[i]);
        CHECK(same);
      }
    }
    CHECK(mismatched == 0);
  }
}

TEST_CASE("augment_policy/two steps, the crop's padding, the flip and the cutout compose") {
  const int32_t size = 32;
  const std::vector<Image> images = op_images(36);
  const augment::PackedImages packed = pack(images);
  const augment::AutoAugCutoutConfig cfg;
  std::vector<augment::AutoAugCutoutParams> params;
  std::vector<int64_t> idx;
  std::vector<Image> expected;
  const std::array<uint8_t, 3> grey{128, 128, 128};
  for (int k = 0; k < 60; ++k) {
    augment::AutoAugCutoutParams p;
    p.top = k % 9 - 4;
    p.left = (k * 5) % 13 - 4;
    p.flip = k % 2;
    for (int s = 0; s < 2; ++s) {
      p.op[s] = (k * 3 + s * 5) % augment::kNumPolicyOps;
      p.magnitude[s] = (k + 4 * s) % 10;
      p.sign[s] = (k / 2 + s) % 2 ? 1 : -1;
      p.apply[s] = (k + s) % 3 != 0;
    }
    p.cut_y0 = k % 20;
    p.cut_y1 = p.cut_y0 + k % 13;
    p.cut_x0 = 32 - k % 17;
    p.cut_x1 = 32;
    params.push_back(p);
    const auto image = static_cast<size_t>(k % static_cast<int>(images.size()));
    idx.push_back(static_cast<int64_t>(image));
    Image v = crop(images[image], p.top, p.left, size, size);
    if (p.flip) v = hflip(v);
    for (int s = 0; s < 2; ++s)
      if (p.apply[s])
        v = apply_auto_augment_op(v, static_cast<AutoAugmentOp>(p.op[s]), p.magnitude[s], p.sign[s],
                                  grey);
    for (int64_t y = p.cut_y0; y < p.cut_y1; ++y)
      for (int64_t x = p.cut_x0; x < p.cut_x1; ++x)
        for (int64_t c = 0; c < 3; ++c) v.at(y, x, c) = 0;
    expected.push_back(v);
  }
  const std::vector<double> out =
      augment::augment_autoaug_cutout(packed, index_tensor(idx),
                                      augment::params_from_host(params, Device::CPU), cfg,
                                      bytes_as_floats())
          .to_vector();
  const size_t per = 3 * 32 * 32;
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    const std::vector<double> want = chw(expected[i]);
    CHECK(std::equal(want.begin(), want.end(), out.begin() + i * per));
  }
}

TEST_CASE("augment_policy/front-ends check their arguments") {
  const augment::PackedImages packed = pack(op_images(32));
  const augment::AutoAugCutoutConfig cfg;
  const augment::ChannelNorm cn = bytes_as_floats();
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no bcl::Error was thrown)");
  };
  auto has = [](const std::string& s, const char* part) {
    return s.find(part) != std::string::npos;
  };
  const Tensor ok = index_tensor({0, 4});
  const Tensor params = augment::autoaug_cutout_params(ok, {}, cfg, 32, 32);
  CHECK(params.shape() == Shape{2, augment::kWords<augment::AutoAugCutoutParams>});
  CHECK(has(message([&] {
              augment::augment_autoaug_cutout(packed, index_tensor({0, 5}), params, cfg, cn);
            }),
            "indices[1] = 5 is out of range [0, 5)"));
  CHECK(has(message([&] {
              augment::augment_autoaug_cutout(
                  packed, ok, augment::autoaug_cutout_params(index_tensor({0}), {}, cfg, 32, 32),
                  cfg, cn);
            }),
            "params must be Int64 [2, 9]"));
  augment::AutoAugCutoutConfig big = cfg;
  big.size = 65;
  big.padding = 20;
  CHECK(has(message([&] {
              augment::augment_autoaug_cutout(
                  packed, ok, augment::autoaug_cutout_params(ok, {}, big, 32, 32), big, cn);
            }),
            "sides up to 64"));
  CHECK(has(message([&] { augment::autoaug_cutout_params(ok, {}, big, 16, 32); }),
            "image 16x32 with padding 20 is smaller than the crop 65"));
  augment::AutoAugCutoutConfig bad = cfg;
  bad.flip_p = 1.5;
  CHECK(has(message([&] { augment::autoaug_cutout_params(ok, {}, bad, 32, 32); }), "flip_p 1.5"));
  std::vector<augment::AutoAugCutoutParams> ps =
      augment::params_to_host<augment::AutoAugCutoutParams>(params);
  ps[1].op[1] = augment::kNumPolicyOps;
  CHECK(has(message([&] {
              augment::augment_autoaug_cutout(packed, ok,
                                              augment::params_from_host(ps, Device::CPU), cfg, cn);
            }),
            "params[1] step 1 has op 14 and magnitude"));
  ps[1].op[1] = 0;
  ps[0].magnitude[0] = 10;
  CHECK(has(message([&] {
              augment::augment_autoaug_cutout(packed, ok,
                                              augment::params_from_host(ps, Device::CPU), cfg, cn);
            }),
            "params[0] step 0 has op"));
  CHECK(has(message([&] {
              augment::autoaug_cutout_params(from_vector({0, 1}, {2}), {}, cfg, 32, 32);
            }),
            "Int64"));
  const Tensor none = index_tensor({});
  CHECK(augment::augment_autoaug_cutout(
            packed, none, augment::autoaug_cutout_params(none, {}, cfg, 32, 32), cfg, cn)
            .shape() == Shape{0, 3, 32, 32});
}
