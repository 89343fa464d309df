#include "data/color_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/error.h"

namespace bcl::data {
namespace {

// x * y rounded on its own. PIL's builds multiply and add separately; with -march=native the
// compiler may fuse a product and a following sum into one multiply-add, which rounds once and
// moves some truncated results by 1. Going through a volatile keeps the two roundings.
float mul(float x, float y) {
  volatile float p = x * y;
  return p;
}
double mul(double x, double y) {
  volatile double p = x * y;
  return p;
}

// PIL's CLIP8: an int clamped to [0, 255].
uint8_t clip8(int v) {
  return static_cast<uint8_t>(v <= 0 ? 0 : v < 256 ? v : 255);
}

// A float truncated toward zero and clamped to [0, 255], as PIL's filters and Image.blend store
// their results.
uint8_t clip8_float(float v) {
  if (v <= 0.f) return 0;
  if (v >= 255.f) return 255;
  return static_cast<uint8_t>(v);
}

Image constant_like(const Image& img, uint8_t value) {
  Image out(img.height, img.width);
  std::fill(out.pixels.begin(), out.pixels.end(), value);
  return out;
}

}  // namespace

uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  // 19595 / 65536 = 0.298996, 38470 / 65536 = 0.587006, 7471 / 65536 = 0.113998: the 601-2 weights
  // in 16.16 fixed point (summing to exactly 65536, so white stays 255); + 2^15 rounds.
  const uint32_t l = 19595u * r + 38470u * g + 7471u * b + 0x8000u;
  return static_cast<uint8_t>(l >> 16);
}

Image to_grayscale(const Image& img) {
  Image out(img.height, img.width);
  const size_t n = img.pixels.size();
  for (size_t i = 0; i < n; i += 3) {
    const uint8_t l = luma(img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]);
    out.pixels[i] = out.pixels[i + 1] = out.pixels[i + 2] = l;
  }
  return out;
}

uint8_t blend_value(uint8_t a, uint8_t b, float alpha) {
  // out = a + alpha * (b - a), evaluated in float as PIL's ImagingBlend does. For alpha in [0, 1]
  // the result lies between a and b and is truncated; outside it is also clamped to [0, 255].
  const float v = static_cast<float>(a) + mul(alpha, static_cast<float>(static_cast<int>(b) - a));
  return clip8_float(v);
}

Image blend(const Image& a, const Image& b, float alpha) {
  BCL_CHECK(a.height == b.height && a.width == b.width, "blend: images ", a.height, "x", a.width,
            " and ", b.height, "x", b.width, " differ in size");
  // PIL's shortcuts: alpha 0 and 1 return copies of a and b.
  if (alpha == 0.f) return a;
  if (alpha == 1.f) return b;
  Image out(a.height, a.width);
  for (size_t i = 0; i < a.pixels.size(); ++i)
    out.pixels[i] = blend_value(a.pixels[i], b.pixels[i], alpha);
  return out;
}

Image adjust_brightness(const Image& img, double factor) {
  // blend(black, img, f) = f * img, truncated and clamped.
  return blend(constant_like(img, 0), img, static_cast<float>(factor));
}

Image adjust_contrast(const Image& img, double factor) {
  // The degenerate image is the mean luma m = int(sum(L) / count + 0.5) everywhere, so
  // out = m + f * (img - m).
  uint64_t sum = 0;
  const size_t n = img.pixels.size();
  for (size_t i = 0; i < n; i += 3)
    sum += luma(img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]);
  const double count = static_cast<double>(img.height * img.width);
  const auto mean = static_cast<uint8_t>(count > 0 ? static_cast<int>(sum / count + 0.5) : 0);
  return blend(constant_like(img, mean), img, static_cast<float>(factor));
}

Image adjust_saturation(const Image& img, double factor) {
  // out = L + f * (img - L): 0 gives the grayscale image, > 1 exaggerates the colour.
  return blend(to_grayscale(img), img, static_cast<float>(factor));
}

Image adjust_sharpness(const Image& img, double factor) {
  // out = S + f * (img - S) with S the smoothed image: < 1 blurs, > 1 sharpens (unsharp masking).
  return blend(smooth3x3(img), img, static_cast<float>(factor));
}

