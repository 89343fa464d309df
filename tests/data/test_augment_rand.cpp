// The batched RandAugment views, "rand" and "randaug" (data/augment_batch.h), on the CPU: the draws
// against the loader's ops on augment_generator's stream and against the distributions they
// define, the op arguments against timm's level functions, every op at several magnitudes, signs
// and resamplings against data::apply_rand_augment_step composed after the crop or sim view, and
// the device's rounding of rotate's matrix against the host's. Pixels are compared as bytes,
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

namespace {

RandAugmentOptions options_of(const augment::RandAugmentSpec& s) {
  RandAugmentOptions o;
  o.num_ops = s.num_ops;
  o.magnitude = s.magnitude;
  o.magnitude_std = s.magnitude_std;
  o.prob = s.prob;
  o.fill = {s.fill[0], s.fill[1], s.fill[2]};
  return o;
}

// data's step for one of ours.
RandAugmentStep data_step(const augment::RandStep& s) {
  RandAugmentStep d;
  d.op = static_cast<RandAugmentOp>(s.op);
  d.applied = s.applied != 0;
  d.magnitude = s.magnitude;
  d.argument = s.argument;
  d.resample = s.resample == augment::kRandBicubic ? Resample::Bicubic : Resample::Bilinear;
  return d;
}

// Our slots against data::draw_rand_augment's on the same stream.
void check_steps(const augment::RandStep (&ours)[augment::kMaxRandOps],
                 const augment::RandAugmentSpec& spec, Generator& gen) {
  const std::vector<RandAugmentStep> theirs = draw_rand_augment(options_of(spec), gen);
  REQUIRE(static_cast<int>(theirs.size()) == spec.num_ops);
  for (int k = 0; k < augment::kMaxRandOps; ++k) {
    CAPTURE(k);
    const augment::RandStep& s = ours[k];
    if (k >= spec.num_ops) {
      CHECK(s.applied == 0);
      continue;
    }
    const RandAugmentStep& d = theirs[static_cast<size_t>(k)];
    CHECK(s.op == static_cast<int32_t>(d.op));
    CHECK((s.applied != 0) == d.applied);
    CHECK(s.magnitude == d.magnitude);
    CHECK(s.argument == d.argument);
    if (d.applied)
      CHECK((s.resample == augment::kRandBicubic) == (d.resample == Resample::Bicubic));
  }
}

// Other options than BCL's: no noise, a noise that is not a power of two (the fused m + mstd z),
// one slot, every slot run.
std::vector<augment::RandAugmentSpec> specs() {
  augment::RandAugmentSpec bcl, plain, noisy, one;
  plain.magnitude_std = 0;
  plain.magnitude = 5;
  plain.prob = 1;
  noisy.magnitude = 7.3;
  noisy.magnitude_std = 2.7;
  noisy.prob = 0.8;
  one.num_ops = 1;
  return {bcl, plain, noisy, one};
}

}  // namespace

TEST_CASE("augment_rand/rand view draws replay sim_pipeline's and draw_rand_augment") {
  const uint8_t fill[3] = {125, 123, 114};
  for (const augment::RandAugmentSpec& spec : specs()) {
    augment::RandViewConfig cfg = augment::rand_view_config(32, fill);
    cfg.rand = spec;
    const std::vector<int64_t> idx = iota_indices(400, (int64_t{1} << 34) + 3);
    const auto params = augment::params_to_host<augment::RandViewParams>(
        augment::rand_view_params(index_tensor(idx), {91, 3, 2}, cfg, 36, 30));
    REQUIRE(params.size() == idx.size());
    for (size_t i = 0; i < idx.size(); ++i) {
      CAPTURE(i);
      const augment::RandViewParams& p = params[i];
      Generator gen = augment_generator(91, 3, idx[i], 2);
      const CropBox b = random_resized_crop_box(36, 30, {0.2, 1.0}, {3.0 / 4.0, 4.0 / 3.0}, gen);
      CHECK(p.sim.top == b.top);
      CHECK(p.sim.left == b.left);
      CHECK(p.sim.height == b.height);
      CHECK(p.sim.width == b.width);
      CHECK((p.sim.flip != 0) == (gen.next_uniform() < 0.5));
      CHECK((p.sim.jitter != 0) == (gen.next_uniform() < 0.8));
      if (p.sim.jitter) {
        const ColorJitterDraw d = draw_color_jitter(0.4, 0.4, 0.4, 0.1, gen);
        for (int k = 0; k < 4; ++k) CHECK(p.sim.order[k] == d.order[static_cast<size_t>(k)]);
        CHECK(p.sim.brightness == d.brightness);
        CHECK(p.sim.hue == d.hue);
      }
      CHECK((p.sim.gray != 0) == (gen.next_uniform() < 0.2));
      check_steps(p.step, spec, gen);
    }
  }
}

