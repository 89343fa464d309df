// CPU convolution: im2col + GEMM over chunks of images, in parallel, with the same result on any
// thread count. The plain loops it is tested against are in conv2d_reference.cpp.
//
// Lowering (Chellapilla et al. 2006; Caffe): im2col copies every input pixel a kernel tap reads
// into a matrix cols [C*kh*kw, Ho*Wo], row (c, i, j) holding the pixel under tap (i, j) of channel
// c for each output position. Seen as [O, C/groups*kh*kw], the weight then maps one group's block
// of rows to that group's output channels with a single GEMM:
//   forward          y_g    = W_g cols_g                    [O/groups, Ho*Wo]
//   weight gradient  dW_g   = sum over images of dy_g cols_g^T
//   input gradient   cols_g = W_g^T dy_g, then col2im (the adjoint of im2col); or, mostly, a
//                    forward convolution of dy (see backward_input_as_convolution).
//
// Narrow 3x3 layers (16 output channels) go to a direct AVX2 kernel instead (conv2d_direct.cpp).
// The float32 kernels come in two variants (tensor/dispatch.h): the generic one, im2col + GEMM
// for every shape, and the Isa::AVX2 one, which hands those layers to the direct kernel. The
// dispatch table picks the AVX2 one on AVX2 and AVX-512 machines; ScopedIsaLimit(Isa::Generic)
// forces the other, so the tests check both on one machine.
//
// Chunks: the images of a late ResNet layer are tiny (8x8), and a GEMM with only Ho*Wo = 64 columns
// spends much of its time on overheads. So a chunk of images is lowered side by side into one
// cols [C*kh*kw, images*Ho*Wo] of a few hundred columns and multiplied at once; y and dy are
// copied between their NCHW layout and that [O, images*Ho*Wo] one.
//
// Threads and determinism: chunks are the unit of parallel work. Called inside a parallel region,
// the OpenMP build of OpenBLAS runs single-threaded, so each output element comes out of one GEMM
// on one thread, which sums in an order fixed by the GEMM's sizes. The chunking depends on the
// shapes only, never on the thread count, and the weight gradient adds its per-chunk partial sums
// in chunk order: results are bitwise identical on any number of threads. (A batch of fewer chunks
// than threads leaves threads idle: fine for training batches, slow for a single large image.)
#include "tensor/kernels/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "tensor/kernels/conv2d_direct.h"
#include "tensor/kernels/matmul.h"
#include "tensor/kernels/scratch.h"

