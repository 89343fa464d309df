// What the CUDA tests share: skipping when no GPU is there, moving tensors, and comparing a CUDA
// result with the CPU kernel's under a stated tolerance.
#pragma once

#include <map>
#include <string>

#include "tensor/device.h"
#include "tests/skip.h"
#include "tests/test_util.h"

namespace bcl::test {

// True when there is no GPU to run on, after marking the case skipped (tests/skip.h): it then
// reports as skipped, not passed.
inline bool skip_without_gpu() {
  if (cuda_available()) return false;
#ifdef BCL_CUDA
  skip(SkipReason::NoGpu);
#else
  skip(SkipReason::CpuOnlyBuild);
#endif
  return true;
}

inline Tensor to_cuda(const Tensor& t) {
  return raw::to_device(t, Device::CUDA);
}
inline Tensor to_cpu(const Tensor& t) {
  return raw::to_device(t, Device::CPU);
}

// Every CUDA-vs-CPU comparison is recorded per op: the largest |gpu - cpu| and the largest
// closeness ratio (<= 1 passes). When BCL_CUDA_ERRORS_JSON names a file, the table is written there
// as JSON at exit; scripts/device_check.sh reports it.
struct CudaErrorRecord {
  double max_abs = 0, worst_ratio = 0, atol = 0, rtol = 0;
  int64_t comparisons = 0;
};
std::map<std::string, CudaErrorRecord>& cuda_error_table();

// Checks that gpu (on CUDA) matches cpu within atol + rtol * |cpu| everywhere, and records it
// under `op`.
void check_cuda_matches(const std::string& op, const Tensor& gpu, const Tensor& cpu, double atol,
                        double rtol);

}  // namespace bcl::test
