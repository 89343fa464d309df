#include "data/auto_augment.h"

#include <algorithm>
#include <cmath>

#include "data/color_ops.h"
#include "data/sampling.h"
#include "tensor/error.h"

namespace bcl::data {

// ---- PIL affine warps -----------------------------------------------------------------------

namespace {

// x * y rounded on its own, never fused with a following add (see color_ops.cpp: PIL's builds do
// not fuse, and a fused multiply-add moves some truncated results by 1).
double mul(double x, double y) {
  volatile double p = x * y;
  return p;
}

// PIL's COORD: a coordinate to the index of the pixel containing it (-1 for anything negative).
int coord(double v) {
  return v < 0.0 ? -1 : static_cast<int>(v);
}
// PIL's FLOOR.
int pil_floor(double v) {
  return v < 0.0 ? static_cast<int>(std::floor(v)) : static_cast<int>(v);
}

void put(Image& out, int64_t y, int64_t x, const uint8_t* rgb) {
  for (int64_t c = 0; c < Image::kChannels; ++c) out.at(y, x, c) = rgb[c];
}

// The a = -1 cubic through v1..v4 at fraction d between v2 and v3 (PIL's BICUBIC macro).
double cubic(double v1, double v2, double v3, double v4, double d) {
  const double p1 = v2, p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4;
  return p1 + mul(d, p2 + mul(d, p3 + mul(d, p4)));
}

// Bilinear or bicubic sample of channel c at (xin, yin) (pixel centres at +0.5), as PIL's
// bilinear_filter32RGB / bicubic_filter32RGB: columns clamped to the image; a row past the bottom
// edge repeats the previous row's value.
uint8_t interpolate(const Image& img, double xin, double yin, int64_t c, Resample resample) {
  xin -= 0.5;
  yin -= 0.5;
  int x = pil_floor(xin), y = pil_floor(yin);
  const double dx = xin - x, dy = yin - y;
  const auto H = static_cast<int>(img.height), W = static_cast<int>(img.width);
  auto xclip = [W](int v) { return v < 0 ? 0 : v < W ? v : W - 1; };
  auto yclip = [H](int v) { return v < 0 ? 0 : v < H ? v : H - 1; };
  if (resample == Resample::Bilinear) {
    const int x0 = xclip(x), x1 = xclip(x + 1);
    auto row = [&](int yy) {
      const double a = img.at(yy, x0, c), b = img.at(yy, x1, c);
      return a + mul(b - a, dx);
    };
    const double v1 = row(yclip(y));
    const double v2 = (y + 1 >= 0 && y + 1 < H) ? row(y + 1) : v1;
    return static_cast<uint8_t>(v1 + mul(v2 - v1, dy));
  }
  --x;
  --y;
  const int xs[4] = {xclip(x), xclip(x + 1), xclip(x + 2), xclip(x + 3)};
  auto row = [&](int yy) {
    return cubic(img.at(yy, xs[0], c), img.at(yy, xs[1], c), img.at(yy, xs[2], c),
                 img.at(yy, xs[3], c), dx);
  };
  double v[4];
  v[0] = row(yclip(y));
  for (int k = 1; k < 4; ++k) v[k] = (y + k >= 0 && y + k < H) ? row(y + k) : v[k - 1];
  const double out = cubic(v[0], v[1], v[2], v[3], dy);
  return out <= 0.0 ? 0 : out >= 255.0 ? 255 : static_cast<uint8_t>(out);
}

}  // namespace

Image affine(const Image& img, const std::array<double, 6>& a, Resample resample, Rgb fill) {
  const int64_t H = img.height, W = img.width;
  Image out(H, W);
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) put(out, y, x, fill.data());

  if (resample != Resample::Nearest) {
    // PIL's generic transform: every output pixel maps its centre and samples there.
    for (int64_t y = 0; y < H; ++y) {
      for (int64_t x = 0; x < W; ++x) {
        const double xin = mul(a[0], x + 0.5) + mul(a[1], y + 0.5) + a[2];
        const double yin = mul(a[3], x + 0.5) + mul(a[4], y + 0.5) + a[5];
        if (xin < 0.0 || xin >= W || yin < 0.0 || yin >= H) continue;
        for (int64_t c = 0; c < Image::kChannels; ++c)
          out.at(y, x, c) = interpolate(img, xin, yin, c, resample);
      }
    }
    return out;
  }

