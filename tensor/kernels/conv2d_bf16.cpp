// bfloat16 convolution on the CPU: the reference for the GPU's (tensor/kernels/conv2d.cu).
//
// These kernels use no bfloat16 instructions (AVX-512 BF16 is on some of the project's
// machines, not all). They compute what a bf16 tensor-core convolution computes: the products
// of the bf16 operands, which are exact in float32 (8-bit by 8-bit significands), summed in
// float32, and the sum rounded once to bf16:
//   y = bf16( sum_c,i,j float(w) * float(x) ).
// They widen both operands to float32, run the float32 kernel, and round its output. cuDNN sums
// in another order, so the two agree to bf16 rounding (one unit in the last place, 2^-7
// relative) plus float32 summation noise. On the CPU this is slower than float32 (two extra
// passes over the data): it exists for tests and for the CPU half of the mixed-precision path.
#include "tensor/kernels/conv2d.h"
#include "tensor/kernels/copy.h"

namespace bcl {
namespace {

// The kernels work between kernels: conversions go through the copy kernel, not the front-ends.
void convert(const Tensor& dst, const Tensor& src) {
  copy_kernels().get(Device::CPU, dst.dtype())(dst, src);
}

Tensor widen(const Tensor& t) {
  if (!t.defined()) return t;
  Tensor wide = empty(t.shape(), DType::Float32);
  convert(wide, t);
  return wide;
}

void conv2d_cpu_bf16(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                     const Conv2dParams& p) {
  Tensor wide = empty(out.shape(), DType::Float32);
  conv2d_kernels().get(Device::CPU, DType::Float32)(widen(x), widen(w), widen(bias), wide, p);
  convert(out, wide);
}

void conv2d_backward_input_cpu_bf16(const Tensor& grad_out, const Tensor& w, const Tensor& grad_in,
                                    const Conv2dParams& p) {
  Tensor wide = empty(grad_in.shape(), DType::Float32);
  conv2d_backward_input_kernels().get(Device::CPU, DType::Float32)(widen(grad_out), widen(w), wide,
                                                                   p);
  convert(grad_in, wide);
}

void conv2d_backward_weight_cpu_bf16(const Tensor& grad_out, const Tensor& x, const Tensor& grad_w,
                                     const Conv2dParams& p) {
  Tensor wide = empty(grad_w.shape(), DType::Float32);
  conv2d_backward_weight_kernels().get(Device::CPU, DType::Float32)(widen(grad_out), widen(x), wide,
                                                                    p);
  convert(grad_w, wide);
}

const KernelRegistrar fwd_bf16(conv2d_kernels(), Device::CPU, DType::BFloat16, &conv2d_cpu_bf16);
const KernelRegistrar bwd_in_bf16(conv2d_backward_input_kernels(), Device::CPU, DType::BFloat16,
                                  &conv2d_backward_input_cpu_bf16);
const KernelRegistrar bwd_w_bf16(conv2d_backward_weight_kernels(), Device::CPU, DType::BFloat16,
                                 &conv2d_backward_weight_cpu_bf16);

}  // namespace
}  // namespace bcl