TEST_CASE("augment_rand/randaug draws replay random_crop, the flip and draw_rand_augment") {
  const uint8_t fill[3] = {1, 2, 3};
  for (const augment::RandAugmentSpec& spec : specs()) {
    for (int32_t size : {32, 28}) {
      augment::RandAugConfig cfg = augment::randaug_config(size, fill);
      cfg.rand = spec;
      const int64_t h = 32, w = 30;
      const std::vector<int64_t> idx = iota_indices(400, 17);
      const auto params = augment::params_to_host<augment::RandAugParams>(
          augment::randaug_params(index_tensor(idx), {5, 11, 0}, cfg, h, w));
      const int32_t pad = size / 8;
      for (size_t i = 0; i < idx.size(); ++i) {
        CAPTURE(i);
        const augment::RandAugParams& p = params[i];
        Generator gen = augment_generator(5, 11, idx[i], 0);
        CHECK(p.top == static_cast<int64_t>(random_below(gen, h + 2 * pad - size + 1)) - pad);
        CHECK(p.left == static_cast<int64_t>(random_below(gen, w + 2 * pad - size + 1)) - pad);
        CHECK((p.flip != 0) == (gen.next_uniform() < 0.5));
        check_steps(p.step, spec, gen);
      }
    }
  }
}

TEST_CASE("augment_rand/draws: uniform ops, slots at half, clipped normal magnitudes, fair coins") {
  const uint8_t fill[3] = {128, 128, 128};
  const int64_t n = 20000;
  const auto params = augment::params_to_host<augment::RandAugParams>(augment::randaug_params(
      index_tensor(iota_indices(n)), {8, 0, 0}, augment::randaug_config(32, fill), 32, 32));
  std::map<int, int64_t> ops;
  int64_t applied = 0, clipped = 0, below = 0, signed_ops = 0, negative = 0, bicubic = 0;
  double sum_below = 0;
  for (const auto& p : params) {
    for (const augment::RandStep& s : p.step) {
      ++ops[s.op];
      if (!s.applied) {
        CHECK(s.magnitude == 0);
        continue;
      }
      ++applied;
      REQUIRE(s.magnitude >= 0);
      REQUIRE(s.magnitude <= 10);
      if (s.magnitude == 10) {
        ++clipped;
      } else {
        ++below;
        sum_below += s.magnitude;
      }
      if (augment::rand_op_is_signed(s.op) && s.argument != 0) {
        ++signed_ops;
        negative += s.argument < 0;
      }
      bicubic += s.resample == augment::kRandBicubic;
    }
  }
  CHECK(ops.size() == 15);
  for (const auto& [op, count] : ops) check_binomial(count, 2 * n, 1.0 / 15);
  check_binomial(applied, 2 * n, 0.5);
  // m = 10 + 0.5 z is clipped at 10 when z >= 0; below, 10 - 0.5 |z| has mean
  // 10 - 0.5 sqrt(2 / pi) and standard deviation 0.5 sqrt(1 - 2 / pi).
  check_binomial(clipped, applied, 0.5);
  const double mean = sum_below / static_cast<double>(below);
  const double sd = 0.5 * std::sqrt(1 - 2 / M_PI) / std::sqrt(static_cast<double>(below));
  INFO("mean of the unclipped magnitudes ", mean);
  CHECK(std::fabs(mean - (10 - 0.5 * std::sqrt(2 / M_PI))) <= 5 * sd);
  check_binomial(negative, signed_ops, 0.5);
  check_binomial(bicubic, applied, 0.5);
}

