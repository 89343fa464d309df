// CUDA 2-D max and average pooling, registered beside the CPU kernels of tensor/kernels/pool2d.cpp.
//
// Plain kernels rather than cuDNN's pooling: the CPU contract has what cuDNN does not give, max
// pooling's Int64 argmax indices (the backward reads them instead of x), the first maximum winning
// ties, NaN propagation, and averages summed in double. Every kernel adds in the CPU's order, so
// results are the CPU's bit for bit (up to the CPU compiler's choice to fuse a multiply-add in the
// average's backward), and deterministic.
#include "tensor/kernels/cuda_rows.cuh"
#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/pool2d.h"

namespace bcl {
namespace {

// The sizes of one pooling with its parameters, passed by value to the kernels.
struct PoolGeometry {
  int64_t planes, h, w, ho, wo;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};

PoolGeometry pool_geometry(const Shape& x, const Shape& y, const Pool2dParams& p) {
  const Pool2dDims d = pool2d_dims(x, y);
  return {d.planes,   d.h,        d.w,        d.ho,    d.wo,   p.kernel_h,
          p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w};
}

// The rows (or columns) [begin, end) of the input under output position o, clipped to the input.
struct Span {
  int64_t begin, end;
};

__device__ Span window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  return {start > 0 ? start : 0, start + kernel < size ? start + kernel : size};
}

// Output position (plane, oh, ow) of flat index k of an [planes, Ho, Wo] tensor.
struct OutPos {
  int64_t plane, oh, ow;
};

__device__ OutPos out_pos(int64_t k, const PoolGeometry& g) {
  return {k / (g.ho * g.wo), (k / g.wo) % g.ho, k % g.wo};
}

// The flat index of the window's first maximum, or of its first NaN (v != v), as on the CPU.
template <class T>
__device__ int64_t window_argmax(const T* plane, int64_t width, Span rows, Span cols) {
  int64_t arg = rows.begin * width + cols.begin;
  T best = plane[arg];
  for (int64_t ih = rows.begin; ih < rows.end; ++ih) {
    for (int64_t iw = cols.begin; iw < cols.end; ++iw) {
      const T v = plane[ih * width + iw];
      if (v != v) return ih * width + iw;
      if (v > best) {
        arg = ih * width + iw;
        best = v;
      }
    }
  }
  return arg;
}

template <class T>
__global__ void max_pool2d_kernel(const T* x, T* out, int64_t* indices, PoolGeometry g) {
  const int64_t n = g.planes * g.ho * g.wo;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += step) {
    const OutPos o = out_pos(k, g);
    const T* plane = x + o.plane * g.h * g.w;
    const int64_t arg =
        window_argmax(plane, g.w, window(o.oh, g.stride_h, g.pad_h, g.kernel_h, g.h),
                      window(o.ow, g.stride_w, g.pad_w, g.kernel_w, g.w));
    out[k] = plane[arg];
    indices[k] = arg;
  }
}

template <class T>
void max_pool2d_cuda(const Tensor& x, const Tensor& out, const Tensor& indices,
                     const Pool2dParams& p) {
  const int64_t n = out.numel();
  if (n == 0) return;
  max_pool2d_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      x.data<T>(), out.data<T>(), indices.data<int64_t>(),
      pool_geometry(x.shape(), out.shape(), p));
  BCL_CUDA_CHECK_LAUNCH();
}

// Max pooling's backward scatters grad_out[k] into grad_in[indices[k]], and overlapping windows
// can share a maximum. The kernel gets no pooling parameters (so it cannot gather per input
// element), and atomics would add shared maxima in a varying order. Instead one warp owns one
// plane: it zeroes it, then takes the plane's outputs 32 at a time in order. Lanes whose indices
// coincide find each other with __match_any_sync and the lowest adds all their values in lane
// order, so every input element receives its gradients in increasing k, exactly as the CPU's loop
// adds them. An index outside the plane (the CPU would write out of bounds) is skipped.
constexpr int kWarpSize = 32;
constexpr int kWarpsPerBlock = cuda::kThreadsPerBlock / kWarpSize;

