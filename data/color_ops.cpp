// The colour and tone ops on whole images: augment_pixels.h's steps run over the image by a
// SerialLoop (the formulas are there, written once for the CPU loader and the batched kernels).
#include "data/color_ops.h"

#include "tensor/error.h"

namespace bcl::data {

using augment::StepSpec;

Image apply_step(const Image& img, const StepSpec& s) {
  Image a = img, b;
  if (s.op == augment::kOpWarp || s.op == augment::kOpSharpness) b = Image(img.height, img.width);
  augment::SerialLoop loop;
  const uint8_t* out =
      augment::run_step(loop, s, a.pixels.data(), b.pixels.data(), img.height, img.width);
  return out == a.pixels.data() ? a : b;
}

namespace {
Image step(const Image& img, int32_t op, double factor = 1) {
  StepSpec s;
  s.op = op;
  s.factor = static_cast<float>(factor);
  return apply_step(img, s);
}
}  // namespace

uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  return augment::luma(r, g, b);
}
Image to_grayscale(const Image& img) {
  return step(img, augment::kOpGrayscale);
}

uint8_t blend_value(uint8_t a, uint8_t b, float alpha) {
  return augment::blend_value(a, b, alpha);
}
Image blend(const Image& a, const Image& b, float alpha) {
  BCL_CHECK(a.height == b.height && a.width == b.width, "blend: images ", a.height, "x", a.width,
            " and ", b.height, "x", b.width, " differ in size");
  Image out(a.height, a.width);
  for (size_t i = 0; i < a.pixels.size(); ++i)
    out.pixels[i] = augment::blend_value(a.pixels[i], b.pixels[i], alpha);
  return out;
}

Image adjust_brightness(const Image& img, double factor) {
  return step(img, augment::kOpBrightness, factor);
}
Image adjust_contrast(const Image& img, double factor) {
  return step(img, augment::kOpContrast, factor);
}
Image adjust_saturation(const Image& img, double factor) {
  return step(img, augment::kOpSaturation, factor);
}
Image adjust_sharpness(const Image& img, double factor) {
  return step(img, augment::kOpSharpness, factor);
}

std::array<uint8_t, 3> rgb_to_hsv(uint8_t r, uint8_t g, uint8_t b) {
  std::array<uint8_t, 3> hsv{};
  augment::rgb_to_hsv(r, g, b, hsv.data());
  return hsv;
}
std::array<uint8_t, 3> hsv_to_rgb(uint8_t h, uint8_t s, uint8_t v) {
  std::array<uint8_t, 3> rgb{};
  augment::hsv_to_rgb(h, s, v, rgb.data());
  return rgb;
}
Image adjust_hue(const Image& img, double hue_factor) {
  BCL_CHECK(hue_factor >= -0.5 && hue_factor <= 0.5, "adjust_hue: factor ", hue_factor,
            " outside [-0.5, 0.5]");
  StepSpec s;
  s.op = augment::kOpHue;
  s.shift = augment::hue_shift(hue_factor);
  return apply_step(img, s);
}

Image smooth3x3(const Image& img) {
  Image out(img.height, img.width);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x)
      for (int c = 0; c < 3; ++c)
        out.at(y, x, c) = augment::smooth_value(img.pixels.data(), img.height, img.width, y, x, c);
  return out;
}

Image apply_lut(const Image& img, const std::array<uint8_t, 256>& lut) {
  Image out(img.height, img.width);
  for (size_t i = 0; i < img.pixels.size(); ++i) out.pixels[i] = lut[img.pixels[i]];
  return out;
}

Image posterize(const Image& img, int bits) {
  BCL_CHECK(bits >= 0 && bits <= 8, "posterize: bits ", bits, " outside [0, 8]");
  StepSpec s;
  s.op = augment::kOpPosterize;
  s.bits = bits;
  return apply_step(img, s);
}
Image solarize(const Image& img, double threshold) {
  StepSpec s;
  s.op = augment::kOpSolarize;
  s.threshold = threshold;
  return apply_step(img, s);
}
Image solarize_add(const Image& img, int add, int threshold) {
  StepSpec s;
  s.op = augment::kOpSolarizeAdd;
  s.add = add;
  s.threshold = threshold;
  return apply_step(img, s);
}
Image invert(const Image& img) {
  return step(img, augment::kOpInvert);
}
Image autocontrast(const Image& img) {
  return step(img, augment::kOpAutoContrast);
}
Image equalize(const Image& img) {
  return step(img, augment::kOpEqualize);
}

}  // namespace bcl::data