namespace bcl {
namespace {

// Output positions (columns of cols) a chunk aims for. Wider chunks amortise GEMM overheads better
// but spill the chunk's cols (C*kh*kw rows: 590 KB for 256 columns at 64 channels) out of the
// caches. The weight gradient's GEMMs sum over the chunk's columns, and gain more from long sums
// (with fewer partial results to add up). Both measured on ResNet-32's layers.
constexpr int64_t kChunkColumns = 256;
constexpr int64_t kWeightChunkColumns = 1024;

// The output positions [lo, hi) along one axis whose tap at offset `tap` reads inside the input:
// position q reads q*stride - pad + tap, which must lie in [0, size).
struct Span {
  int64_t lo, hi;
};

Span valid_span(int64_t size, int64_t out, int64_t stride, int64_t pad, int64_t tap) {
  const int64_t first = pad - tap, last = size - 1 + pad - tap;  // bounds on q*stride
  const int64_t lo = std::min(out, first <= 0 ? 0 : (first + stride - 1) / stride);
  const int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  return {lo, std::max(lo, hi)};
}

// With both strides 1 and Wo == W ("same" width, e.g. 3x3 with padding 1), tap (i, j) reads input
// pixel (oh + i - pad_h, q + j - pad_w) for output (oh, q): flat offset oh*W + q + shift, the same
// shift for the whole plane. A tap's valid rows are then one contiguous stretch of the channel,
// copied at once instead of a few pixels at a time (8 per row in an 8x8 layer). Output columns
// outside the tap's valid span pick up pixels from the neighbouring row on the way, to be zeroed.
bool is_shifted_copy(const Conv2dDims& d, const Conv2dParams& p) {
  return p.stride_h == 1 && p.stride_w == 1 && d.wo == d.w;
}

// Zeroes the entries of one row of cols whose tap reads padding, for output rows [oh0, oh1) of a
// plane Wo wide stored from row[0] (output position (oh, q) at row[(oh - oh0) * wo + q]): the
// rows outside `rows` (already clipped to [oh0, oh1)), and in the others the columns outside
// `span`. Column by column, as a 3x3 kernel's span misses at most one column, and memset calls on
// single pixels would cost more than the pixels.
template <class T>
void zero_padding(T* row, int64_t oh0, int64_t oh1, Span rows, Span span, int64_t wo) {
  std::fill(row, row + (rows.lo - oh0) * wo, T(0));
  std::fill(row + (rows.hi - oh0) * wo, row + (oh1 - oh0) * wo, T(0));
  const auto zero_column = [&](int64_t q) {
    for (int64_t oh = rows.lo; oh < rows.hi; ++oh) row[(oh - oh0) * wo + q] = T(0);
  };
  for (int64_t q = 0; q < span.lo; ++q) zero_column(q);
  for (int64_t q = span.hi; q < wo; ++q) zero_column(q);
}

// Unfolds output rows [oh0, oh1) of one image x [C, H, W] into the [C*kh*kw, (oh1-oh0)*Wo] matrix
// whose rows start ld apart at cols; taps that land in the padding read 0. A block of output rows
// rather than the whole image keeps a large image's cols small enough to stay in cache for the
// GEMM that reads it.
template <class T>
void im2col(const T* x, const Conv2dDims& d, const Conv2dParams& p, int64_t oh0, int64_t oh1,
            T* cols, int64_t ld) {
  const bool shifted = is_shifted_copy(d, p);
  const int64_t base = oh0 * d.wo;  // position oh*Wo + q is column oh*Wo + q - base
  for (int64_t c = 0; c < d.c; ++c) {
    const T* xc = x + c * d.h * d.w;
    for (int64_t i = 0; i < d.kh; ++i) {
      Span rows = valid_span(d.h, d.ho, p.stride_h, p.pad_h, i);
      rows.lo = std::clamp(rows.lo, oh0, oh1);
      rows.hi = std::clamp(rows.hi, rows.lo, oh1);
      for (int64_t j = 0; j < d.kw; ++j) {
        const Span span = valid_span(d.w, d.wo, p.stride_w, p.pad_w, j);
        T* row = cols + ((c * d.kh + i) * d.kw + j) * ld;
        if (shifted) {
          if (rows.lo < rows.hi && span.lo < span.hi) {
            // From the first valid position to the last, fringe included (zeroed below).
            const int64_t first = rows.lo * d.wo + span.lo, end = (rows.hi - 1) * d.wo + span.hi;
            const int64_t shift = (i - p.pad_h) * d.w + (j - p.pad_w);  // reads xc[k + shift]
            std::copy(xc + first + shift, xc + end + shift, row + first - base);
          }
        } else {
          for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
            T* out = row + oh * d.wo - base;
            // out[q] reads xc[in + q * stride_w].
            const int64_t in = (oh * p.stride_h - p.pad_h + i) * d.w - p.pad_w + j;
            if (p.stride_w == 2) {  // a constant stride, for the vectoriser
              for (int64_t q = span.lo; q < span.hi; ++q) out[q] = xc[in + 2 * q];
            } else {
              for (int64_t q = span.lo; q < span.hi; ++q) out[q] = xc[in + q * p.stride_w];
            }
          }
        }
        zero_padding(row, oh0, oh1, rows, span, d.wo);
      }
    }
  }
}

// The adjoint of im2col: x [C, H, W] = 0, then each entry of the matrix is added to the pixel it
// was read from. Most stride-1 convolutions do without it (see backward_input_as_convolution).
template <class T>
void col2im(const T* cols, int64_t ld, const Conv2dDims& d, const Conv2dParams& p, T* x) {
  std::fill(x, x + d.c * d.h * d.w, T(0));
  for (int64_t c = 0; c < d.c; ++c) {
    T* xc = x + c * d.h * d.w;
    for (int64_t i = 0; i < d.kh; ++i) {
      const Span rows = valid_span(d.h, d.ho, p.stride_h, p.pad_h, i);
      for (int64_t j = 0; j < d.kw; ++j) {
        const Span span = valid_span(d.w, d.wo, p.stride_w, p.pad_w, j);
        const T* row = cols + ((c * d.kh + i) * d.kw + j) * ld;
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          const T* in = row + oh * d.wo;
          const int64_t base = (oh * p.stride_h - p.pad_h + i) * d.w - p.pad_w + j;
          if (p.stride_w == 2) {  // a constant stride, for the vectoriser
            for (int64_t q = span.lo; q < span.hi; ++q) xc[base + 2 * q] += in[q];
          } else {
            for (int64_t q = span.lo; q < span.hi; ++q) xc[base + q * p.stride_w] += in[q];
          }
        }
      }
    }
  }
}

