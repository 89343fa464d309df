// Direct 3x3 convolution (stride 1, padding 1) for float32 with AVX2 FMA.
//
//   y[o, h, q] = bias[o] + sum over c, i, j of w[o, c, i, j] x[c, h + i - 1, q + j - 1]
//
// For narrow layers (ResNet's 16-channel stage: 16 output channels, 144 terms per output) an
// im2col + GEMM spends as long copying and packing as multiplying. Here the products are formed
// straight from the image, 8 output positions to a vector register:
//   - Three shifted copies of the padded image, xs[j][c][r][q] = x[c, r - 1, q + j - 1] (zero
//     outside x), for r in [0, H + 2): the 8 inputs of tap (i, j) for outputs (h, q..q+7) are then
//     one aligned load, xs[j][c][h + i][q..q+7]. (Unaligned loads from a single padded copy ran
//     ~20% slower, split across cache lines.) The copies cost 3 passes over the input, against
//     im2col's 9.
//   - A register block of kOut output channels x kSegments segments of 8 positions
//     (2 x 4 = 8 accumulators): per input channel and tap, kSegments loads of x, kOut broadcasts
//     of a weight and kOut * kSegments FMAs. The weight is repacked so that those kOut weights
//     are adjacent: wr[o / kOut][c][tap][o % kOut].
//   - Loops: output-channel pairs outside, position blocks inside, so a pair's 2*C*9 weights stay
//     in L1 while the image's copies (3*C*(H+2)*W floats, 209 KB at 16x32x32) stream from L2.
//     The block shape and the loop order were picked by timing the alternatives (2x6, 4x3, 1x8,
//     4x2, blocks outside) on ResNet-32's three stages.
// Each image is one thread's work, and every sum runs over (c, i, j) in that order: results do not
// depend on the thread count. The plain loops it is tested against are in conv2d_reference.cpp.
#include "tensor/kernels/conv2d_direct.h"

#ifdef BCL_CONV2D_DIRECT

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "tensor/kernels/scratch.h"

namespace bcl::conv2d_direct {
namespace {

constexpr int kOut = 2;       // output channels per register block
constexpr int kSegments = 4;  // segments of 8 output positions per register block
constexpr int kLanes = 8;     // floats per AVX register

// The geometry of one image and its shifted copies.
struct Image {
  int64_t c, h, w;
  int64_t plane() const { return h * w; }
  int64_t copy_plane() const { return (h + 2) * w; }      // one channel of one shifted copy
  int64_t copy_size() const { return c * copy_plane(); }  // one shifted copy
};

// xs [3][C][H + 2][W]: copy j holds x shifted right by 1 - j columns, with a zero row above and
// below and a zero column where the shift pulls one in.
void shifted_copies(const float* x, const Image& g, float* xs) {
  const size_t row_bytes = sizeof(float) * static_cast<size_t>(g.w);
  for (int64_t j = 0; j < 3; ++j) {
    for (int64_t c = 0; c < g.c; ++c) {
      float* dst = xs + j * g.copy_size() + c * g.copy_plane();
      const float* src = x + c * g.plane();
      std::memset(dst, 0, row_bytes);
      std::memset(dst + (g.h + 1) * g.w, 0, row_bytes);
      for (int64_t r = 0; r < g.h; ++r) {
        float* row = dst + (r + 1) * g.w;
        const float* in = src + r * g.w;
        if (j == 1) {
          std::memcpy(row, in, row_bytes);
        } else if (j == 0) {  // row[q] = in[q - 1]
          row[0] = 0;
          std::memcpy(row + 1, in, row_bytes - sizeof(float));
        } else {  // row[q] = in[q + 1]
          std::memcpy(row, in + 1, row_bytes - sizeof(float));
          row[g.w - 1] = 0;
        }
      }
    }
  }
}

// y[o0 + k, p_s..p_s+7] for k < kOut and the `Segments` segments starting at positions p_s
// (pos[s]); wr points at this output-channel block's packed weights [C][9][kOut].
template <int Segments>
void block(const float* xs, const Image& g, const float* wr, const float* bias, const int64_t* pos,
           float* y) {
  __m256 acc[kOut][Segments];
  for (int k = 0; k < kOut; ++k) {
    const __m256 b = _mm256_set1_ps(bias ? bias[k] : 0.0f);
    for (int s = 0; s < Segments; ++s) acc[k][s] = b;
  }
  // Output position p = h * W + q reads row h + i of copy j at column q: offset p + i * W.
  for (int64_t c = 0; c < g.c; ++c) {
    const float* xc = xs + c * g.copy_plane();
    const float* wc = wr + c * 9 * kOut;
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        const float* row = xc + j * g.copy_size() + i * g.w;
        const float* wt = wc + (i * 3 + j) * kOut;
        __m256 wv[kOut];
        for (int k = 0; k < kOut; ++k) wv[k] = _mm256_broadcast_ss(wt + k);
        for (int s = 0; s < Segments; ++s) {
          const __m256 xv = _mm256_load_ps(row + pos[s]);
          for (int k = 0; k < kOut; ++k) acc[k][s] = _mm256_fmadd_ps(wv[k], xv, acc[k][s]);
        }
      }
    }
  }
  for (int k = 0; k < kOut; ++k)
    for (int s = 0; s < Segments; ++s) _mm256_storeu_ps(y + k * g.plane() + pos[s], acc[k][s]);
}

