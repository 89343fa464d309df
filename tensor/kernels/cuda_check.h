// Error checking for CUDA runtime calls (include from .cu files and BCL_CUDA-only code).
#pragma once

#include <cuda_runtime.h>

#include "tensor/error.h"

// BCL_CUDA_CHECK(cudaMalloc(&p, n)) throws bcl::Error naming the failed call, where it was made and
// CUDA's description of the error, e.g.
//   CUDA error: cudaMalloc(&p, n) at tensor/kernels/cuda_runtime.cu:20: out of memory
//   (cudaErrorMemoryAllocation)
#define BCL_CUDA_CHECK(call)                                                                 \
  do {                                                                                       \
    const cudaError_t bcl_cuda_status_ = (call);                                             \
    BCL_CHECK(bcl_cuda_status_ == cudaSuccess, "CUDA error: ", #call, " at ", __FILE__, ":", \
              __LINE__, ": ", cudaGetErrorString(bcl_cuda_status_), " (",                    \
              cudaGetErrorName(bcl_cuda_status_), ")");                                      \
  } while (0)

// After a kernel launch: reports a bad launch configuration at once. Errors inside the kernel
// surface later, at the next synchronising call (such as the cudaMemcpy that reads the result).
#define BCL_CUDA_CHECK_LAUNCH() BCL_CUDA_CHECK(cudaGetLastError())