  auto copy_pixel = [&](int64_t y, int64_t x, int64_t yin, int64_t xin) {
    if (xin >= 0 && xin < W && yin >= 0 && yin < H)
      put(out, y, x, &img.pixels[(yin * W + xin) * 3]);
  };
  if (a[1] == 0 && a[3] == 0) {
    // PIL's ImagingScaleAffine (translations): source column COORD(m2 + m0 / 2 + x m0), summed
    // step by step in double as there; likewise the rows.
    double yo = a[5] + a[4] * 0.5;
    for (int64_t y = 0; y < H; ++y, yo += a[4]) {
      double xo = a[2] + a[0] * 0.5;
      for (int64_t x = 0; x < W; ++x, xo += a[0]) copy_pixel(y, x, coord(yo), coord(xo));
    }
    return out;
  }
  // PIL's affine_fixed: 16.16 fixed point, source index = accumulated value >> 16 (a floor).
  auto fits = [&](double x, double y) {
    return std::fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 &&
           std::fabs(x * a[3] + y * a[4] + a[5]) < 32768.0;
  };
  const auto w = static_cast<double>(W), h = static_cast<double>(H);
  if (fits(0, 0) && fits(w, h) && fits(0, h) && fits(w, 0)) {
    auto fix = [](double v) { return static_cast<int32_t>(pil_floor(v * 65536.0 + 0.5)); };
    const int32_t a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4]);
    int32_t a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5), a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
    for (int64_t y = 0; y < H; ++y, a2 += a1, a5 += a4) {
      int32_t xx = a2, yy = a5;
      for (int64_t x = 0; x < W; ++x, xx += a0, yy += a3) copy_pixel(y, x, yy >> 16, xx >> 16);
    }
    return out;
  }
  // Coordinates beyond fixed point's range: the nearest pixel of each mapped centre.
  for (int64_t y = 0; y < H; ++y) {
    for (int64_t x = 0; x < W; ++x) {
      copy_pixel(y, x, coord(mul(a[3], x + 0.5) + mul(a[4], y + 0.5) + a[5]),
                 coord(mul(a[0], x + 0.5) + mul(a[1], y + 0.5) + a[2]));
    }
  }
  return out;
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
  // Python's angle % 360 (non-negative), then the inverse map of a counter-clockwise rotation by
  // theta about (cx, cy): input = R(-theta) (output - c) + c, i.e. with a = -theta in radians
  //   m = (cos a, sin a, c0, -sin a, cos a, c1), c0 = cx - cx cos a - cy sin a,
  //   c1 = cy + cx sin a - cy cos a; PIL rounds the cosines and sines to 15 decimals.
  double angle = std::fmod(degrees, 360.0);
  if (angle < 0) angle += 360.0;
  if (angle == 0) return img;
  const double rad = -(angle * (M_PI / 180.0));
  // Python's round(v, 15): v's exact value to 15 decimals (half to even), then the nearest double.
  // The scaling is done in long double, whose 64-bit mantissa keeps the digits that decide it.
  auto round15 = [](double v) {
    const long double n = std::nearbyintl(static_cast<long double>(v) * 1e15L);
    return static_cast<double>(n) / 1e15;
  };
  const double ca = round15(std::cos(rad)), sa = round15(std::sin(rad)),
               msa = round15(-std::sin(rad));
  const double cx = img.width / 2.0, cy = img.height / 2.0;
  const double m2 = mul(ca, -cx) + mul(sa, -cy) + cx;
  const double m5 = mul(msa, -cx) + mul(ca, -cy) + cy;
  return affine(img, {ca, sa, m2, msa, ca, m5}, resample, fill);
}

// ---- AutoAugment ----------------------------------------------------------------------------

namespace {
using AA = AutoAugmentOp;
constexpr Rgb kRotateFill{128, 128, 128};

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

int random_sign(Generator& gen) {
  return gen.next_uniform() < 0.5 ? -1 : 1;
}

}  // namespace

std::string auto_augment_op_name(AutoAugmentOp op) {
  static const char* const names[] = {
      "shearX",   "shearY",   "translateX", "translateY", "rotate",       "color",    "posterize",
      "solarize", "contrast", "sharpness",  "brightness", "autocontrast", "equalize", "invert"};
  return names[static_cast<int>(op)];
}

