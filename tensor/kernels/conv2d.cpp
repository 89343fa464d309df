// CPU convolution: im2col + GEMM, and the direct loops that check it.
//
// Lowering (Chellapilla et al. 2006; Caffe): for one image, im2col copies every input pixel a
// kernel tap reads into a matrix cols [C*kh*kw, Ho*Wo], row (c, i, j) holding the pixel under tap
// (i, j) of channel c for each output position. Seen as [O, C/groups*kh*kw], the weight then maps
// one group's block of rows to that group's output channels with a single GEMM:
//   forward          y_g  = W_g cols_g                      [O/g, Ho*Wo]
//   input gradient   cols_g = W_g^T dy_g, then col2im       (the adjoint of im2col)
//   weight gradient  dW_g += dy_g cols_g^T                  (summed over the images)
// A 1x1 convolution with stride 1 and no padding reads each pixel once, in place: cols is the image
// itself, and the input gradient needs no col2im.
//
// Threads: only OpenBLAS's. Images are processed one after another and each GEMM runs on OpenBLAS's
// own thread pool (concurrent calls into the pthreads build would only queue on its lock). im2col
// and col2im are plain copies, kept serial on purpose: an OpenMP region between every two GEMMs
// leaves OpenMP's spinning workers competing with OpenBLAS's for the cores, which made a ResNet
// layer (batch 128, 64 channels, 8x8) some 60 times slower on a busy 2-core machine. The weight
// gradient adds the images in a fixed order, so every result is independent of the thread count.
#include "tensor/kernels/conv2d.h"

#include <algorithm>
#include <vector>

#include "tensor/kernels/matmul.h"

namespace bcl {
namespace {

bool is_pointwise(const Conv2dDims& d, const Conv2dParams& p) {
  return d.kh == 1 && d.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 &&
         p.pad_w == 0;
}

// Unfolds one image x [C, H, W] into cols [C*kh*kw, Ho*Wo]; taps that land in the padding read 0.
template <class T>
void im2col(const T* x, const Conv2dDims& d, const Conv2dParams& p, T* cols) {
  const int64_t plane = d.ho * d.wo;
  for (int64_t c = 0; c < d.c; ++c) {
    const T* xc = x + c * d.h * d.w;
    for (int64_t i = 0; i < d.kh; ++i) {
      for (int64_t j = 0; j < d.kw; ++j) {
        T* row = cols + ((c * d.kh + i) * d.kw + j) * plane;
        for (int64_t oh = 0; oh < d.ho; ++oh) {
          const int64_t ih = oh * p.stride_h - p.pad_h + i;
          T* out = row + oh * d.wo;
          if (ih < 0 || ih >= d.h) {
            std::fill(out, out + d.wo, T(0));
            continue;
          }
          for (int64_t ow = 0; ow < d.wo; ++ow) {
            const int64_t iw = ow * p.stride_w - p.pad_w + j;
            out[ow] = iw >= 0 && iw < d.w ? xc[ih * d.w + iw] : T(0);
          }
        }
      }
    }
  }
}

// The adjoint of im2col: x [C, H, W] = 0, then each entry of cols is added to the pixel it was
// read from.
template <class T>
void col2im(const T* cols, const Conv2dDims& d, const Conv2dParams& p, T* x) {
  const int64_t plane = d.ho * d.wo;
  for (int64_t c = 0; c < d.c; ++c) {
    T* xc = x + c * d.h * d.w;
    std::fill(xc, xc + d.h * d.w, T(0));
    for (int64_t i = 0; i < d.kh; ++i) {
      for (int64_t j = 0; j < d.kw; ++j) {
        const T* row = cols + ((c * d.kh + i) * d.kw + j) * plane;
        for (int64_t oh = 0; oh < d.ho; ++oh) {
          const int64_t ih = oh * p.stride_h - p.pad_h + i;
          if (ih < 0 || ih >= d.h) continue;
          for (int64_t ow = 0; ow < d.wo; ++ow) {
            const int64_t iw = ow * p.stride_w - p.pad_w + j;
            if (iw >= 0 && iw < d.w) xc[ih * d.w + iw] += row[oh * d.wo + ow];
          }
        }
      }
    }
  }
}

// The GEMM sizes shared by the three products, per group.
struct GroupGemm {
  int64_t out_channels;  // O / groups: rows of W_g and of y_g
  int64_t depth;         // C / groups * kh * kw: columns of W_g, rows of cols_g
  int64_t plane;         // Ho * Wo: columns of cols_g and of y_g
};

GroupGemm group_gemm(const Conv2dDims& d, const Conv2dParams& p) {
  return {d.o / p.groups, d.c / p.groups * d.kh * d.kw, d.ho * d.wo};
}

template <class T>
void conv2d_cpu(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), w.shape(), out.shape());
  const GroupGemm s = group_gemm(d, p);
  const bool pointwise = is_pointwise(d, p);
  std::vector<T> cols(pointwise ? 0 : d.c * d.kh * d.kw * s.plane);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* py = out.data<T>();
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xn = px + n * d.c * d.h * d.w;
    if (!pointwise) im2col(xn, d, p, cols.data());
    const T* cn = pointwise ? xn : cols.data();
    T* yn = py + n * d.o * s.plane;
    // The GEMMs accumulate (beta = 1) onto the bias.
    for (int64_t o = 0; o < d.o; ++o)
      std::fill(yn + o * s.plane, yn + (o + 1) * s.plane, pb ? pb[o] : T(0));
    for (int64_t g = 0; g < p.groups; ++g) {
      cpu::gemm(false, false, s.out_channels, s.plane, s.depth, T(1),
                pw + g * s.out_channels * s.depth, s.depth, cn + g * s.depth * s.plane, s.plane,
                T(1), yn + g * s.out_channels * s.plane, s.plane);
    }
  }
}

