// AutoAugment (the CIFAR-10 policy) and RandAugment, and the PIL affine warps they use.
//
// AutoAugment (Cubuk et al., CVPR 2019) as DeepVoltaire's CIFAR10Policy, which the BCL code uses:
// each image gets one of 25 sub-policies, chosen uniformly; a sub-policy is two (probability, op,
// magnitude index) steps, each applied with its probability. Magnitude index i in [0, 9] picks the
// i-th of 10 evenly spaced values of the op's range; shear, translate and the enhance ops take a
// random sign. Shears are bicubic, translations and rotations nearest-neighbour, as there.
//
// RandAugment as timm's rand_augment_transform("rand-n2-m10-mstd0.5") in the copy the BCL code
// imports: N ops drawn uniformly with replacement from 15, each applied with probability 0.5, with
// a magnitude drawn from N(M, mstd) and clipped to [0, 10], mapped to the op's argument by timm's
// level functions; geometric ops resample bilinearly or bicubically (chosen at random) and fill
// with the given colour (the dataset's mean colour in BCL).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/augment_draws.h"
#include "data/dataset.h"
#include "tensor/random.h"

namespace bcl::data {

using Rgb = std::array<uint8_t, 3>;

// ---- PIL affine warps -----------------------------------------------------------------------

enum class Resample { Nearest, Bilinear, Bicubic };

// PIL's Image.transform(size, AFFINE, m, resample, fillcolor=fill): output pixel (x, y) (its centre
// at (x + 0.5, y + 0.5)) takes the input at
//   (m0 (x + 0.5) + m1 (y + 0.5) + m2,  m3 (x + 0.5) + m4 (y + 0.5) + m5),
// which must fall inside the image, else the pixel is `fill`. Nearest picks the pixel containing
// that point; bilinear (2x2) and bicubic (4x4, PIL's a = -1 cubic) interpolate between pixel
// centres with the neighbours clamped at the border, and truncate (bicubic also clamps) to uint8.
Image affine(const Image& img, const std::array<double, 6>& m, Resample resample, Rgb fill);
// The warps of the augmentation code, output the same size as the input:
//   shear_x(f): m = (1, f, 0, 0, 1, 0)      translate_x(t): m = (1, 0, t, 0, 1, 0)
//   shear_y(f): m = (1, 0, 0, f, 1, 0)      translate_y(t): m = (1, 0, 0, 0, 1, t)
// (t in pixels: translate_x(t) moves the content left by t.) rotate(deg) is PIL's Image.rotate:
// counter-clockwise about the image centre (w / 2, h / 2), 0 degrees (mod 360) returns the image.
Image shear_x(const Image& img, double factor, Resample resample, Rgb fill);
Image shear_y(const Image& img, double factor, Resample resample, Rgb fill);
Image translate_x(const Image& img, double pixels, Resample resample, Rgb fill);
Image translate_y(const Image& img, double pixels, Resample resample, Rgb fill);
Image rotate(const Image& img, double degrees, Resample resample, Rgb fill);

// ---- AutoAugment ----------------------------------------------------------------------------

// ShearX, ShearY, TranslateX, TranslateY, Rotate, Color, Posterize, Solarize, Contrast, Sharpness,
// Brightness, AutoContrast, Equalize, Invert.
using AutoAugmentOp = augment::PolicyOp;
std::string auto_augment_op_name(AutoAugmentOp op);

struct SubPolicy {
  double p1;
  AutoAugmentOp op1;
  int magnitude1;
  double p2;
  AutoAugmentOp op2;
  int magnitude2;
};
// The 25 CIFAR-10 sub-policies, in the paper's order.
const std::vector<SubPolicy>& cifar10_policy();

// The value magnitude index i in [0, 9] stands for (before any random sign):
//   shear 0.3 i/9; translate (150/331) i/9 of the image size; rotate 30 i/9 degrees;
//   color, contrast, sharpness, brightness 0.9 i/9 (factor 1 +- that);
//   posterize round(8 - 4 i/9) bits: 8 8 7 7 6 6 5 5 4 4; solarize threshold 256 - 256 i/9;
//   autocontrast, equalize, invert: none (0).
double auto_augment_magnitude(AutoAugmentOp op, int index);

// One step with its random sign (+1 or -1; ignored by ops without one). Rotations always turn
// counter-clockwise (DeepVoltaire's rotate takes no sign) and fill with (128, 128, 128); the other
// geometric ops fill with `fill`.
Image apply_auto_augment_op(const Image& img, AutoAugmentOp op, int index, int sign, Rgb fill);

// The random choices of one image: the sub-policy, whether each step runs, and the signs.
struct AutoAugmentDraw {
  int policy = 0;
  bool apply1 = false, apply2 = false;
  int sign1 = 1, sign2 = 1;
};
AutoAugmentDraw draw_auto_augment(Generator& gen);
Image apply_auto_augment(const Image& img, const AutoAugmentDraw& draw, Rgb fill);

// The op: draw_auto_augment then apply_auto_augment. DeepVoltaire's default fill is 128 grey.
ImageOpPtr cifar10_auto_augment(Rgb fill = {128, 128, 128});

// ---- RandAugment ----------------------------------------------------------------------------

// timm's order: AutoContrast, Equalize, Invert, Rotate, Posterize, Solarize, SolarizeAdd, Color,
// Contrast, Brightness, Sharpness, ShearX, ShearY, TranslateXRel, TranslateYRel.
using RandAugmentOp = augment::RandOp;
constexpr int kNumRandAugmentOps = augment::kNumRandOps;
std::string rand_augment_op_name(RandAugmentOp op);

struct RandAugmentOptions {
  int num_ops = 2;             // n
  double magnitude = 10;       // m
  double magnitude_std = 0.5;  // mstd
  double prob = 0.5;           // each drawn op runs with this probability
  Rgb fill{128, 128, 128};     // timm's default; BCL passes the dataset mean colour
};

// timm's level -> argument functions, before the random sign, for a magnitude in [0, 10]:
//   Rotate 30 m/10 degrees; ShearX/Y 0.3 m/10; TranslateX/YRel 0.45 m/10 of the size;
//   Posterize int(4 m/10) bits; Solarize threshold int(256 m/10); SolarizeAdd int(110 m/10)
//   (added below 128); Color, Contrast, Brightness, Sharpness factor 1.8 m/10 + 0.1;
//   AutoContrast, Equalize, Invert: none (0).
double rand_augment_argument(RandAugmentOp op, double magnitude);

// The random choices for one op slot.
struct RandAugmentStep {
  RandAugmentOp op = RandAugmentOp::AutoContrast;
  bool applied = false;  // false: the slot was skipped (probability 1 - prob)
  double magnitude = 0;  // after noise and clipping (only drawn when applied)
  double argument = 0;   // rand_augment_argument with the random sign applied
  Resample resample = Resample::Bilinear;
};
std::vector<RandAugmentStep> draw_rand_augment(const RandAugmentOptions& options, Generator& gen);
Image apply_rand_augment_step(const Image& img, const RandAugmentStep& step, Rgb fill);

ImageOpPtr rand_augment(const RandAugmentOptions& options = {});

}  // namespace bcl::data