// One block of `count` (< kSegments) segments, for the end of a plane.
void tail_block(int count, const float* xs, const Image& g, const float* wr, const float* bias,
                const int64_t* pos, float* y) {
  switch (count) {
    case 1:
      return block<1>(xs, g, wr, bias, pos, y);
    case 2:
      return block<2>(xs, g, wr, bias, pos, y);
    case 3:
      return block<3>(xs, g, wr, bias, pos, y);
    default:
      return;
  }
}

// y [O, H, W] for one image, from its shifted copies.
void image_forward(const float* xs, const Image& g, int64_t o_total, const float* wr,
                   const float* bias, float* y) {
  const int64_t segments = g.plane() / kLanes;
  for (int64_t o0 = 0; o0 < o_total; o0 += kOut) {
    const float* w_block = wr + o0 * g.c * 9;
    const float* b_block = bias ? bias + o0 : nullptr;
    float* y_block = y + o0 * g.plane();
    for (int64_t s0 = 0; s0 < segments; s0 += kSegments) {
      const int count = static_cast<int>(std::min<int64_t>(kSegments, segments - s0));
      int64_t pos[kSegments];
      for (int s = 0; s < count; ++s) pos[s] = (s0 + s) * kLanes;
      if (count == kSegments) {
        block<kSegments>(xs, g, w_block, b_block, pos, y_block);
      } else {
        tail_block(count, xs, g, w_block, b_block, pos, y_block);
      }
    }
  }
}

// The sum of the 8 lanes, in a fixed order.
inline double lane_sum(__m256 v) {
  alignas(32) float lanes[kLanes];
  _mm256_store_ps(lanes, v);
  double sum = 0;
  for (float lane : lanes) sum += lane;
  return sum;
}

// dw [O, C, 3, 3] += the weight gradient of one image, from its shifted copies and dy [O, H, W]:
//   dw[o, c, i, j] += sum over positions p of dy[o, p] xs[j][c][p + i * W].
// A register block is 2 output channels x the 3 taps of one kernel row, twice (even and odd
// segments: 12 independent sums, enough to keep both FMA units busy through their latency).
void image_weight_gradient(const float* xs, const Image& g, const float* dy, int64_t o_total,
                           double* dw) {
  const int64_t plane = g.plane(), segments = plane / kLanes;
  for (int64_t o0 = 0; o0 < o_total; o0 += kOut) {
    const float* dy0 = dy + o0 * plane;
    const float* dy1 = dy0 + plane;
    for (int64_t c = 0; c < g.c; ++c) {
      for (int i = 0; i < 3; ++i) {
        const float* x0 = xs + c * g.copy_plane() + i * g.w;  // copy j at x0 + j * copy_size
        __m256 acc[2][kOut][3];
        for (auto& set : acc)
          for (auto& row : set)
            for (__m256& a : row) a = _mm256_setzero_ps();
        const auto step = [&](int set, int64_t p) {
          const __m256 d0 = _mm256_load_ps(dy0 + p), d1 = _mm256_load_ps(dy1 + p);
          for (int j = 0; j < 3; ++j) {
            const __m256 xv = _mm256_load_ps(x0 + j * g.copy_size() + p);
            acc[set][0][j] = _mm256_fmadd_ps(d0, xv, acc[set][0][j]);
            acc[set][1][j] = _mm256_fmadd_ps(d1, xv, acc[set][1][j]);
          }
        };
        int64_t s = 0;
        for (; s + 2 <= segments; s += 2) {
          step(0, s * kLanes);
          step(1, (s + 1) * kLanes);
        }
        if (s < segments) step(0, s * kLanes);
        for (int k = 0; k < kOut; ++k)
          for (int j = 0; j < 3; ++j)
            dw[((o0 + k) * g.c + c) * 9 + i * 3 + j] +=
                lane_sum(_mm256_add_ps(acc[0][k][j], acc[1][k][j]));
      }
    }
  }
}

}  // namespace

