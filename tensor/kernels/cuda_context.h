// What every CUDA kernel file shares: the stream kernels run on, the cuBLAS and cuDNN handles bound
// to it, one growable workspace, and error checks for the two libraries. Include from .cu files
// only.
//
// One stream per process (device 0), created on first use. Kernels, cuBLAS and cuDNN calls and
// the copies of cuda::copy_bytes all go on cuda::stream(), so they run in the order the host
// issued them: no kernel needs its own synchronisation, and the caching allocator may hand a freed
// block to the next request at once (whatever still reads it was queued before its new owner).
#pragma once

#include <cublas_v2.h>
#include <cudnn.h>

#include <cstddef>

#include "tensor/kernels/cuda_check.h"

// BCL_CUBLAS_CHECK(cublasSgemm(...)) and BCL_CUDNN_CHECK(cudnnConvolutionForward(...)) throw
// bcl::Error naming the call, the file and line, and the library's status.
#define BCL_CUBLAS_CHECK(call)                                                              \
  do {                                                                                      \
    const cublasStatus_t bcl_cublas_status_ = (call);                                       \
    BCL_CHECK(bcl_cublas_status_ == CUBLAS_STATUS_SUCCESS, "cuBLAS error: ", #call, " at ", \
              __FILE__, ":", __LINE__, ": ", cublasGetStatusString(bcl_cublas_status_));    \
  } while (0)

#define BCL_CUDNN_CHECK(call)                                                                      \
  do {                                                                                             \
    const cudnnStatus_t bcl_cudnn_status_ = (call);                                                \
    BCL_CHECK(bcl_cudnn_status_ == CUDNN_STATUS_SUCCESS, "cuDNN error: ", #call, " at ", __FILE__, \
              ":", __LINE__, ": ", cudnnGetErrorString(bcl_cudnn_status_));                        \
  } while (0)

namespace bcl::cuda {

// The stream every bcl kernel and library call runs on.
cudaStream_t stream();
// The cuBLAS and cuDNN handles, created on first use and bound to stream().
cublasHandle_t cublas();
cudnnHandle_t cudnn();

// Scratch memory of at least nbytes on the device, shared by every kernel that needs working
// memory (cuDNN's convolution algorithms above all). It only grows; the pointer stays valid until
// the next call to workspace() with a larger size, so take it right before the call that uses it.
// Work on one stream runs in order, so two ops never use it at once.
void* workspace(size_t nbytes);

// The most workspace a convolution algorithm may ask for: algorithms that want more are skipped.
constexpr size_t kWorkspaceCap = size_t(1) << 30;

// Waits until everything queued on stream() has finished (for timing and tests), and reports any
// error a kernel hit meanwhile.
void synchronize();

}  // namespace bcl::cuda
