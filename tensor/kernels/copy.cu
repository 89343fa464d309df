// CUDA copy and fill kernels, registered beside the CPU ones of tensor/kernels/copy.cpp.
//
// raw::copy_ needs these to bring a tensor back from the GPU: it first lays the tensor out
// contiguously on the GPU (converting its dtype if asked), then moves the bytes.
#include "tensor/kernels/copy.h"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

template <class Dst, class Src>
__global__ void copy_kernel(Dst* dst, const Src* src, int64_t n, cuda::StridedGeometry<2> g) {
  cuda::for_each_strided<2>(n, g,
                            [&](const int64_t(&o)[2]) { dst[o[0]] = static_cast<Dst>(src[o[1]]); });
}

template <class Dst, class Src>
void launch_copy(const Tensor& dst, const Tensor& src) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  copy_kernel<Dst, Src><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      static_cast<Dst*>(dst.raw_data()), static_cast<const Src*>(src.raw_data()), n,
      cuda::strided_geometry<2>({dst, src}, "copy"));
  BCL_CUDA_CHECK_LAUNCH();
}

template <class Dst>
void copy_cuda(const Tensor& dst, const Tensor& src) {
  switch (src.dtype()) {
    case DType::Float32:
      return launch_copy<Dst, float>(dst, src);
    case DType::Float64:
      return launch_copy<Dst, double>(dst, src);
    case DType::Int64:
      return launch_copy<Dst, int64_t>(dst, src);
    case DType::BFloat16:
      return launch_copy<Dst, bfloat16>(dst, src);
  }
}

template <class T>
__global__ void fill_kernel(T* x, T value, int64_t n, cuda::StridedGeometry<1> g) {
  cuda::for_each_strided<1>(n, g, [&](const int64_t(&o)[1]) { x[o[0]] = value; });
}

template <class T>
void fill_cuda(const Tensor& x, double value) {
  const int64_t n = x.numel();
  if (n == 0) return;
  fill_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      x.data<T>(), static_cast<T>(value), n, cuda::strided_geometry<1>({x}, "fill"));
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar copy_f32(copy_kernels(), Device::CUDA, DType::Float32, &copy_cuda<float>);
const KernelRegistrar copy_f64(copy_kernels(), Device::CUDA, DType::Float64, &copy_cuda<double>);
const KernelRegistrar copy_i64(copy_kernels(), Device::CUDA, DType::Int64, &copy_cuda<int64_t>);
const KernelRegistrar copy_bf16(copy_kernels(), Device::CUDA, DType::BFloat16,
                                &copy_cuda<bfloat16>);
const KernelRegistrar fill_f32(fill_kernels(), Device::CUDA, DType::Float32, &fill_cuda<float>);
const KernelRegistrar fill_f64(fill_kernels(), Device::CUDA, DType::Float64, &fill_cuda<double>);
const KernelRegistrar fill_i64(fill_kernels(), Device::CUDA, DType::Int64, &fill_cuda<int64_t>);
const KernelRegistrar fill_bf16(fill_kernels(), Device::CUDA, DType::BFloat16,
                                &fill_cuda<bfloat16>);

}  // namespace
}  // namespace bcl
