// Front-ends of the copy ops: contiguous, clone, copy_, to_dtype, to_device, fill_.
#include "tensor/device.h"
#include "tensor/kernels/copy.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<CopyKernel>& copy_kernels() {
  static DispatchTable<CopyKernel> table("copy");
  return table;
}

DispatchTable<FillKernel>& fill_kernels() {
  static DispatchTable<FillKernel> table("fill");
  return table;
}

namespace raw {

void copy_(const Tensor& dst, const Tensor& src) {
  Tensor s = expand(src, dst.shape());
  if (s.device() == dst.device()) {
    copy_kernels().get(dst.device(), dst.dtype())(dst, s);
    return;
  }
  // Across devices: make a contiguous block of dst's dtype on src's device, move it, then place it.
  Tensor block = empty(dst.shape(), dst.dtype(), s.device());
  copy_kernels().get(block.device(), block.dtype())(block, s);
  if (dst.is_contiguous()) {
    copy_between_devices(dst, block);
  } else {
    Tensor moved = empty(dst.shape(), dst.dtype(), dst.device());
    copy_between_devices(moved, block);
    copy_(dst, moved);
  }
}

Tensor clone(const Tensor& x) {
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  copy_(out, x);
  return out;
}

Tensor contiguous(const Tensor& x) {
  return x.is_contiguous() ? x : clone(x);
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), dtype, x.device());
  copy_(out, x);
  return out;
}

Tensor to_device(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  Tensor out = empty(x.shape(), x.dtype(), device);
  copy_(out, x);
  return out;
}

void fill_(const Tensor& x, double value) {
  fill_kernels().get(x.device(), x.dtype())(x, value);
}

}  // namespace raw
}  // namespace bcl