template <class T>
void conv2d_backward_input_cpu(const Tensor& grad_out, const Tensor& w, const Tensor& grad_in,
                               const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(grad_in.shape(), w.shape(), grad_out.shape());
  const GroupGemm s = group_gemm(d, p);
  const bool pointwise = is_pointwise(d, p);
  std::vector<T> cols(pointwise ? 0 : d.c * d.kh * d.kw * s.plane);
  const T* pgy = grad_out.data<T>();
  const T* pw = w.data<T>();
  T* pgx = grad_in.data<T>();
  for (int64_t n = 0; n < d.n; ++n) {
    T* gxn = pgx + n * d.c * d.h * d.w;
    T* cn = pointwise ? gxn : cols.data();
    const T* gyn = pgy + n * d.o * s.plane;
    for (int64_t g = 0; g < p.groups; ++g) {
      cpu::gemm(true, false, s.depth, s.plane, s.out_channels, T(1),
                pw + g * s.out_channels * s.depth, s.depth, gyn + g * s.out_channels * s.plane,
                s.plane, T(0), cn + g * s.depth * s.plane, s.plane);
    }
    if (!pointwise) col2im(cols.data(), d, p, gxn);
  }
}

template <class T>
void conv2d_backward_weight_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& grad_w,
                                const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), grad_w.shape(), grad_out.shape());
  const GroupGemm s = group_gemm(d, p);
  const bool pointwise = is_pointwise(d, p);
  std::vector<T> cols(pointwise ? 0 : d.c * d.kh * d.kw * s.plane);
  const T* pgy = grad_out.data<T>();
  const T* px = x.data<T>();
  T* pgw = grad_w.data<T>();
  std::fill(pgw, pgw + grad_w.numel(), T(0));
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xn = px + n * d.c * d.h * d.w;
    if (!pointwise) im2col(xn, d, p, cols.data());
    const T* cn = pointwise ? xn : cols.data();
    const T* gyn = pgy + n * d.o * s.plane;
    for (int64_t g = 0; g < p.groups; ++g) {
      cpu::gemm(false, true, s.out_channels, s.depth, s.plane, T(1),
                gyn + g * s.out_channels * s.plane, s.plane, cn + g * s.depth * s.plane, s.plane,
                T(1), pgw + g * s.out_channels * s.depth, s.depth);
    }
  }
}