TEST_CASE("augment_rand/op arguments are data::rand_augment_argument's") {
  Generator gen(3);
  std::vector<double> magnitudes{0, 10, 5, 2.5, 7.5, 1e-9, 10 - 1e-12};
  for (int k = 0; k < 3000; ++k) magnitudes.push_back(10 * gen.next_uniform());
  int64_t mismatched = 0;
  for (int32_t op = 0; op < augment::kNumRandOps; ++op) {
    for (double m : magnitudes) {
      const bool same =
          augment::rand_argument(op, m) == rand_augment_argument(static_cast<RandAugmentOp>(op), m);
      if (!same && mismatched++ < 5) {
        INFO("op ", rand_augment_op_name(static_cast<RandAugmentOp>(op)), " magnitude ", m);
        CHECK(same);
      }
    }
  }
  CHECK(mismatched == 0);
}

TEST_CASE("augment_rand/every op at several magnitudes, signs and resamplings is data's") {
  const std::array<uint8_t, 3> fill{10, 200, 30};
  for (int32_t size : {32, 17, 64, 2}) {
    CAPTURE(size);
    const std::vector<Image> images = op_images(size);
    const augment::PackedImages packed = pack(images);
    augment::RandAugConfig cfg = augment::randaug_config(size, fill.data());
    cfg.padding = 0;
    std::vector<augment::RandAugParams> params;
    std::vector<int64_t> idx;
    std::vector<Image> expected;
    std::map<int32_t, int64_t> changed;  // per op: views the op altered
    for (int32_t op = 0; op < augment::kNumRandOps; ++op) {
      for (double m : {0.0, 1.7, 3.71, 6.2, 9.13, 10.0}) {
        for (int32_t sign : {-1, 1}) {
          for (int32_t resample : {augment::kRandBilinear, augment::kRandBicubic}) {
            for (size_t k = 0; k < images.size(); ++k) {
              augment::RandAugParams p;  // the whole image, no flip
              p.step[0] = fixed_rand_step(op, m, sign, resample, size);
              params.push_back(p);
              idx.push_back(static_cast<int64_t>(k));
              expected.push_back(apply_rand_augment_step(images[k], data_step(p.step[0]), fill));
              changed[op] += expected.back().pixels != images[k].pixels;
            }
          }
        }
      }
    }
    const std::vector<double> out =
        augment::augment_randaug(packed, index_tensor(idx),
                                 augment::params_from_host(params, Device::CPU), cfg,
                                 bytes_as_floats())
            .to_vector();
    const size_t per = static_cast<size_t>(3 * size * size);
    int64_t mismatched = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::vector<double> want = chw(expected[i]);
      const bool same = std::equal(want.begin(), want.end(), out.begin() + i * per);
      if (!same && mismatched++ < 5) {
        const augment::RandStep& s = params[i].step[0];
        INFO("op ", rand_augment_op_name(static_cast<RandAugmentOp>(s.op)), " magnitude ",
             s.magnitude, " argument ", s.argument, " resample ", s.resample, " image ", idx[i]);
        CHECK(same);
      }
    }
    CHECK(mismatched == 0);
    // Each op did something somewhere (the comparison is not vacuous).
    if (size > 2) {
      for (int32_t op = 0; op < augment::kNumRandOps; ++op) {
        CAPTURE(op);
        CHECK(changed[op] > 0);
      }
    }
  }
}