// How one convolution is cut into chunks, and the GEMM sizes of one group.
struct Plan {
  Conv2dDims d;
  Conv2dParams p;
  int64_t plane;        // Ho*Wo: columns per image
  int64_t out_group;    // O/groups: rows of W_g and of y_g
  int64_t depth_group;  // C/groups*kh*kw: columns of W_g, rows of cols_g
  int64_t per_chunk;    // images per chunk (the last chunk may have fewer)
  int64_t chunks;
  bool pointwise;  // 1x1, stride 1, no padding: an image is its own cols
  // Output rows lowered at a time when a chunk is one image: an image of more than
  // block_columns output positions is cut into blocks of rows of about that many columns.
  int64_t block_rows;

  Plan(const Conv2dDims& dims, const Conv2dParams& params, int64_t chunk_columns,
       int64_t block_columns = kChunkColumns)
      : d(dims),
        p(params),
        plane(d.ho * d.wo),
        out_group(d.o / p.groups),
        depth_group(d.c / p.groups * d.kh * d.kw),
        per_chunk(std::clamp<int64_t>(chunk_columns / plane, 1, d.n)),
        chunks((d.n + per_chunk - 1) / per_chunk),
        pointwise(d.kh == 1 && d.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 &&
                  p.pad_w == 0),
        block_rows(per_chunk == 1 && !pointwise ? std::clamp<int64_t>(block_columns / d.wo, 1, d.ho)
                                                : d.ho) {}

  int64_t first(int64_t chunk) const { return chunk * per_chunk; }
  int64_t images(int64_t chunk) const { return std::min(per_chunk, d.n - first(chunk)); }
  int64_t in_size() const { return d.c * d.h * d.w; }  // of one image
  int64_t cols_size() const { return d.c * d.kh * d.kw * per_chunk * plane; }
  int64_t out_size() const { return d.o * per_chunk * plane; }  // of one chunk
};

// The cols of images [n0, n0 + count) of x, image m in columns [m*plane, (m+1)*plane) of a
// [C*kh*kw, count*plane] matrix. A single pointwise image is that matrix already.
template <class T>
const T* lower(const Plan& s, const T* x, int64_t n0, int64_t count, T* cols) {
  if (s.pointwise && count == 1) return x + n0 * s.in_size();
  for (int64_t m = 0; m < count; ++m)
    im2col(x + (n0 + m) * s.in_size(), s.d, s.p, 0, s.d.ho, cols + m * s.plane, count * s.plane);
  return cols;
}

// Images [n0, n0 + count) of y [N, O, Ho*Wo] as one [O, count*plane] matrix (a single image is one
// already).
template <class T>
const T* gather_out(const Plan& s, const T* y, int64_t n0, int64_t count, T* buf) {
  if (count == 1) return y + n0 * s.d.o * s.plane;
  const int64_t width = count * s.plane;
  for (int64_t m = 0; m < count; ++m) {
    for (int64_t o = 0; o < s.d.o; ++o) {
      const T* src = y + ((n0 + m) * s.d.o + o) * s.plane;
      std::copy(src, src + s.plane, buf + o * width + m * s.plane);
    }
  }
  return buf;
}