bool applies(const Conv2dDims& d, const Conv2dParams& p) {
  return d.kh == 3 && d.kw == 3 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 1 &&
         p.pad_w == 1 && p.groups == 1 && d.ho == d.h && d.wo == d.w && d.w % kLanes == 0 &&
         d.o % kOut == 0 && d.o <= 16;
}

void forward(const float* x, const float* w, const float* bias, float* y, const Conv2dDims& d) {
  const Image g{d.c, d.h, d.w};
  // wr[o / kOut][c][tap][o % kOut] = w[o][c][tap].
  const Buffer<float> packed(d.o * d.c * 9);
  float* wr = packed.data();
  for (int64_t o = 0; o < d.o; ++o)
    for (int64_t c = 0; c < d.c; ++c)
      for (int64_t t = 0; t < 9; ++t)
        wr[((o / kOut) * d.c + c) * 9 * kOut + t * kOut + o % kOut] = w[(o * d.c + c) * 9 + t];
  // Each thread's copies start 64-byte aligned (the allocator's alignment), as do their rows
  // (W is a multiple of 8 floats): every load in block() is aligned.
  const int64_t per_thread = (3 * g.copy_size() + 15) / 16 * 16;
  const Scratch<float> scratch(per_thread);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < d.n; ++n) {
    float* xs = scratch.mine();
    shifted_copies(x + n * g.c * g.plane(), g, xs);
    image_forward(xs, g, d.o, wr, bias, y + n * d.o * g.plane());
  }
}

void weight_gradient(const float* dy, const float* x, float* dw, const Conv2dDims& d) {
  const Image g{d.c, d.h, d.w};
  const int64_t w_size = d.o * d.c * 9;
  // Images go in chunks of a fixed size, each summed by one thread into its own float64 partial
  // sums; the partials are then added in chunk order. So the result does not depend on the
  // thread count.
  constexpr int64_t kImagesPerChunk = 8;
  const int64_t chunks = (d.n + kImagesPerChunk - 1) / kImagesPerChunk;
  const Buffer<double> partial(chunks * w_size);
  const Scratch<float> scratch((3 * g.copy_size() + 15) / 16 * 16);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < chunks; ++k) {
    float* xs = scratch.mine();
    double* dw_k = partial.data() + k * w_size;
    std::fill(dw_k, dw_k + w_size, 0.0);
    for (int64_t n = k * kImagesPerChunk; n < std::min(d.n, (k + 1) * kImagesPerChunk); ++n) {
      shifted_copies(x + n * g.c * g.plane(), g, xs);
      image_weight_gradient(xs, g, dy + n * d.o * g.plane(), d.o, dw_k);
    }
  }
#pragma omp parallel for schedule(static) if (chunks * w_size > (1 << 16))
  for (int64_t e = 0; e < w_size; ++e) {
    double sum = 0;
    for (int64_t k = 0; k < chunks; ++k) sum += partial.data()[k * w_size + e];
    dw[e] = static_cast<float>(sum);
  }
}

}  // namespace bcl::conv2d_direct

#endif  // BCL_CONV2D_DIRECT
