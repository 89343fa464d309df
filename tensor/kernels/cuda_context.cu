// The shared stream, library handles and workspace of tensor/kernels/cuda_context.h.
#include <mutex>

#include "tensor/kernels/cuda_context.h"

namespace bcl::cuda {

// Each object is created once, on first use (so that a binary built with CUDA=1 starts on a
// machine without a GPU), and never destroyed: tensors and handles may still be in use while
// static destructors run at exit.
cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t created = nullptr;
    BCL_CUDA_CHECK(cudaStreamCreate(&created));
    return created;
  }();
  return s;
}

cublasHandle_t cublas() {
  static cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    BCL_CUBLAS_CHECK(cublasCreate(&created));
    BCL_CUBLAS_CHECK(cublasSetStream(created, stream()));
    // Plain fp32 arithmetic: TF32 tensor cores would make GEMMs differ from the CPU's by ~1e-3.
    BCL_CUBLAS_CHECK(cublasSetMathMode(created, CUBLAS_DEFAULT_MATH));
    return created;
  }();
  return h;
}

cudnnHandle_t cudnn() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t created = nullptr;
    BCL_CUDNN_CHECK(cudnnCreate(&created));
    BCL_CUDNN_CHECK(cudnnSetStream(created, stream()));
    return created;
  }();
  return h;
}

void* workspace(size_t nbytes) {
  static std::mutex mutex;
  static void* block = nullptr;
  static size_t capacity = 0;
  std::lock_guard<std::mutex> lock(mutex);
  if (nbytes > capacity) {
    // The old block may still be read by queued work: wait for it before freeing.
    if (block != nullptr) {
      BCL_CUDA_CHECK(cudaStreamSynchronize(stream()));
      BCL_CUDA_CHECK(cudaFree(block));
      block = nullptr;
    }
    BCL_CUDA_CHECK(cudaMalloc(&block, nbytes));
    capacity = nbytes;
  }
  return block;
}

void synchronize() {
  BCL_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

}  // namespace bcl::cuda