template <class T>
__global__ void max_pool2d_backward_kernel(const T* grad_out, const int64_t* indices, T* grad_in,
                                           int64_t planes, int64_t in_plane, int64_t out_plane) {
  __shared__ T staged[kWarpsPerBlock][kWarpSize];
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  // The loop bounds are the same for the 32 lanes of a warp, so they all reach every sync.
  for (int64_t plane = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp; plane < planes;
       plane += static_cast<int64_t>(gridDim.x) * kWarpsPerBlock) {
    T* gx = grad_in + plane * in_plane;
    const T* gy = grad_out + plane * out_plane;
    const int64_t* idx = indices + plane * out_plane;
    for (int64_t i = lane; i < in_plane; i += kWarpSize) gx[i] = T(0);
    __syncwarp();
    for (int64_t base = 0; base < out_plane; base += kWarpSize) {
      const int64_t k = base + lane;
      int64_t target = k < out_plane ? idx[k] : -1;
      // A lane with nothing to add gets a key of its own (negative, unlike any valid index).
      if (target < 0 || target >= in_plane) target = -1 - lane;
      staged[warp][lane] = k < out_plane ? gy[k] : T(0);
      const unsigned peers = __match_any_sync(0xffffffffu, static_cast<unsigned long long>(target));
      __syncwarp();
      if (target >= 0 && lane == __ffs(static_cast<int>(peers)) - 1) {
        T acc = gx[target];
        for (unsigned m = peers; m != 0; m &= m - 1)
          acc += staged[warp][__ffs(static_cast<int>(m)) - 1];
        gx[target] = acc;
      }
      // Publishes this chunk's sums to the next chunk's leaders and frees `staged`.
      __syncwarp();
    }
  }
}

template <class T>
void max_pool2d_backward_cuda(const Tensor& grad_out, const Tensor& indices,
                              const Tensor& grad_in) {
  const int64_t planes = grad_out.size(0) * grad_out.size(1);
  if (planes == 0 || grad_in.numel() == 0) return;
  const int64_t in_plane = grad_in.size(2) * grad_in.size(3);
  const int64_t out_plane = grad_out.size(2) * grad_out.size(3);
  const int64_t blocks = (planes + kWarpsPerBlock - 1) / kWarpsPerBlock;
  max_pool2d_backward_kernel<T><<<static_cast<unsigned>(blocks < 65536 ? blocks : 65536),
                                  cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      grad_out.data<T>(), indices.data<int64_t>(), grad_in.data<T>(), planes, in_plane, out_plane);
  BCL_CUDA_CHECK_LAUNCH();
}

// Every window lies within the padded border, so each divides by the full kernel area
// (count_include_pad=True); the sum runs in double in the CPU's row-major order.
template <class T>
__global__ void avg_pool2d_kernel(const T* x, T* out, PoolGeometry g, double area) {
  const int64_t n = g.planes * g.ho * g.wo;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += step) {
    const OutPos o = out_pos(k, g);
    const T* plane = x + o.plane * g.h * g.w;
    const Span rows = window(o.oh, g.stride_h, g.pad_h, g.kernel_h, g.h);
    const Span cols = window(o.ow, g.stride_w, g.pad_w, g.kernel_w, g.w);
    double sum = 0;
    for (int64_t ih = rows.begin; ih < rows.end; ++ih) {
      for (int64_t iw = cols.begin; iw < cols.end; ++iw) sum += plane[ih * g.w + iw];
    }
    out[k] = static_cast<T>(sum / area);
  }
}

template <class T>
void avg_pool2d_cuda(const Tensor& x, const Tensor& out, const Pool2dParams& p) {
  const int64_t n = out.numel();
  if (n == 0) return;
  avg_pool2d_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      x.data<T>(), out.data<T>(), pool_geometry(x.shape(), out.shape(), p),
      static_cast<double>(p.kernel_h * p.kernel_w));
  BCL_CUDA_CHECK_LAUNCH();
}

