// CPU reference convolutions: the definitions written out as direct loops, summed in double.
//
// They are the oracles the fast kernels (tensor/kernels/conv2d.cpp) are tested against, and are
// deliberately naive: y[n, o, oh, ow] = b[o] + sum_{c, i, j} w[o, c, i, j] *
// x[n, g*C/groups + c, oh*stride_h - pad_h + i, ow*stride_w - pad_w + j] with g = o / (O/groups).
// Each backward sums the same products over the other indices.
#include "tensor/kernels/conv2d.h"

namespace bcl {
namespace {

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