// ---- Reference: the definition, y[n, o, oh, ow] = b[o] + sum_{c, i, j} w[o, c, i, j] *
// x[n, g*C/groups + c, oh*stride_h - pad_h + i, ow*stride_w - pad_w + j] with g = o / (O/groups),
// summed in double. Each backward sums the same products over the other indices.

// Offset of element (a, b, c, d) of a contiguous 4-D tensor.
inline int64_t at(const Shape& s, int64_t a, int64_t b, int64_t c, int64_t d) {
  return ((a * s[1] + b) * s[2] + c) * s[3] + d;
}

template <class T>
void conv2d_reference_cpu(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                          const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), w.shape(), out.shape());
  const int64_t cg = d.c / p.groups, og = d.o / p.groups;
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = out.data<T>();
  for (int64_t n = 0; n < d.n; ++n) {
    for (int64_t o = 0; o < d.o; ++o) {
      const int64_t g = o / og;
      for (int64_t oh = 0; oh < d.ho; ++oh) {
        for (int64_t ow = 0; ow < d.wo; ++ow) {
          double acc = bias.defined() ? static_cast<double>(bias.data<T>()[o]) : 0.0;
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t i = 0; i < d.kh; ++i) {
              for (int64_t j = 0; j < d.kw; ++j) {
                const int64_t ih = oh * p.stride_h - p.pad_h + i;
                const int64_t iw = ow * p.stride_w - p.pad_w + j;
                if (ih < 0 || ih >= d.h || iw < 0 || iw >= d.w) continue;
                acc += static_cast<double>(px[at(x.shape(), n, g * cg + c, ih, iw)]) *
                       static_cast<double>(pw[at(w.shape(), o, c, i, j)]);
              }
            }
          }
          py[at(out.shape(), n, o, oh, ow)] = static_cast<T>(acc);
        }
      }
    }
  }
}

// dx[n, g*cg + c, ih, iw] gathers w[o, c, i, j] dy[n, o, oh, ow] over the taps (i, j) and output
// positions with oh*stride_h - pad_h + i = ih (and likewise for w), o in group g.
template <class T>
void conv2d_backward_input_reference_cpu(const Tensor& grad_out, const Tensor& w,
                                         const Tensor& grad_in, const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(grad_in.shape(), w.shape(), grad_out.shape());
  const int64_t cg = d.c / p.groups, og = d.o / p.groups;
  const T* pgy = grad_out.data<T>();
  const T* pw = w.data<T>();
  T* pgx = grad_in.data<T>();
  for (int64_t n = 0; n < d.n; ++n) {
    for (int64_t ci = 0; ci < d.c; ++ci) {
      const int64_t g = ci / cg, c = ci % cg;
      for (int64_t ih = 0; ih < d.h; ++ih) {
        for (int64_t iw = 0; iw < d.w; ++iw) {
          double acc = 0;
          for (int64_t o = g * og; o < (g + 1) * og; ++o) {
            for (int64_t i = 0; i < d.kh; ++i) {
              for (int64_t j = 0; j < d.kw; ++j) {
                const int64_t th = ih + p.pad_h - i, tw = iw + p.pad_w - j;  // oh*stride, ow*stride
                if (th < 0 || tw < 0 || th % p.stride_h != 0 || tw % p.stride_w != 0) continue;
                const int64_t oh = th / p.stride_h, ow = tw / p.stride_w;
                if (oh >= d.ho || ow >= d.wo) continue;
                acc += static_cast<double>(pw[at(w.shape(), o, c, i, j)]) *
                       static_cast<double>(pgy[at(grad_out.shape(), n, o, oh, ow)]);
              }
            }
          }
          pgx[at(grad_in.shape(), n, ci, ih, iw)] = static_cast<T>(acc);
        }
      }
    }
  }
}