const std::vector<SubPolicy>& cifar10_policy() {
  // Cubuk et al. 2019, Table 7 (CIFAR-10), in DeepVoltaire's CIFAR10Policy order.
  static const std::vector<SubPolicy> policy = {
      {0.1, AA::Invert, 7, 0.2, AA::Contrast, 6},
      {0.7, AA::Rotate, 2, 0.3, AA::TranslateX, 9},
      {0.8, AA::Sharpness, 1, 0.9, AA::Sharpness, 3},
      {0.5, AA::ShearY, 8, 0.7, AA::TranslateY, 9},
      {0.5, AA::AutoContrast, 8, 0.9, AA::Equalize, 2},
      {0.2, AA::ShearY, 7, 0.3, AA::Posterize, 7},
      {0.4, AA::Color, 3, 0.6, AA::Brightness, 7},
      {0.3, AA::Sharpness, 9, 0.7, AA::Brightness, 9},
      {0.6, AA::Equalize, 5, 0.5, AA::Equalize, 1},
      {0.6, AA::Contrast, 7, 0.6, AA::Sharpness, 5},
      {0.7, AA::Color, 7, 0.5, AA::TranslateX, 8},
      {0.3, AA::Equalize, 7, 0.4, AA::AutoContrast, 8},
      {0.4, AA::TranslateY, 3, 0.2, AA::Sharpness, 6},
      {0.9, AA::Brightness, 6, 0.2, AA::Color, 8},
      {0.5, AA::Solarize, 2, 0.0, AA::Invert, 3},
      {0.2, AA::Equalize, 0, 0.6, AA::AutoContrast, 0},
      {0.2, AA::Equalize, 8, 0.6, AA::Equalize, 4},
      {0.9, AA::Color, 9, 0.6, AA::Equalize, 6},
      {0.8, AA::AutoContrast, 4, 0.2, AA::Solarize, 8},
      {0.1, AA::Brightness, 3, 0.7, AA::Color, 0},
      {0.4, AA::Solarize, 5, 0.9, AA::AutoContrast, 3},
      {0.9, AA::TranslateY, 9, 0.7, AA::TranslateY, 9},
      {0.9, AA::AutoContrast, 2, 0.8, AA::Solarize, 3},
      {0.8, AA::Equalize, 8, 0.1, AA::Invert, 3},
      {0.7, AA::TranslateY, 9, 0.9, AA::AutoContrast, 1},
  };
  return policy;
}

double auto_augment_magnitude(AutoAugmentOp op, int index) {
  BCL_CHECK(index >= 0 && index <= 9, "autoaugment: magnitude index ", index, " outside [0, 9]");
  // numpy.linspace(lo, hi, 10)[i] = lo + i (hi - lo) / 9.
  auto linspace = [index](double lo, double hi) { return lo + index * ((hi - lo) / 9.0); };
  switch (op) {
    case AA::ShearX:
    case AA::ShearY:
      return linspace(0, 0.3);
    case AA::TranslateX:
    case AA::TranslateY:
      return linspace(0, 150.0 / 331.0);
    case AA::Rotate:
      return linspace(0, 30);
    case AA::Color:
    case AA::Contrast:
    case AA::Sharpness:
    case AA::Brightness:
      return linspace(0, 0.9);
    case AA::Posterize:
      return std::round(linspace(8, 4));  // no value is a tie, so half-to-even does not matter
    case AA::Solarize:
      return linspace(256, 0);
    default:
      return 0;
  }
}

Image apply_auto_augment_op(const Image& img, AutoAugmentOp op, int index, int sign, Rgb fill) {
  const double m = auto_augment_magnitude(op, index);
  const double s = sign < 0 ? -1.0 : 1.0;
  switch (op) {
    case AA::ShearX:
      return shear_x(img, m * s, Resample::Bicubic, fill);
    case AA::ShearY:
      return shear_y(img, m * s, Resample::Bicubic, fill);
    case AA::TranslateX:
      return translate_x(img, m * img.width * s, Resample::Nearest, fill);
    case AA::TranslateY:
      return translate_y(img, m * img.height * s, Resample::Nearest, fill);
    case AA::Rotate:
      return rotate(img, m, Resample::Nearest, kRotateFill);
    case AA::Color:
      return adjust_saturation(img, 1 + m * s);
    case AA::Posterize:
      return posterize(img, static_cast<int>(m));
    case AA::Solarize:
      return solarize(img, m);
    case AA::Contrast:
      return adjust_contrast(img, 1 + m * s);
    case AA::Sharpness:
      return adjust_sharpness(img, 1 + m * s);
    case AA::Brightness:
      return adjust_brightness(img, 1 + m * s);
    case AA::AutoContrast:
      return autocontrast(img);
    case AA::Equalize:
      return equalize(img);
    case AA::Invert:
      return invert(img);
  }
  return img;
}

