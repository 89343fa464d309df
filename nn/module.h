// Module: the base of every layer and model, as torch.nn.Module.
//
// A module owns tensors of two kinds, both registered under a name:
//   parameters  trained by the optimiser (they require gradients): weights, biases;
//   buffers     state that is saved but not trained: BatchNorm's running statistics.
// and child modules, also named. The full name of a tensor joins the names on the path from the
// root with dots ("layer1.0.bn1.running_mean"), exactly as PyTorch's state_dict() spells it, so a
// checkpoint can be loaded by either framework.
//
// Registration stores pointers to the module's own Tensor members, so the members stay the single
// source of truth and a module can be neither copied nor moved (hold models by shared_ptr).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bcl::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What load_state_dict skipped when not strict (PyTorch's _IncompatibleKeys).
struct LoadResult {
  std::vector<std::string> missing;     // the module's tensors that the map lacks
  std::vector<std::string> unexpected;  // the map's entries that the module lacks
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The class name, for error messages ("Conv2d").
  virtual std::string type_name() const = 0;

  // The computation of a single-input module. Models with several outputs (nn/bcl_model.h) have
  // their own methods instead; the default throws.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Training mode (BatchNorm uses batch statistics and updates its running ones) or evaluation
  // mode; both propagate to every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Registration order, depth first: a module's own tensors, then each child's.
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  int64_t num_parameters() const;  // the number of trainable scalars
  std::vector<std::pair<std::string, Module*>> named_children() const;

  // Parameters and buffers by full name: the module's own tensors (not copies), on its device.
  // nn/checkpoint.h copies them to the CPU when it saves.
  std::map<std::string, Tensor> state_dict() const;

  // Copies each entry of `state` into the tensor of the same name. Every entry is checked first
  // (names, shapes, dtypes), so a failed load leaves the module unchanged. Strict: the names must
  // match exactly, else the error lists the missing and unexpected ones. Not strict: those are
  // skipped and returned; a shape or dtype mismatch is an error either way. The entries may be on
  // any device: each is copied onto the device of the tensor it replaces.
  LoadResult load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  // Drops every parameter's gradient.
  void zero_grad();

  // Moves every parameter and buffer (BatchNorm's running statistics and num_batches_tracked
  // included) of the whole subtree to `device`. Tensors are replaced, so do this before handing
  // parameters() to an optimiser; gradients are dropped.
  void to(Device device);
  // Where the module's tensors live: the device of its first parameter or buffer (modules are
  // moved as a whole by to()), or the CPU when it has none.
  Device device() const;

 protected:
  // Registers a member tensor. A parameter is marked requires_grad.
  void register_parameter(const std::string& name, Tensor* tensor);
  void register_buffer(const std::string& name, Tensor* tensor);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    add_child(name, child);
    return child;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> child);
  void check_new_name(const std::string& name) const;
  // Every tensor slot of the subtree with its full name; visits parameters or buffers.
  void collect(const std::string& prefix, bool parameters,
               std::vector<std::pair<std::string, Tensor*>>& out) const;

  bool training_ = true;
  std::vector<std::pair<std::string, Tensor*>> parameters_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace bcl::nn
