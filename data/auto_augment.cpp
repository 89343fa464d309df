#include "data/auto_augment.h"

#include "data/color_ops.h"
#include "data/sampling.h"
#include "tensor/error.h"

namespace bcl::data {

// ---- PIL affine warps -----------------------------------------------------------------------

Image affine(const Image& img, const std::array<double, 6>& m, Resample resample, Rgb fill) {
  augment::StepSpec s;
  s.op = augment::kOpWarp;
  s.warp =
      augment::make_warp(m.data(), static_cast<int>(resample), fill.data(), img.height, img.width);
  return apply_step(img, s);
}

Image shear_x(const Image& img, double factor, Resample resample, Rgb fill) {
  return affine(img, {1, factor, 0, 0, 1, 0}, resample, fill);
}
Image shear_y(const Image& img, double factor, Resample resample, Rgb fill) {
  return affine(img, {1, 0, 0, factor, 1, 0}, resample, fill);
}
Image translate_x(const Image& img, double pixels, Resample resample, Rgb fill) {
  return affine(img, {1, 0, pixels, 0, 1, 0}, resample, fill);
}
Image translate_y(const Image& img, double pixels, Resample resample, Rgb fill) {
  return affine(img, {1, 0, 0, 0, 1, pixels}, resample, fill);
}

Image rotate(const Image& img, double degrees, Resample resample, Rgb fill) {
  std::array<double, 6> m{};
  if (!augment::rotation_matrix(degrees, img.height, img.width, m.data())) return img;
  return affine(img, m, resample, fill);
}

// ---- AutoAugment ----------------------------------------------------------------------------

namespace {
using AA = AutoAugmentOp;

// One ImageOp for the whole policy.
class Cifar10AutoAugment : public ImageOp {
 public:
  explicit Cifar10AutoAugment(Rgb fill) : fill_(fill) {}
  Image apply(const Image& img, Generator& gen) const override {
    return apply_auto_augment(img, draw_auto_augment(gen), fill_);
  }
  std::string name() const override { return "autoaugment(cifar10)"; }

 private:
  Rgb fill_;
};

}  // namespace

std::string auto_augment_op_name(AutoAugmentOp op) {
  static const char* const names[] = {
      "shearX",   "shearY",   "translateX", "translateY", "rotate",       "color",    "posterize",
      "solarize", "contrast", "sharpness",  "brightness", "autocontrast", "equalize", "invert"};
  return names[static_cast<int>(op)];
}

const std::vector<SubPolicy>& cifar10_policy() {
  static const std::vector<SubPolicy> policy = [] {
    std::vector<SubPolicy> p;
    for (int32_t i = 0; i < augment::kNumSubPolicies; ++i) {
      const augment::PolicyStep a = augment::cifar10_policy_step(i, 0);
      const augment::PolicyStep b = augment::cifar10_policy_step(i, 1);
      p.push_back(
          {a.p, static_cast<AA>(a.op), a.magnitude, b.p, static_cast<AA>(b.op), b.magnitude});
    }
    return p;
  }();
  return policy;
}

double auto_augment_magnitude(AutoAugmentOp op, int index) {
  BCL_CHECK(index >= 0 && index <= 9, "autoaugment: magnitude index ", index, " outside [0, 9]");
  return augment::policy_magnitude(static_cast<int32_t>(op), index);
}

Image apply_auto_augment_op(const Image& img, AutoAugmentOp op, int index, int sign, Rgb fill) {
  auto_augment_magnitude(op, index);  // checks the index
  const augment::Warp rotation =
      op == AA::Rotate ? augment::policy_rotation(index, img.height, img.width) : augment::Warp();
  return apply_step(img, augment::policy_step(static_cast<int32_t>(op), index, sign, img.height,
                                              img.width, fill.data(), rotation));
}

AutoAugmentDraw draw_auto_augment(Generator& gen) {
  const augment::PolicyDraw p = augment::draw_policy(gen);
  AutoAugmentDraw d;
  d.policy = p.policy;
  d.apply1 = p.apply[0];
  d.apply2 = p.apply[1];
  d.sign1 = p.sign[0];
  d.sign2 = p.sign[1];
  return d;
}

Image apply_auto_augment(const Image& img, const AutoAugmentDraw& d, Rgb fill) {
  const SubPolicy& p = cifar10_policy().at(static_cast<size_t>(d.policy));
  Image out = d.apply1 ? apply_auto_augment_op(img, p.op1, p.magnitude1, d.sign1, fill) : img;
  if (d.apply2) out = apply_auto_augment_op(out, p.op2, p.magnitude2, d.sign2, fill);
  return out;
}

ImageOpPtr cifar10_auto_augment(Rgb fill) {
  return std::make_shared<Cifar10AutoAugment>(fill);
}

// ---- RandAugment ----------------------------------------------------------------------------

namespace {
using RA = RandAugmentOp;

class RandAugment : public ImageOp {
 public:
  explicit RandAugment(const RandAugmentOptions& o) : o_(o) {
    BCL_CHECK(o.num_ops >= 0 && o.prob >= 0 && o.prob <= 1 && o.magnitude_std >= 0,
              "rand_augment: bad options n=", o.num_ops, " p=", o.prob, " mstd=", o.magnitude_std);
  }
  Image apply(const Image& img, Generator& gen) const override {
    Image out = img;
    for (const RandAugmentStep& step : draw_rand_augment(o_, gen))
      if (step.applied) out = apply_rand_augment_step(out, step, o_.fill);
    return out;
  }
  std::string name() const override {
    return detail::cat("randaugment(n", o_.num_ops, ", m", o_.magnitude, ", mstd", o_.magnitude_std,
                       ")");
  }