AutoAugmentDraw draw_auto_augment(Generator& gen) {
  AutoAugmentDraw d;
  const std::vector<SubPolicy>& policy = cifar10_policy();
  d.policy = static_cast<int>(random_below(gen, policy.size()));
  const SubPolicy& p = policy[static_cast<size_t>(d.policy)];
  d.apply1 = gen.next_uniform() < p.p1;
  d.sign1 = random_sign(gen);
  d.apply2 = gen.next_uniform() < p.p2;
  d.sign2 = random_sign(gen);
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

bool is_signed(RandAugmentOp op) {
  return op == RA::Rotate || op == RA::ShearX || op == RA::ShearY || op == RA::TranslateXRel ||
         op == RA::TranslateYRel;
}

// A standard normal from two uniforms (Box-Muller).
double standard_normal(Generator& gen) {
  const double u1 = 1.0 - gen.next_uniform();  // (0, 1]
  const double u2 = gen.next_uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

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
  const double level = m / 10.0;
  switch (op) {
    case RA::Rotate:
      return level * 30.0;
    case RA::ShearX:
    case RA::ShearY:
      return level * 0.3;
    case RA::TranslateXRel:
    case RA::TranslateYRel:
      return level * 0.45;
    case RA::Posterize:
      return static_cast<int>(level * 4);
    case RA::Solarize:
      return static_cast<int>(level * 256);
    case RA::SolarizeAdd:
      return static_cast<int>(level * 110);
    case RA::Color:
    case RA::Contrast:
    case RA::Brightness:
    case RA::Sharpness:
      return level * 1.8 + 0.1;
    default:
      return 0;
  }
}

std::vector<RandAugmentStep> draw_rand_augment(const RandAugmentOptions& o, Generator& gen) {
  std::vector<RandAugmentStep> steps(static_cast<size_t>(o.num_ops));
  for (RandAugmentStep& s : steps) {
    s.op = static_cast<RandAugmentOp>(random_below(gen, kNumRandAugmentOps));
    // timm skips the op when random() > prob.
    s.applied = !(gen.next_uniform() > o.prob);
    if (!s.applied) continue;
    double m = o.magnitude;
    if (o.magnitude_std > 0) m += o.magnitude_std * standard_normal(gen);
    s.magnitude = std::clamp(m, 0.0, 10.0);
    s.argument = rand_augment_argument(s.op, s.magnitude);
    // timm's _randomly_negate: -v when random() > 0.5.
    if (is_signed(s.op) && gen.next_uniform() > 0.5) s.argument = -s.argument;
    s.resample = gen.next_uniform() < 0.5 ? Resample::Bilinear : Resample::Bicubic;
  }
  return steps;
}

Image apply_rand_augment_step(const Image& img, const RandAugmentStep& s, Rgb fill) {
  const double v = s.argument;
  switch (s.op) {
    case RA::AutoContrast:
      return autocontrast(img);
    case RA::Equalize:
      return equalize(img);
    case RA::Invert:
      return invert(img);
    case RA::Rotate:
      return rotate(img, v, s.resample, fill);
    case RA::Posterize:
      return posterize(img, std::min(8, static_cast<int>(v)));
    case RA::Solarize:
      return solarize(img, v);
    case RA::SolarizeAdd:
      return solarize_add(img, static_cast<int>(v), 128);
    case RA::Color:
      return adjust_saturation(img, v);
    case RA::Contrast:
      return adjust_contrast(img, v);
    case RA::Brightness:
      return adjust_brightness(img, v);
    case RA::Sharpness:
      return adjust_sharpness(img, v);
    case RA::ShearX:
      return shear_x(img, v, s.resample, fill);
    case RA::ShearY:
      return shear_y(img, v, s.resample, fill);
    case RA::TranslateXRel:
      return translate_x(img, v * img.width, s.resample, fill);
    case RA::TranslateYRel:
      return translate_y(img, v * img.height, s.resample, fill);
  }
  return img;
}

ImageOpPtr rand_augment(const RandAugmentOptions& options) {
  return std::make_shared<RandAugment>(options);
}

}  // namespace bcl::data
