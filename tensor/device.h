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

// The CUDA caching allocator's counters (all zero in a CPU-only build). Sizes are the rounded
// sizes of the blocks: below 1 MiB a multiple of 512 B, from 1 MiB on a multiple of 2 MiB.
// A training step allocates the same sizes every time, so from the second step on every request
// should be a cache hit and cuda_mallocs should stop growing.
struct CudaAllocatorStats {
  int64_t cuda_mallocs = 0;  // blocks taken from cudaMalloc
  int64_t cache_hits = 0;    // requests served by a freed block of the same rounded size
  int64_t cuda_frees = 0;    // cached blocks given back by cudaFree (release or out of memory)
  int64_t bytes_in_use = 0, peak_bytes_in_use = 0;  // held by live tensors
  int64_t bytes_cached = 0;                         // freed, kept for reuse
  int64_t staging_bytes = 0;  // the pinned host buffer that host <-> device copies pass through
};
CudaAllocatorStats cuda_allocator_stats();
// Gives every cached block back to CUDA (cudaFree), e.g. before handing the GPU to another
// process, or in tests. Blocks held by live tensors stay. Does nothing in a CPU-only build.
void release_cuda_cache();

// Waits until the GPU has run everything queued on bcl's stream, and reports an error a kernel hit
// meanwhile (timing, and tests). Does nothing in a CPU-only build or on a machine without a GPU.
void cuda_synchronize();

// Copies src's bytes into dst. Both must be contiguous, of one shape and one dtype; each may be on
// either device (host to device, device to host, device to device, or host to host). Conversions
// and strided layouts are raw::copy_'s job, which calls this for the move itself.
void copy_between_devices(const Tensor& dst, const Tensor& src);

}  // namespace bcl
