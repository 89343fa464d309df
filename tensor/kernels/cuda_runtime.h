// The CUDA runtime as tensor/device.cpp sees it: plain C++ declarations, defined in
// tensor/kernels/cuda_runtime.cu and linked only in a CUDA=1 build (BCL_CUDA defined).
#pragma once

#include <cstddef>

#include "tensor/dtype.h"

namespace bcl::cuda {

// cudaGetDeviceCount, with every error (no driver, no GPU) read as 0.
int device_count();

// cudaMemcpy of nbytes from src (memory of src_device) to dst (memory of dst_device).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);

}  // namespace bcl::cuda
