// The CUDA runtime as tensor/device.cpp sees it: plain C++ declarations, defined in
// tensor/kernels/cuda_runtime.cu and linked only in a CUDA=1 build (BCL_CUDA defined).
#pragma once

#include <cstddef>

#include "tensor/device.h"
#include "tensor/dtype.h"

namespace bcl::cuda {

// cudaGetDeviceCount, with every error (no driver, no GPU) read as 0.
int device_count();

// Moves nbytes from src (memory of src_device) to dst (memory of dst_device), in order on
// cuda::stream(). Host memory goes through a pinned staging buffer. When it returns, src may be
// freed or changed and, for a copy to the host, dst holds the bytes; a copy to or within the
// device may still be in flight, but every later kernel on the stream sees its result.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);

// The caching allocator of Device::CUDA (see cuda_runtime.cu).
CudaAllocatorStats allocator_stats();
void release_cache();

// cudaStreamSynchronize(cuda::stream()) (tensor/kernels/cuda_context.cu).
void synchronize();

}  // namespace bcl::cuda
