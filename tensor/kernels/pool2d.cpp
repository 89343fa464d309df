// CPU pooling kernels. Threads split the N*C planes, so no two threads write the same element and
// every sum is taken in the same order whatever the thread count.
#include "tensor/kernels/pool2d.h"

#include <algorithm>
#include <cmath>

namespace bcl {
namespace {

// Below this many window reads, a pooling is not worth waking threads for.
constexpr int64_t kParallelWork = 1 << 15;

// The rows (or columns) [begin, end) of the input under output position o, clipped to the input.
struct Span {
  int64_t begin, end;
};

Span window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  return {std::max<int64_t>(start, 0), std::min(start + kernel, size)};
}

// The flat index of the window's first maximum, or of its first NaN (NaN propagates, as in
// PyTorch, so a diverging network shows up in its outputs).
template <class T>
int64_t window_argmax(const T* plane, int64_t width, Span rows, Span cols) {
  int64_t arg = rows.begin * width + cols.begin;
  for (int64_t ih = rows.begin; ih < rows.end; ++ih) {
    for (int64_t iw = cols.begin; iw < cols.end; ++iw) {
      const T v = plane[ih * width + iw];
      if (std::isnan(v)) return ih * width + iw;
      if (v > plane[arg]) arg = ih * width + iw;
    }
  }
  return arg;
}

template <class T>
void max_pool2d_cpu(const Tensor& x, const Tensor& out, const Tensor& indices,
                    const Pool2dParams& p) {
  const Pool2dDims d = pool2d_dims(x.shape(), out.shape());
  const T* px = x.data<T>();
  T* py = out.data<T>();
  int64_t* pi = indices.data<int64_t>();
#pragma omp parallel for if (d.planes * d.ho * d.wo * p.kernel_h * p.kernel_w > kParallelWork)
  for (int64_t plane = 0; plane < d.planes; ++plane) {
    const T* xp = px + plane * d.h * d.w;
    for (int64_t oh = 0; oh < d.ho; ++oh) {
      const Span rows = window(oh, p.stride_h, p.pad_h, p.kernel_h, d.h);
      for (int64_t ow = 0; ow < d.wo; ++ow) {
        const Span cols = window(ow, p.stride_w, p.pad_w, p.kernel_w, d.w);
        const int64_t arg = window_argmax(xp, d.w, rows, cols);
        const int64_t k = (plane * d.ho + oh) * d.wo + ow;
        py[k] = xp[arg];
        pi[k] = arg;
      }
    }
  }
}

template <class T>
void max_pool2d_backward_cpu(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_in) {
  const int64_t in_plane = grad_in.size(2) * grad_in.size(3);
  const int64_t out_plane = grad_out.size(2) * grad_out.size(3);
  const int64_t planes = grad_out.size(0) * grad_out.size(1);
  const T* pgy = grad_out.data<T>();
  const int64_t* pi = indices.data<int64_t>();
  T* pgx = grad_in.data<T>();
#pragma omp parallel for if (planes * (in_plane + out_plane) > kParallelWork)
  for (int64_t plane = 0; plane < planes; ++plane) {
    T* gx = pgx + plane * in_plane;
    std::fill(gx, gx + in_plane, T(0));
    // Overlapping windows can share a maximum: its gradient is the sum of theirs.
    for (int64_t k = plane * out_plane; k < (plane + 1) * out_plane; ++k) gx[pi[k]] += pgy[k];
  }
}

// With padding at most half the kernel and outputs rounded down, no window reaches past the padded
// border, so each divides by the full kernel area (PyTorch's count_include_pad=True).
template <class T>
void avg_pool2d_cpu(const Tensor& x, const Tensor& out, const Pool2dParams& p) {
  const Pool2dDims d = pool2d_dims(x.shape(), out.shape());
  const double area = static_cast<double>(p.kernel_h * p.kernel_w);
  const T* px = x.data<T>();
  T* py = out.data<T>();
#pragma omp parallel for if (d.planes * d.ho * d.wo * p.kernel_h * p.kernel_w > kParallelWork)
  for (int64_t plane = 0; plane < d.planes; ++plane) {
    const T* xp = px + plane * d.h * d.w;
    for (int64_t oh = 0; oh < d.ho; ++oh) {
      const Span rows = window(oh, p.stride_h, p.pad_h, p.kernel_h, d.h);
      for (int64_t ow = 0; ow < d.wo; ++ow) {
        const Span cols = window(ow, p.stride_w, p.pad_w, p.kernel_w, d.w);
        double sum = 0;
        for (int64_t ih = rows.begin; ih < rows.end; ++ih) {
          for (int64_t iw = cols.begin; iw < cols.end; ++iw) sum += xp[ih * d.w + iw];
        }
        py[(plane * d.ho + oh) * d.wo + ow] = static_cast<T>(sum / area);
      }
    }
  }
}

// dx[h, w] = sum over the windows that contain (h, w) of dy / (kernel_h * kernel_w).
template <class T>
void avg_pool2d_backward_cpu(const Tensor& grad_out, const Tensor& grad_in, const Pool2dParams& p) {
  const Pool2dDims d = pool2d_dims(grad_in.shape(), grad_out.shape());
  const T scale = T(1) / static_cast<T>(p.kernel_h * p.kernel_w);
  const T* pgy = grad_out.data<T>();
  T* pgx = grad_in.data<T>();
#pragma omp parallel for if (d.planes * d.ho * d.wo * p.kernel_h * p.kernel_w > kParallelWork)
  for (int64_t plane = 0; plane < d.planes; ++plane) {
    T* gx = pgx + plane * d.h * d.w;
    std::fill(gx, gx + d.h * d.w, T(0));
    for (int64_t oh = 0; oh < d.ho; ++oh) {
      const Span rows = window(oh, p.stride_h, p.pad_h, p.kernel_h, d.h);
      for (int64_t ow = 0; ow < d.wo; ++ow) {
        const Span cols = window(ow, p.stride_w, p.pad_w, p.kernel_w, d.w);
        const T g = pgy[(plane * d.ho + oh) * d.wo + ow] * scale;
        for (int64_t ih = rows.begin; ih < rows.end; ++ih) {
          for (int64_t iw = cols.begin; iw < cols.end; ++iw) gx[ih * d.w + iw] += g;
        }
      }
    }
  }
}

const KernelRegistrar max_f32(max_pool2d_kernels(), Device::CPU, DType::Float32,
                              &max_pool2d_cpu<float>);
const KernelRegistrar max_f64(max_pool2d_kernels(), Device::CPU, DType::Float64,
                              &max_pool2d_cpu<double>);
const KernelRegistrar max_bwd_f32(max_pool2d_backward_kernels(), Device::CPU, DType::Float32,
                                  &max_pool2d_backward_cpu<float>);
const KernelRegistrar max_bwd_f64(max_pool2d_backward_kernels(), Device::CPU, DType::Float64,
                                  &max_pool2d_backward_cpu<double>);
const KernelRegistrar avg_f32(avg_pool2d_kernels(), Device::CPU, DType::Float32,
                              &avg_pool2d_cpu<float>);
const KernelRegistrar avg_f64(avg_pool2d_kernels(), Device::CPU, DType::Float64,
                              &avg_pool2d_cpu<double>);
const KernelRegistrar avg_bwd_f32(avg_pool2d_backward_kernels(), Device::CPU, DType::Float32,
                                  &avg_pool2d_backward_cpu<float>);
const KernelRegistrar avg_bwd_f64(avg_pool2d_backward_kernels(), Device::CPU, DType::Float64,
                                  &avg_pool2d_backward_cpu<double>);

}  // namespace
}  // namespace bcl
