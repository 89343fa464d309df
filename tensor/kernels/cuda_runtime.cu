// The CUDA runtime glue: the allocator for Device::CUDA, device discovery and raw copies.
#include <cstdio>

#include "tensor/kernels/cuda_check.h"
#include "tensor/kernels/cuda_runtime.h"
#include "tensor/storage.h"

namespace bcl {
namespace cuda {

int device_count() {
  // Asked once: the answer cannot change while the process runs. A machine without a driver or a
  // GPU makes cudaGetDeviceCount fail; that only means "no GPU", so the error is read and cleared
  // (cudaGetLastError resets it) instead of being thrown.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    return n;
  }();
  return count;
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  const bool to_gpu = dst_device == Device::CUDA, from_gpu = src_device == Device::CUDA;
  const cudaMemcpyKind kind = to_gpu
                                  ? (from_gpu ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                  : (from_gpu ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  // Synchronous: it waits for the kernels queued before it, so the bytes it reads are final, and
  // host memory handed to it may be freed as soon as it returns.
  BCL_CUDA_CHECK(cudaMemcpy(dst, src, nbytes, kind));
}

}  // namespace cuda

namespace {

// One cudaMalloc per Storage and one cudaFree when it dies. Both are slow (cudaFree synchronises
// the device), so a caching allocator that keeps freed blocks for reuse will replace this one.
class CudaAllocator : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    void* p = nullptr;
    BCL_CUDA_CHECK(cudaMalloc(&p, nbytes));
    return p;
  }

  // Called from ~Storage, so it must not throw. At process exit the runtime may already be torn
  // down when the last tensors die; that is harmless and stays silent.
  void deallocate(void* ptr, size_t) override {
    if (ptr == nullptr) return;
    const cudaError_t status = cudaFree(ptr);
    if (status != cudaSuccess && status != cudaErrorCudartUnloading) {
      std::fprintf(stderr, "bcl: cudaFree failed: %s\n", cudaGetErrorString(status));
    }
  }
};

// Installed during static initialisation; no CUDA call happens here, so a binary built with CUDA=1
// still starts on a machine without a GPU (allocating on Device::CUDA then fails with CUDA's
// error). The allocator is never destroyed: tensors held in static variables may be freed after
// static destructors have run.
const bool cuda_allocator_installed = [] {
  set_allocator(Device::CUDA, new CudaAllocator());
  return true;
}();

}  // namespace
}  // namespace bcl