// dw[o, c, i, j] = sum over n, oh, ow of dy[n, o, oh, ow] * (the input pixel tap (i, j) reads).
template <class T>
void conv2d_backward_weight_reference_cpu(const Tensor& grad_out, const Tensor& x,
                                          const Tensor& grad_w, const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), grad_w.shape(), grad_out.shape());
  const int64_t cg = d.c / p.groups, og = d.o / p.groups;
  const T* pgy = grad_out.data<T>();
  const T* px = x.data<T>();
  T* pgw = grad_w.data<T>();
  for (int64_t o = 0; o < d.o; ++o) {
    const int64_t g = o / og;
    for (int64_t c = 0; c < cg; ++c) {
      for (int64_t i = 0; i < d.kh; ++i) {
        for (int64_t j = 0; j < d.kw; ++j) {
          double acc = 0;
          for (int64_t n = 0; n < d.n; ++n) {
            for (int64_t oh = 0; oh < d.ho; ++oh) {
              for (int64_t ow = 0; ow < d.wo; ++ow) {
                const int64_t ih = oh * p.stride_h - p.pad_h + i;
                const int64_t iw = ow * p.stride_w - p.pad_w + j;
                if (ih < 0 || ih >= d.h || iw < 0 || iw >= d.w) continue;
                acc += static_cast<double>(pgy[at(grad_out.shape(), n, o, oh, ow)]) *
                       static_cast<double>(px[at(x.shape(), n, g * cg + c, ih, iw)]);
              }
            }
          }
          pgw[at(grad_w.shape(), o, c, i, j)] = static_cast<T>(acc);
        }
      }
    }
  }
}

const KernelRegistrar fwd_f32(conv2d_kernels(), Device::CPU, DType::Float32, &conv2d_cpu<float>);
const KernelRegistrar fwd_f64(conv2d_kernels(), Device::CPU, DType::Float64, &conv2d_cpu<double>);
const KernelRegistrar bwd_in_f32(conv2d_backward_input_kernels(), Device::CPU, DType::Float32,
                                 &conv2d_backward_input_cpu<float>);
const KernelRegistrar bwd_in_f64(conv2d_backward_input_kernels(), Device::CPU, DType::Float64,
                                 &conv2d_backward_input_cpu<double>);
const KernelRegistrar bwd_w_f32(conv2d_backward_weight_kernels(), Device::CPU, DType::Float32,
                                &conv2d_backward_weight_cpu<float>);
const KernelRegistrar bwd_w_f64(conv2d_backward_weight_kernels(), Device::CPU, DType::Float64,
                                &conv2d_backward_weight_cpu<double>);

const KernelRegistrar ref_fwd_f32(conv2d_reference_kernels(), Device::CPU, DType::Float32,
                                  &conv2d_reference_cpu<float>);
const KernelRegistrar ref_fwd_f64(conv2d_reference_kernels(), Device::CPU, DType::Float64,
                                  &conv2d_reference_cpu<double>);
const KernelRegistrar ref_bwd_in_f32(conv2d_backward_input_reference_kernels(), Device::CPU,
                                     DType::Float32, &conv2d_backward_input_reference_cpu<float>);
const KernelRegistrar ref_bwd_in_f64(conv2d_backward_input_reference_kernels(), Device::CPU,
                                     DType::Float64, &conv2d_backward_input_reference_cpu<double>);
const KernelRegistrar ref_bwd_w_f32(conv2d_backward_weight_reference_kernels(), Device::CPU,
                                    DType::Float32, &conv2d_backward_weight_reference_cpu<float>);
const KernelRegistrar ref_bwd_w_f64(conv2d_backward_weight_reference_kernels(), Device::CPU,
                                    DType::Float64, &conv2d_backward_weight_reference_cpu<double>);

}  // namespace
}  // namespace bcl
