// CPU copy and fill kernels.
#include "tensor/kernels/copy.h"

#include <cstring>

#include "tensor/kernels/strided.h"

namespace bcl {
namespace {

template <class Dst, class Src>
void copy_typed(const Tensor& dst, const Tensor& src) {
  Dst* d = static_cast<Dst*>(dst.raw_data());
  const Src* s = static_cast<const Src*>(src.raw_data());
  cpu::for_each_strided<2>(
      dst.shape(), {dst.strides(), src.strides()},
      [&](const std::array<int64_t, 2>& o) { d[o[0]] = static_cast<Dst>(s[o[1]]); });
}

template <class Dst>
void copy_cpu(const Tensor& dst, const Tensor& src) {
  if (src.dtype() == dst.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    std::memcpy(dst.raw_data(), src.raw_data(), dst.numel() * sizeof(Dst));
    return;
  }
  switch (src.dtype()) {
    case DType::Float32:
      copy_typed<Dst, float>(dst, src);
      break;
    case DType::Float64:
      copy_typed<Dst, double>(dst, src);
      break;
    case DType::Int64:
      copy_typed<Dst, int64_t>(dst, src);
      break;
    case DType::BFloat16:
      copy_typed<Dst, bfloat16>(dst, src);
      break;
  }
}

template <class T>
void fill_cpu(const Tensor& x, double value) {
  T* p = x.data<T>();
  const T v = static_cast<T>(value);
  cpu::for_each_strided<1>(x.shape(), {x.strides()},
                           [&](const std::array<int64_t, 1>& o) { p[o[0]] = v; });
}

const KernelRegistrar copy_f32(copy_kernels(), Device::CPU, DType::Float32, &copy_cpu<float>);
const KernelRegistrar copy_f64(copy_kernels(), Device::CPU, DType::Float64, &copy_cpu<double>);
const KernelRegistrar copy_i64(copy_kernels(), Device::CPU, DType::Int64, &copy_cpu<int64_t>);
const KernelRegistrar copy_bf16(copy_kernels(), Device::CPU, DType::BFloat16, &copy_cpu<bfloat16>);
const KernelRegistrar fill_f32(fill_kernels(), Device::CPU, DType::Float32, &fill_cpu<float>);
const KernelRegistrar fill_f64(fill_kernels(), Device::CPU, DType::Float64, &fill_cpu<double>);
const KernelRegistrar fill_i64(fill_kernels(), Device::CPU, DType::Int64, &fill_cpu<int64_t>);
const KernelRegistrar fill_bf16(fill_kernels(), Device::CPU, DType::BFloat16, &fill_cpu<bfloat16>);

}  // namespace
}  // namespace bcl