std::array<uint8_t, 3> rgb_to_hsv(uint8_t r, uint8_t g, uint8_t b) {
  // colorsys's formulas on [0, 255] values, in PIL's mix of float and double, then scaled to 8
  // bits:
  //   V = max, S = (max - min) / max, H = sector offset + (distance terms) / 6, wrapped into [0,
  //   1).
  const uint8_t maxc = std::max(r, std::max(g, b));
  const uint8_t minc = std::min(r, std::min(g, b));
  if (maxc == minc) return {0, 0, maxc};
  const float cr = static_cast<float>(maxc - minc);
  const float s = cr / static_cast<float>(maxc);
  const float rc = static_cast<float>(maxc - r) / cr;
  const float gc = static_cast<float>(maxc - g) / cr;
  const float bc = static_cast<float>(maxc - b) / cr;
  float h;
  if (r == maxc) {
    h = bc - gc;
  } else if (g == maxc) {
    h = static_cast<float>(2.0 + rc - bc);
  } else {
    h = static_cast<float>(4.0 + gc - rc);
  }
  h = static_cast<float>(std::fmod(h / 6.0 + 1.0, 1.0));
  return {clip8(static_cast<int>(h * 255.0)), clip8(static_cast<int>(s * 255.0)), maxc};
}

std::array<uint8_t, 3> hsv_to_rgb(uint8_t h, uint8_t s, uint8_t v) {
  // Sector i = floor(6 H / 255), fraction f within it; p = V (1 - S), q = V (1 - S f),
  // t = V (1 - S (1 - f)), each rounded half away from zero; the sector picks the RGB order.
  if (s == 0) return {v, v, v};
  const int i = static_cast<int>(std::floor(static_cast<float>(h) * 6.0 / 255.0));
  const auto f = static_cast<float>(static_cast<float>(h) * 6.0 / 255.0 - static_cast<float>(i));
  const auto fs = static_cast<float>(static_cast<float>(s) / 255.0);
  const uint8_t p = clip8(static_cast<int>(std::round(static_cast<float>(v) * (1.0 - fs))));
  const uint8_t q = clip8(static_cast<int>(std::round(static_cast<float>(v) * (1.0 - fs * f))));
  const uint8_t t =
      clip8(static_cast<int>(std::round(static_cast<float>(v) * (1.0 - mul(double{fs}, 1.0 - f)))));
  switch (i % 6) {
    case 0:
      return {v, t, p};
    case 1:
      return {q, v, p};
    case 2:
      return {p, v, t};
    case 3:
      return {p, q, v};
    case 4:
      return {t, p, v};
    default:
      return {v, p, q};
  }
}

Image adjust_hue(const Image& img, double hue_factor) {
  BCL_CHECK(hue_factor >= -0.5 && hue_factor <= 0.5, "adjust_hue: factor ", hue_factor,
            " outside [-0.5, 0.5]");
  // numpy's uint8(hue_factor * 255): truncated toward zero, then taken modulo 256, so a negative
  // shift wraps (-0.1 -> -25 -> 231) and H + shift wraps around the hue circle.
  const auto shift = static_cast<uint8_t>(static_cast<int>(hue_factor * 255.0) & 0xFF);
  Image out(img.height, img.width);
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    std::array<uint8_t, 3> hsv = rgb_to_hsv(img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]);
    const std::array<uint8_t, 3> rgb =
        hsv_to_rgb(static_cast<uint8_t>(hsv[0] + shift), hsv[1], hsv[2]);
    out.pixels[i] = rgb[0];
    out.pixels[i + 1] = rgb[1];
    out.pixels[i + 2] = rgb[2];
  }
  return out;
}

Image smooth3x3(const Image& img) {
  // PIL's ImagingFilter3x3 with the SMOOTH kernel, each weight divided by 13 beforehand:
  //   out = trunc(0.5 + sum_k (w_k / 13) v_k), clamped, for interior pixels; the first and last
  //   rows and columns are copied. Images smaller than 3x3 are returned unchanged.
  if (img.height < 3 || img.width < 3) return img;
  const float centre = 5.f / 13.f, side = 1.f / 13.f;
  Image out = img;
  for (int64_t y = 1; y + 1 < img.height; ++y) {
    for (int64_t x = 1; x + 1 < img.width; ++x) {
      for (int64_t c = 0; c < Image::kChannels; ++c) {
        float ss = 0.5f;
        // Row by row as PIL sums them: the row below, the row itself, the row above.
        for (int64_t dy : {1, 0, -1}) {
          const float k1 = dy == 0 ? centre : side;
          ss += mul(static_cast<float>(img.at(y + dy, x - 1, c)), side) +
                mul(static_cast<float>(img.at(y + dy, x, c)), k1) +
                mul(static_cast<float>(img.at(y + dy, x + 1, c)), side);
        }
        out.at(y, x, c) = clip8_float(ss);
      }
    }
  }
  return out;
}