// The cols of output rows [oh0, oh1) of one image, [C*kh*kw, (oh1-oh0)*Wo]; a pointwise image (one
// block of all its rows) is its own cols.
template <class T>
const T* lower_rows(const Plan& s, const T* image, int64_t oh0, int64_t oh1, T* cols) {
  if (s.pointwise) return image;
  im2col(image, s.d, s.p, oh0, oh1, cols, (oh1 - oh0) * s.d.wo);
  return cols;
}

// y [O, Ho*Wo] (rows ld apart) = conv(image x, w), one block of output rows at a time: its cols
// [C*kh*kw, rows*Wo], then y's columns for those rows = W_g cols_g.
template <class T>
void forward_image_blocks(const Plan& s, const T* x, const T* w, T* y, T* cols) {
  for (int64_t oh0 = 0; oh0 < s.d.ho; oh0 += s.block_rows) {
    const int64_t oh1 = std::min(s.d.ho, oh0 + s.block_rows), width = (oh1 - oh0) * s.d.wo;
    const T* c = lower_rows(s, x, oh0, oh1, cols);
    for (int64_t g = 0; g < s.p.groups; ++g) {
      cpu::gemm(false, false, s.out_group, width, s.depth_group, T(1),
                w + g * s.out_group * s.depth_group, s.depth_group, c + g * s.depth_group * width,
                width, T(0), y + g * s.out_group * s.plane + oh0 * s.d.wo, s.plane);
    }
  }
}

// out [N, O, Ho, Wo] = conv(x, w) + bias (or no bias if null) for the plan's geometry.
template <class T>
void forward_chunks(const Plan& s, const T* x, const T* w, const T* bias, T* out) {
  Scratch<T> scratch(s.cols_size() + s.out_size());
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < s.chunks; ++k) {
    T* cols = scratch.mine();
    const int64_t n0 = s.first(k), count = s.images(k), width = count * s.plane;
    // A single image's [O, plane] is its slice of out.
    T* y_out = out + n0 * s.d.o * s.plane;
    T* y = y_out;
    if (count == 1) {
      forward_image_blocks(s, x + n0 * s.in_size(), w, y_out, cols);
    } else {
      y = cols + s.cols_size();
      const T* c = lower(s, x, n0, count, cols);
      for (int64_t g = 0; g < s.p.groups; ++g) {
        cpu::gemm(false, false, s.out_group, width, s.depth_group, T(1),
                  w + g * s.out_group * s.depth_group, s.depth_group, c + g * s.depth_group * width,
                  width, T(0), y + g * s.out_group * width, width);
      }
    }
    // Scatter [O, count*plane] to the images, adding the bias on the way.
    if (y == y_out && !bias) continue;
    for (int64_t m = 0; m < count; ++m) {
      for (int64_t o = 0; o < s.d.o; ++o) {
        const T* src = y + o * width + m * s.plane;
        T* dst = y_out + (m * s.d.o + o) * s.plane;
        const T b = bias ? bias[o] : T(0);
        for (int64_t q = 0; q < s.plane; ++q) dst[q] = src[q] + b;
      }
    }
  }
}

// out = conv(x, w) + bias: with Direct (the AVX2 variant, float32 only), by the direct 3x3 kernel
// where it is the faster (conv2d_direct.h); else by im2col + GEMM.
template <class T, bool Direct>
void convolve(const Conv2dDims& d, const Conv2dParams& p, const T* x, const T* w, const T* bias,
              T* out) {
  if constexpr (Direct) {
    static_assert(std::is_same_v<T, float>, "the direct kernel is float32");
    if (conv2d_direct::applies(d, p)) return conv2d_direct::forward(x, w, bias, out, d);
  }
  forward_chunks(Plan(d, p, kChunkColumns), x, w, bias, out);
}

template <class T, bool Direct>
void conv2d_cpu(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                const Conv2dParams& p) {
  convolve<T, Direct>(conv2d_dims(x.shape(), w.shape(), out.shape()), p, x.data<T>(), w.data<T>(),
                      bias.defined() ? bias.data<T>() : nullptr, out.data<T>());
}