TEST_CASE("augment_rand/two steps, the crop's padding and the flip compose") {
  const int32_t size = 32;
  const std::vector<Image> images = op_images(36);
  const augment::PackedImages packed = pack(images);
  const std::array<uint8_t, 3> fill{90, 80, 70};
  const augment::RandAugConfig cfg = augment::randaug_config(size, fill.data());
  std::vector<augment::RandAugParams> params;
  std::vector<int64_t> idx;
  std::vector<Image> expected;
  for (int k = 0; k < 90; ++k) {
    augment::RandAugParams p;
    p.top = k % 9 - 4;
    p.left = (k * 5) % 13 - 4;
    p.flip = k % 2;
    for (int s = 0; s < 2; ++s) {
      p.step[s] = fixed_rand_step((k * 4 + s * 7) % augment::kNumRandOps, (k * 7 + s) % 11,
                                  (k / 2 + s) % 2 ? 1 : -1, (k / 3 + s) % 2, size);
      p.step[s].applied = (k + s) % 3 != 0;
    }
    params.push_back(p);
    const auto image = static_cast<size_t>(k % static_cast<int>(images.size()));
    idx.push_back(static_cast<int64_t>(image));
    Image v = crop(images[image], p.top, p.left, size, size);
    if (p.flip) v = hflip(v);
    for (const augment::RandStep& s : p.step)
      if (s.applied) v = apply_rand_augment_step(v, data_step(s), fill);
    expected.push_back(v);
  }
  const std::vector<double> out =
      augment::augment_randaug(packed, index_tensor(idx),
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

TEST_CASE("augment_rand/the rand view is augment_sim's view, then the steps") {
  const int32_t size = 32;
  const std::vector<Image> images = op_images(40);
  const augment::PackedImages packed = pack(images);
  const std::array<uint8_t, 3> fill{0, 255, 77};
  const augment::RandViewConfig cfg = augment::rand_view_config(size, fill.data());
  const std::vector<int64_t> idx{0, 1, 2, 3, 4, 0, 2, 4, 1, 3};
  std::vector<augment::RandViewParams> params = augment::params_to_host<augment::RandViewParams>(
      augment::rand_view_params(index_tensor(idx), {1, 2, 1}, cfg, 40, 40));
  std::vector<augment::SimParams> sims;
  for (size_t i = 0; i < params.size(); ++i) {
    augment::RandViewParams& p = params[i];
    const auto k = static_cast<int32_t>(i);
    p.step[0] = fixed_rand_step(k % 15, 9.5, 1, k % 2, size);
    p.step[1] = fixed_rand_step((k * 7 + 3) % 15, 10, -1, 1 - k % 2, size);
    sims.push_back(p.sim);
  }
  const std::vector<double> sim =
      augment::augment_sim(packed, index_tensor(idx), augment::params_from_host(sims, Device::CPU),
                           cfg.sim, bytes_as_floats())
          .to_vector();
  const std::vector<double> out =
      augment::augment_rand_view(packed, index_tensor(idx),
                                 augment::params_from_host(params, Device::CPU), cfg,
                                 bytes_as_floats())
          .to_vector();
  const size_t per = 3 * 32 * 32, plane = 32 * 32;
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    Image v(size, size);
    for (size_t c = 0; c < 3; ++c)
      for (size_t q = 0; q < plane; ++q)
        v.pixels[q * 3 + c] = static_cast<uint8_t>(sim[i * per + c * plane + q]);
    for (const augment::RandStep& s : params[i].step)
      v = apply_rand_augment_step(v, data_step(s), fill);
    const std::vector<double> want = chw(v);
    CHECK(std::equal(want.begin(), want.end(), out.begin() + i * per));
  }
}

TEST_CASE("augment_rand/the device's round15 is the host's long double rounding") {
  // Rotation cosines and sines of many angles, and values right at a tie of the 15th decimal.
  Generator gen(12);
  int64_t differ = 0, total = 0;
  for (int k = 0; k < 200000; ++k) {
    const double v = k % 2 ? std::cos(gen.next_uniform() * 2) : -std::sin(gen.next_uniform());
    differ += augment::round15_split(v) != augment::round15(v);
    ++total;
  }
  for (double v : {0.5, -0.25, 1.0, 0.0, 0.1234567890123455, 0.9999999999999995}) {
    CAPTURE(v);
    CHECK(augment::round15_split(v) == augment::round15(v));
  }
  // The two differ only where the x87 product's rounding decides a tie: about 1e-4 of values.
  INFO(differ, " of ", total, " values differ");
  CHECK(differ <= total / 1000);
}

TEST_CASE("augment_rand/front-ends check their arguments") {
  const augment::PackedImages packed = pack(op_images(32));
  const uint8_t fill[3] = {0, 0, 0};
  const augment::RandAugConfig cfg = augment::randaug_config(32, fill);
  const augment::RandViewConfig view = augment::rand_view_config(32, fill);
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
  const Tensor params = augment::randaug_params(ok, {}, cfg, 32, 32);
  CHECK(params.shape() == Shape{2, augment::kWords<augment::RandAugParams>});
  CHECK(augment::rand_view_params(ok, {}, view, 32, 32).shape() ==
        Shape{2, augment::kWords<augment::RandViewParams>});
  CHECK(has(message([&] {
              augment::augment_randaug(packed, index_tensor({0, 5}), params, cfg, cn);
            }),
            "indices[1] = 5 is out of range [0, 5)"));
  CHECK(has(message([&] { augment::augment_rand_view(packed, ok, params, view, cn); }),
            "params must be Int64 [2, 31]"));
  augment::RandAugConfig big = cfg;
  big.size = 65;
  big.padding = 20;
  CHECK(has(message([&] {
              augment::augment_randaug(packed, ok, augment::randaug_params(ok, {}, big, 32, 32),
                                       big, cn);
            }),
            "sides up to 64"));
  CHECK(has(message([&] { augment::randaug_params(ok, {}, big, 16, 32); }),
            "image 16x32 with padding 20 is smaller than the crop 65"));
  augment::RandAugConfig three = cfg;
  three.rand.num_ops = 3;
  CHECK(
      has(message([&] { augment::randaug_params(ok, {}, three, 32, 32); }), "bad RandAugment n=3"));
  augment::RandViewConfig bad_view = view;
  bad_view.rand.prob = -0.5;
  CHECK(has(message([&] { augment::rand_view_params(ok, {}, bad_view, 32, 32); }), "p=-0.5"));
  bad_view = view;
  bad_view.sim.gray_p = 2;
  CHECK(has(message([&] { augment::rand_view_params(ok, {}, bad_view, 32, 32); }), "gray_p 2"));
  std::vector<augment::RandAugParams> ps = augment::params_to_host<augment::RandAugParams>(params);
  ps[1].step[1] = fixed_rand_step(augment::kNumRandOps, 5, 1, 0, 32);
  CHECK(has(message([&] {
              augment::augment_randaug(packed, ok, augment::params_from_host(ps, Device::CPU), cfg,
                                       cn);
            }),
            "params[1] step 1 has op 15"));
  ps[1].step[1] = fixed_rand_step(static_cast<int32_t>(augment::RandOp::SolarizeAdd), 5, 1, 0, 32);
  ps[1].step[1].argument = -3;
  CHECK(has(message([&] {
              augment::augment_randaug(packed, ok, augment::params_from_host(ps, Device::CPU), cfg,
                                       cn);
            }),
            "argument -3"));
  ps[1].step[1].applied = 0;  // a step that does not run is not checked
  ps[0].step[0] = fixed_rand_step(static_cast<int32_t>(augment::RandOp::ShearX), 5, 1, 2, 32);
  CHECK(has(message([&] {
              augment::augment_randaug(packed, ok, augment::params_from_host(ps, Device::CPU), cfg,
                                       cn);
            }),
            "params[0] step 0 has op 11, resample 2"));
  std::vector<augment::RandViewParams> vs = augment::params_to_host<augment::RandViewParams>(
      augment::rand_view_params(ok, {}, view, 32, 32));
  vs[0].sim.top = 20;
  vs[0].sim.height = 13;
  CHECK(has(message([&] {
              augment::augment_rand_view(packed, ok, augment::params_from_host(vs, Device::CPU),
                                         view, cn);
            }),
            "params[0]'s box (top 20"));
  const Tensor none = index_tensor({});
  CHECK(augment::augment_randaug(packed, none, augment::randaug_params(none, {}, cfg, 32, 32), cfg,
                                 cn)
            .shape() == Shape{0, 3, 32, 32});
}
