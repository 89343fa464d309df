// Devices: whether a GPU is there, and moving bytes between host and GPU memory.
//
// bcl is built for the CPU by default; `make CUDA=1` adds the CUDA backend (tensor/kernels/*.cu),
// which installs the CUDA allocator and registers CUDA kernels beside the CPU ones. Tensors on
// Device::CUDA live on the current GPU (device 0 unless the process selects another).
#pragma once

#include "tensor/tensor.h"

namespace bcl {

// True when bcl was built with CUDA=1 and the machine has at least one usable GPU.
bool cuda_available();
// The number of usable GPUs: 0 in a CPU-only build, or when the driver or a GPU is missing.
int cuda_device_count();

// Copies src's bytes into dst. Both must be contiguous, of one shape and one dtype; each may be on
// either device (host to device, device to host, device to device, or host to host). Conversions
// and strided layouts are raw::copy_'s job, which calls this for the move itself.
void copy_between_devices(const Tensor& dst, const Tensor& src);

}  // namespace bcl