// With stride 1, dx[c, ih, iw] = sum over o, i, j of w[o, c, i, j] dy[o, ih + pad_h - i,
// iw + pad_w - j]: the convolution of dy, padded by kh-1-pad_h and kw-1-pad_w, with the weight
// flipped in both spatial dims and its channel roles swapped. Its GEMMs have C rows and sum over
// O*kh*kw terms, where those of W^T dy have C*kh*kw rows and sum over only O (too few for an
// efficient GEMM in ResNet's 16-channel stage), and it needs no col2im. Unless C < O, as in a
// network's stem (3 -> 16 channels), where W^T dy's shape is the better one.
bool backward_input_as_convolution(const Conv2dDims& d, const Conv2dParams& p) {
  return p.stride_h == 1 && p.stride_w == 1 && p.pad_h <= d.kh - 1 && p.pad_w <= d.kw - 1 &&
         d.c >= d.o;
}

// flipped [C, O/groups, kh, kw] = the flipped weight of w [O, C/groups, kh, kw], group by group.
template <class T>
void flip_weight(const T* w, const Conv2dDims& d, int64_t groups, T* flipped) {
  const int64_t og = d.o / groups, cg = d.c / groups, taps = d.kh * d.kw;
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t o = 0; o < og; ++o) {
      for (int64_t c = 0; c < cg; ++c) {
        const T* src = w + ((g * og + o) * cg + c) * taps;
        T* dst = flipped + ((g * cg + c) * og + o) * taps;
        std::reverse_copy(src, src + taps, dst);  // (i, j) -> (kh-1-i, kw-1-j)
      }
    }
  }
}

template <class T, bool Direct>
void conv2d_backward_input_cpu(const Tensor& grad_out, const Tensor& w, const Tensor& grad_in,
                               const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(grad_in.shape(), w.shape(), grad_out.shape());
  const T* pgy = grad_out.data<T>();
  const T* pw = w.data<T>();
  T* pgx = grad_in.data<T>();
  if (backward_input_as_convolution(d, p)) {
    const Conv2dDims t{d.n, d.o, d.ho, d.wo, d.c, d.kh, d.kw, d.h, d.w};
    Conv2dParams tp = p;
    tp.pad_h = d.kh - 1 - p.pad_h;
    tp.pad_w = d.kw - 1 - p.pad_w;
    const Buffer<T> flipped(w.numel());
    flip_weight(pw, d, p.groups, flipped.data());
    convolve<T, Direct>(t, tp, pgy, flipped.data(), nullptr, pgx);
    return;
  }
  // dcols = W^T dy, then col2im.
  const Plan s(d, p, kChunkColumns);
  Scratch<T> scratch(s.cols_size() + s.out_size());
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < s.chunks; ++k) {
    T* cols = scratch.mine();
    T* dy_buf = cols + s.cols_size();
    const int64_t n0 = s.first(k), count = s.images(k), width = count * s.plane;
    const T* dy = gather_out(s, pgy, n0, count, dy_buf);
    T* gx = pgx + n0 * s.in_size();
    // A single pointwise image's cols is its gradient itself: no col2im.
    T* dcols = s.pointwise && count == 1 ? gx : cols;
    for (int64_t g = 0; g < p.groups; ++g) {
      cpu::gemm(true, false, s.depth_group, width, s.out_group, T(1),
                pw + g * s.out_group * s.depth_group, s.depth_group, dy + g * s.out_group * width,
                width, T(0), dcols + g * s.depth_group * width, width);
    }
    if (dcols == gx) continue;
    for (int64_t m = 0; m < count; ++m)
      col2im(cols + m * s.plane, width, d, p, gx + m * s.in_size());
  }
}