// The first output position whose window [o stride - pad, o stride - pad + kernel) reaches input
// position i: o stride > i + pad - kernel, i.e. o >= ceil((i + pad - kernel + 1) / stride). The
// last is floor((i + pad) / stride).
__device__ int64_t first_window(int64_t i, int64_t stride, int64_t pad, int64_t kernel) {
  const int64_t lo = i + pad - kernel + 1;
  return lo <= 0 ? 0 : (lo + stride - 1) / stride;
}

// dx[h, w] = sum over the windows holding (h, w) of dy * scale, gathered per input element in
// the (oh, ow) order in which the CPU scatters them.
template <class T>
__global__ void avg_pool2d_backward_kernel(const T* grad_out, T* grad_in, PoolGeometry g, T scale) {
  const int64_t n = g.planes * g.h * g.w;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t plane = i / (g.h * g.w), ih = (i / g.w) % g.h, iw = i % g.w;
    const int64_t oh_begin = first_window(ih, g.stride_h, g.pad_h, g.kernel_h);
    const int64_t ow_begin = first_window(iw, g.stride_w, g.pad_w, g.kernel_w);
    const int64_t oh_last = (ih + g.pad_h) / g.stride_h, ow_last = (iw + g.pad_w) / g.stride_w;
    const int64_t oh_end = oh_last + 1 < g.ho ? oh_last + 1 : g.ho;
    const int64_t ow_end = ow_last + 1 < g.wo ? ow_last + 1 : g.wo;
    const T* gy = grad_out + plane * g.ho * g.wo;
    T acc = T(0);
    for (int64_t oh = oh_begin; oh < oh_end; ++oh) {
      // mul_rn: the product rounded on its own, as the CPU's g = dy * scale.
      for (int64_t ow = ow_begin; ow < ow_end; ++ow) acc += cuda::mul_rn(gy[oh * g.wo + ow], scale);
    }
    grad_in[i] = acc;
  }
}

template <class T>
void avg_pool2d_backward_cuda(const Tensor& grad_out, const Tensor& grad_in,
                              const Pool2dParams& p) {
  const int64_t n = grad_in.numel();
  if (n == 0) return;
  const T scale = T(1) / static_cast<T>(p.kernel_h * p.kernel_w);
  avg_pool2d_backward_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      grad_out.data<T>(), grad_in.data<T>(), pool_geometry(grad_in.shape(), grad_out.shape(), p),
      scale);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar max_f32(max_pool2d_kernels(), Device::CUDA, DType::Float32,
                              &max_pool2d_cuda<float>);
const KernelRegistrar max_f64(max_pool2d_kernels(), Device::CUDA, DType::Float64,
                              &max_pool2d_cuda<double>);
const KernelRegistrar max_bwd_f32(max_pool2d_backward_kernels(), Device::CUDA, DType::Float32,
                                  &max_pool2d_backward_cuda<float>);
const KernelRegistrar max_bwd_f64(max_pool2d_backward_kernels(), Device::CUDA, DType::Float64,
                                  &max_pool2d_backward_cuda<double>);
const KernelRegistrar avg_f32(avg_pool2d_kernels(), Device::CUDA, DType::Float32,
                              &avg_pool2d_cuda<float>);
const KernelRegistrar avg_f64(avg_pool2d_kernels(), Device::CUDA, DType::Float64,
                              &avg_pool2d_cuda<double>);
const KernelRegistrar avg_bwd_f32(avg_pool2d_backward_kernels(), Device::CUDA, DType::Float32,
                                  &avg_pool2d_backward_cuda<float>);
const KernelRegistrar avg_bwd_f64(avg_pool2d_backward_kernels(), Device::CUDA, DType::Float64,
                                  &avg_pool2d_backward_cuda<double>);

}  // namespace
}  // namespace bcl
