// Checks that read a GPU tensor's values back to the host to validate them, such as the label
// ranges of the fused cross-entropy and of the contrastive losses. Each one waits for the stream:
// in a training step, a pause of the GPU per loss. A training loop whose labels were validated
// when its dataset was loaded may turn them off (bcl-train does on a GPU). The kernels they guard
// stay memory-safe without them: a label outside [0, C) is never used as an index, and gives a
// NaN loss instead of the error message. Values on the CPU are always checked (it costs nothing).
#pragma once

namespace bcl {

bool gpu_value_checks();  // on by default
void set_gpu_value_checks(bool on);

// Turns the checks off for its lifetime and restores the previous setting after.
class NoGpuValueChecks {
 public:
  NoGpuValueChecks() : previous_(gpu_value_checks()) { set_gpu_value_checks(false); }
  ~NoGpuValueChecks() { set_gpu_value_checks(previous_); }
  NoGpuValueChecks(const NoGpuValueChecks&) = delete;
  NoGpuValueChecks& operator=(const NoGpuValueChecks&) = delete;

 private:
  bool previous_;
};

}  // namespace bcl
