#include "train/flags.h"

#include "tensor/device.h"
#include "tensor/ops.h"

namespace bcl::train {

CLI::Option* add_device_flag(CLI::App& app, std::string& value) {
  return app
      .add_option("--device", value,
                  "where the model and the step run: cpu, or cuda (needs make CUDA=1 and a GPU; "
                  "the data pipeline stays on the CPU)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
}

std::string device_unavailable_reason(const std::string& value) {
  if (value != "cuda") return "";
#ifdef BCL_CUDA
  if (!cuda_available()) return "no CUDA GPU found (or no usable driver)";
  return "";
#else
  return "this build has no CUDA support (rebuild with make CUDA=1)";
#endif
}

Device parse_device_flag(const std::string& value) {
  if (value != "cpu" && value != "cuda")
    throw CLI::ValidationError("--device", "'" + value + "' is not cpu or cuda");
  const std::string reason = device_unavailable_reason(value);
  if (!reason.empty()) throw CLI::ValidationError("--device " + value, reason);
  return value == "cuda" ? Device::CUDA : Device::CPU;
}

std::vector<Tensor> to_device(const std::vector<Tensor>& xs, Device device) {
  std::vector<Tensor> out;
  out.reserve(xs.size());
  for (const Tensor& x : xs) out.push_back(raw::to_device(x, device));
  return out;
}

}  // namespace bcl::train