 private:
  RandAugmentOptions o_;
};

}  // namespace

std::string rand_augment_op_name(RandAugmentOp op) {
  static const char* const names[] = {"AutoContrast", "Equalize",      "Invert",       "Rotate",
                                      "Posterize",    "Solarize",      "SolarizeAdd",  "Color",
                                      "Contrast",     "Brightness",    "Sharpness",    "ShearX",
                                      "ShearY",       "TranslateXRel", "TranslateYRel"};
  return names[static_cast<int>(op)];
}

double rand_augment_argument(RandAugmentOp op, double m) {
  return augment::rand_argument(static_cast<int32_t>(op), m);
}

std::vector<RandAugmentStep> draw_rand_augment(const RandAugmentOptions& o, Generator& gen) {
  augment::RandAugmentSpec spec;
  spec.magnitude = o.magnitude;
  spec.magnitude_std = o.magnitude_std;
  spec.prob = o.prob;
  std::vector<RandAugmentStep> steps(static_cast<size_t>(o.num_ops));
  for (RandAugmentStep& s : steps) {
    const augment::RandStep r = augment::draw_rand_step(gen, spec);
    s.op = static_cast<RandAugmentOp>(r.op);
    s.applied = r.applied;
    s.magnitude = r.magnitude;
    s.argument = r.argument;
    s.resample = r.resample == augment::kRandBicubic ? Resample::Bicubic : Resample::Bilinear;
  }
  return steps;
}

Image apply_rand_augment_step(const Image& img, const RandAugmentStep& s, Rgb fill) {
  augment::RandStep r;
  r.op = static_cast<int32_t>(s.op);
  r.applied = s.applied;
  r.resample = s.resample == Resample::Bicubic ? augment::kRandBicubic : augment::kRandBilinear;
  r.argument = s.argument;
  augment::set_rand_warp(r, img.height, img.width);
  return apply_step(img, augment::rand_step_spec(r, img.height, img.width, fill.data()));
}

ImageOpPtr rand_augment(const RandAugmentOptions& options) {
  return std::make_shared<RandAugment>(options);
}

}  // namespace bcl::data