Image apply_lut(const Image& img, const std::array<uint8_t, 256>& lut) {
  Image out(img.height, img.width);
  for (size_t i = 0; i < img.pixels.size(); ++i) out.pixels[i] = lut[img.pixels[i]];
  return out;
}

Image posterize(const Image& img, int bits) {
  BCL_CHECK(bits >= 0 && bits <= 8, "posterize: bits ", bits, " outside [0, 8]");
  // Keeps the `bits` most significant bits: mask = ~(2^(8 - bits) - 1).
  const auto mask = static_cast<uint8_t>(~((1u << (8 - bits)) - 1u) & 0xFFu);
  std::array<uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v & mask);
  return apply_lut(img, lut);
}

Image solarize(const Image& img, double threshold) {
  std::array<uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v < threshold ? v : 255 - v);
  return apply_lut(img, lut);
}

Image solarize_add(const Image& img, int add, int threshold) {
  std::array<uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v)
    lut[v] = static_cast<uint8_t>(v < threshold ? std::min(255, v + add) : v);
  return apply_lut(img, lut);
}

Image invert(const Image& img) {
  std::array<uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(255 - v);
  return apply_lut(img, lut);
}

namespace {

// Per-channel 256-bin histograms.
std::array<std::array<int64_t, 256>, 3> histograms(const Image& img) {
  std::array<std::array<int64_t, 256>, 3> h{};
  for (size_t i = 0; i < img.pixels.size(); ++i) ++h[i % 3][img.pixels[i]];
  return h;
}

// Applies one table per channel.
Image apply_luts(const Image& img, const std::array<std::array<uint8_t, 256>, 3>& luts) {
  Image out(img.height, img.width);
  for (size_t i = 0; i < img.pixels.size(); ++i) out.pixels[i] = luts[i % 3][img.pixels[i]];
  return out;
}

}  // namespace

Image autocontrast(const Image& img) {
  const auto h = histograms(img);
  std::array<std::array<uint8_t, 256>, 3> luts{};
  for (int c = 0; c < 3; ++c) {
    int lo = 0, hi = 255;
    while (lo < 255 && h[c][lo] == 0) ++lo;
    while (hi > 0 && h[c][hi] == 0) --hi;
    for (int v = 0; v < 256; ++v) {
      if (hi <= lo) {
        luts[c][v] = static_cast<uint8_t>(v);  // one value (or none): left as is
      } else {
        // scale = 255 / (hi - lo), offset = -lo * scale; int() truncates toward zero.
        const double scale = 255.0 / (hi - lo), offset = -lo * scale;
        luts[c][v] = clip8(static_cast<int>(mul(static_cast<double>(v), scale) + offset));
      }
    }
  }
  return apply_luts(img, luts);
}

Image equalize(const Image& img) {
  // Per channel, with histogram h and the occupied bins' counts:
  //   step = (count of pixels - count in the highest occupied bin) // 255
  //   lut[v] = (step // 2 + sum_{u < v} h[u]) // step, clamped to 255 (PIL's point() clips)
  // A channel with one occupied value, or step 0, is left as is.
  const auto h = histograms(img);
  std::array<std::array<uint8_t, 256>, 3> luts{};
  for (int c = 0; c < 3; ++c) {
    int64_t total = 0, last = 0, occupied = 0;
    for (int v = 0; v < 256; ++v) {
      if (h[c][v] == 0) continue;
      total += h[c][v];
      last = h[c][v];
      ++occupied;
    }
    const int64_t step = occupied <= 1 ? 0 : (total - last) / 255;
    int64_t n = step / 2;
    for (int v = 0; v < 256; ++v) {
      if (step == 0) {
        luts[c][v] = static_cast<uint8_t>(v);
        continue;
      }
      luts[c][v] = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
      n += h[c][v];
    }
  }
  return apply_luts(img, luts);
}

}  // namespace bcl::data
