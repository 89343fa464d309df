// Device queries and cross-device copies. Compiled in every build: without BCL_CUDA there is no
// GPU, and only host-to-host copies work.
#include "tensor/device.h"

#include <atomic>
#include <cstring>

#include "tensor/value_checks.h"

#ifdef BCL_CUDA
#include "tensor/kernels/cuda_runtime.h"
#endif

namespace bcl {
namespace {
std::atomic<bool> g_gpu_value_checks{true};
}  // namespace

bool gpu_value_checks() {
  return g_gpu_value_checks.load();
}

void set_gpu_value_checks(bool on) {
  g_gpu_value_checks.store(on);
}

int cuda_device_count() {
#ifdef BCL_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

bool cuda_available() {
  return cuda_device_count() > 0;
}

CudaAllocatorStats cuda_allocator_stats() {
#ifdef BCL_CUDA
  return cuda::allocator_stats();
#else
  return {};
#endif
}

void release_cuda_cache() {
#ifdef BCL_CUDA
  cuda::release_cache();
#endif
}

void cuda_synchronize() {
#ifdef BCL_CUDA
  if (cuda_available()) cuda::synchronize();
#endif
}

void copy_between_devices(const Tensor& dst, const Tensor& src) {
  BCL_CHECK(dst.shape() == src.shape(), "copy_between_devices: shapes ", shape_str(dst.shape()),
            " (dst) and ", shape_str(src.shape()), " (src) differ");
  BCL_CHECK(dst.dtype() == src.dtype(), "copy_between_devices: dtypes ", dtype_name(dst.dtype()),
            " (dst) and ", dtype_name(src.dtype()), " (src) differ");
  BCL_CHECK(dst.is_contiguous() && src.is_contiguous(),
            "copy_between_devices: both tensors must be contiguous (dst ",
            dst.is_contiguous() ? "is" : "is not", ", src ", src.is_contiguous() ? "is" : "is not",
            ")");
  const size_t nbytes = static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype());
  if (nbytes == 0) return;
  if (dst.device() == Device::CPU && src.device() == Device::CPU) {
    std::memcpy(dst.raw_data(), src.raw_data(), nbytes);
    return;
  }
#ifdef BCL_CUDA
  cuda::copy_bytes(dst.raw_data(), dst.device(), src.raw_data(), src.device(), nbytes);
#else
  BCL_CHECK(false, "copy_between_devices: CUDA support not compiled in: rebuild with make CUDA=1");
#endif
}

}  // namespace bcl
