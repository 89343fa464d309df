#include "nn/checkpoint.h"

#include "tensor/ops.h"
#include "tensor/safetensors.h"

namespace bcl::nn {

void save_checkpoint(const std::string& path, const Module& model, const CheckpointExtras& extras) {
  // The file is the CPU's: a model or optimiser on the GPU is copied to host memory first
  // (to_device returns CPU tensors themselves, uncopied).
  TensorMap tensors;
  for (const auto& [name, tensor] : model.state_dict()) {
    tensors.emplace(name, raw::to_device(tensor, Device::CPU));
  }
  for (const auto& [section, entries] : extras.sections) {
    BCL_CHECK(!section.empty() && section.find('/') == std::string::npos,
              "save_checkpoint: invalid section name \"", section, "\" (non-empty, without '/')");
    for (const auto& [name, tensor] : entries) {
      tensors.emplace(section + "/" + name, raw::to_device(tensor, Device::CPU));
    }
  }
  save_safetensors(path, tensors, extras.metadata);
}

CheckpointExtras load_checkpoint(const std::string& path, Module& model, bool strict) {
  SafetensorsFile file = load_safetensors(path);
  CheckpointExtras extras;
  extras.metadata = std::move(file.metadata);
  TensorMap model_state;
  for (auto& [key, tensor] : file.tensors) {
    const size_t slash = key.find('/');
    if (slash == std::string::npos) {
      model_state.emplace(key, tensor);
    } else {
      extras.sections[key.substr(0, slash)].emplace(key.substr(slash + 1), tensor);
    }
  }
  try {
    model.load_state_dict(model_state, strict);
  } catch (const Error& e) {
    BCL_CHECK(false, "load_checkpoint ", path, ": ", e.what());
  }
  return extras;
}

}  // namespace bcl::nn