template <class T, bool Direct>
void conv2d_backward_weight_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& grad_w,
                                const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), grad_w.shape(), grad_out.shape());
  const T* pgy = grad_out.data<T>();
  const T* px = x.data<T>();
  T* pgw = grad_w.data<T>();
  if constexpr (Direct) {
    static_assert(std::is_same_v<T, float>, "the direct kernel is float32");
    if (conv2d_direct::applies(d, p)) return conv2d_direct::weight_gradient(pgy, px, pgw, d);
  }
  const Plan s(d, p, kWeightChunkColumns, kWeightChunkColumns);
  const int64_t w_size = grad_w.numel();
  // Chunk k's dW at k * w_size; each chunk's first GEMM (beta 0) writes all of it.
  const Buffer<T> partial(s.chunks * w_size);
  Scratch<T> scratch(s.cols_size() + s.out_size());
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < s.chunks; ++k) {
    T* cols = scratch.mine();
    T* dy_buf = cols + s.cols_size();
    const int64_t n0 = s.first(k), count = s.images(k), width = count * s.plane;
    T* dw = partial.data() + k * w_size;
    if (count == 1) {  // dW = sum over blocks of output rows of dy_block cols_block^T
      const T* xn = px + n0 * s.in_size();
      const T* dy = pgy + n0 * s.d.o * s.plane;
      for (int64_t oh0 = 0; oh0 < s.d.ho; oh0 += s.block_rows) {
        const int64_t oh1 = std::min(s.d.ho, oh0 + s.block_rows), cw = (oh1 - oh0) * s.d.wo;
        const T* c = lower_rows(s, xn, oh0, oh1, cols);
        for (int64_t g = 0; g < p.groups; ++g) {
          cpu::gemm(false, true, s.out_group, s.depth_group, cw, T(1),
                    dy + g * s.out_group * s.plane + oh0 * s.d.wo, s.plane,
                    c + g * s.depth_group * cw, cw, oh0 == 0 ? T(0) : T(1),
                    dw + g * s.out_group * s.depth_group, s.depth_group);
        }
      }
      continue;
    }
    const T* c = lower(s, px, n0, count, cols);
    const T* dy = gather_out(s, pgy, n0, count, dy_buf);
    for (int64_t g = 0; g < p.groups; ++g) {
      cpu::gemm(false, true, s.out_group, s.depth_group, width, T(1), dy + g * s.out_group * width,
                width, c + g * s.depth_group * width, width, T(0),
                dw + g * s.out_group * s.depth_group, s.depth_group);
    }
  }
  // Chunk order for every element, whichever thread adds it.
#pragma omp parallel for schedule(static) if (s.chunks * w_size > (1 << 16))
  for (int64_t e = 0; e < w_size; ++e) {
    double acc = 0;
    for (int64_t k = 0; k < s.chunks; ++k)
      acc += static_cast<double>(partial.data()[k * w_size + e]);
    pgw[e] = static_cast<T>(acc);
  }
}

const KernelRegistrar fwd_f32(conv2d_kernels(), Device::CPU, DType::Float32,
                              &conv2d_cpu<float, false>);
const KernelRegistrar fwd_f64(conv2d_kernels(), Device::CPU, DType::Float64,
                              &conv2d_cpu<double, false>);
const KernelRegistrar bwd_in_f32(conv2d_backward_input_kernels(), Device::CPU, DType::Float32,
                                 &conv2d_backward_input_cpu<float, false>);
const KernelRegistrar bwd_in_f64(conv2d_backward_input_kernels(), Device::CPU, DType::Float64,
                                 &conv2d_backward_input_cpu<double, false>);
const KernelRegistrar bwd_w_f32(conv2d_backward_weight_kernels(), Device::CPU, DType::Float32,
                                &conv2d_backward_weight_cpu<float, false>);
const KernelRegistrar bwd_w_f64(conv2d_backward_weight_kernels(), Device::CPU, DType::Float64,
                                &conv2d_backward_weight_cpu<double, false>);

#ifdef BCL_CONV2D_DIRECT
const KernelRegistrar fwd_f32_avx2(conv2d_kernels(), Device::CPU, DType::Float32,
                                   &conv2d_cpu<float, true>, Isa::AVX2);
const KernelRegistrar bwd_in_f32_avx2(conv2d_backward_input_kernels(), Device::CPU, DType::Float32,
                                      &conv2d_backward_input_cpu<float, true>, Isa::AVX2);
const KernelRegistrar bwd_w_f32_avx2(conv2d_backward_weight_kernels(), Device::CPU, DType::Float32,
                                     &conv2d_backward_weight_cpu<float, true>, Isa::AVX2);
#endif

}  // namespace
}  // namespace bcl
