// Checkpoints: a model's state_dict plus training state, in one safetensors file
// (docs/checkpoints.md).
//
// The model's tensors keep their own names ("encoder.conv1.weight"), so PyTorch can load them
// directly. Other tensors go in named sections and are stored as "<section>/<name>" (e.g.
// "optimizer/momentum.fc.weight"); no model name contains '/', so the two never collide. Strings
// such as the epoch, the step, RNG states and the configuration go in the file's metadata.
// Saving is atomic (save_safetensors): a crash leaves the previous checkpoint intact.
#pragma once

#include <map>
#include <string>

#include "nn/module.h"

namespace bcl::nn {

using TensorMap = std::map<std::string, Tensor>;

struct CheckpointExtras {
  std::map<std::string, TensorMap> sections;  // e.g. "optimizer" -> SGD::state_dict()
  std::map<std::string, std::string> metadata;
};

// The model and the sections may live on any device; the file always holds CPU tensors, so a
// checkpoint written on the GPU loads on a machine without one.
void save_checkpoint(const std::string& path, const Module& model,
                     const CheckpointExtras& extras = {});

// Loads the model's tensors into `model` (Module::load_state_dict, strict or not), each copied onto
// the device of the tensor it replaces, and returns the sections (CPU tensors: SGD's
// load_state_dict moves them beside their parameters) and metadata. Errors name the file.
CheckpointExtras load_checkpoint(const std::string& path, Module& model, bool strict = true);

}  // namespace bcl::nn
