// The --device flag the programs share (bcl-train, bcl-eval, bcl-geometry, bcl-bench): where the
// model, the optimiser state and the training step run. The data pipeline always runs on the CPU;
// on cuda each batch is copied to the GPU right before the step, and what the host reads (losses,
// logits for the metrics, projections for the geometry) is copied back.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace bcl::app {

// Registers `--device cpu|cuda` bound to `value` (default "cpu").
CLI::Option* add_device_flag(CLI::App& app, std::string& value);

// Why `--device <value>` cannot run here, or "" when it can: cuda needs a CUDA=1 build and a GPU.
std::string device_unavailable_reason(const std::string& value);

// The device named by a checked flag value; throws CLI::ValidationError naming the flag ("--device
// cuda: no CUDA GPU found") when it cannot run here, so a program fails at startup.
Device parse_device_flag(const std::string& value);

// Each of xs on `device` (raw::to_device: a tensor already there is not copied).
std::vector<Tensor> to_device(const std::vector<Tensor>& xs, Device device);

}  // namespace bcl::app
