#include "nn/module.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "autograd/node.h"
#include "tensor/ops.h"

namespace bcl::nn {

Tensor Module::forward(const Tensor&) {
  BCL_CHECK(false, type_name(), ": has no single-input forward()");
  return Tensor();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::check_new_name(const std::string& name) const {
  BCL_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(), ": invalid name \"",
            name, "\" (non-empty, without '.')");
  auto taken = [&name](const auto& list) {
    return std::any_of(list.begin(), list.end(),
                       [&name](const auto& e) { return e.first == name; });
  };
  BCL_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), type_name(), ": name \"",
            name, "\" is registered twice");
}

void Module::register_parameter(const std::string& name, Tensor* tensor) {
  check_new_name(name);
  BCL_CHECK(tensor->defined(), type_name(), ": parameter \"", name, "\" is undefined");
  tensor->set_requires_grad(true);
  parameters_.emplace_back(name, tensor);
}

void Module::register_buffer(const std::string& name, Tensor* tensor) {
  check_new_name(name);
  BCL_CHECK(tensor->defined(), type_name(), ": buffer \"", name, "\" is undefined");
  buffers_.emplace_back(name, tensor);
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
  check_new_name(name);
  BCL_CHECK(child != nullptr, type_name(), ": child \"", name, "\" is null");
  child->train(training_);
  children_.emplace_back(name, std::move(child));
}

void Module::collect(const std::string& prefix, bool parameters,
                     std::vector<std::pair<std::string, Tensor*>>& out) const {
  for (const auto& [name, tensor] : parameters ? parameters_ : buffers_) {
    out.emplace_back(prefix + name, tensor);
  }
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", parameters, out);
}

namespace {

NamedTensors values(const std::vector<std::pair<std::string, Tensor*>>& slots) {
  NamedTensors out;
  out.reserve(slots.size());
  for (const auto& [name, tensor] : slots) out.emplace_back(name, *tensor);
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

NamedTensors Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", true, slots);
  return values(slots);
}

NamedTensors Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", false, slots);
  return values(slots);
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

std::vector<std::pair<std::string, Module*>> Module::named_children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (const auto& [name, child] : children_) out.emplace_back(name, child.get());
  return out;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.emplace(name, tensor);
  for (auto& [name, tensor] : named_buffers()) out.emplace(name, tensor);
  return out;
}

LoadResult Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", true, slots);
  collect("", false, slots);

  LoadResult result;
  std::ostringstream mismatches;
  std::set<std::string> known;
  for (const auto& [name, slot] : slots) {
    known.insert(name);
    auto it = state.find(name);
    if (it == state.end()) {
      result.missing.push_back(name);
      continue;
    }
    const Tensor& src = it->second;
    if (!src.defined()) {
      mismatches << "\n  " << name << ": undefined tensor";
    } else if (src.shape() != slot->shape()) {
      mismatches << "\n  " << name << ": shape " << shape_str(src.shape()) << " in the state, "
                 << shape_str(slot->shape()) << " in the model";
    } else if (src.dtype() != slot->dtype()) {
      mismatches << "\n  " << name << ": dtype " << dtype_name(src.dtype()) << " in the state, "
                 << dtype_name(slot->dtype()) << " in the model";
    }
  }
  for (const auto& entry : state) {
    if (known.count(entry.first) == 0) result.unexpected.push_back(entry.first);
  }

  std::string problems = mismatches.str();
  if (strict && !result.missing.empty()) problems += "\n  missing keys: " + join(result.missing);
  if (strict && !result.unexpected.empty()) {
    problems += "\n  unexpected keys: " + join(result.unexpected);
  }
  BCL_CHECK(problems.empty(), "load_state_dict (", type_name(), "):", problems);

  for (const auto& [name, slot] : slots) {
    auto it = state.find(name);
    if (it != state.end() && !it->second.same(*slot)) raw::copy_(*slot, it->second);
  }
  return result;
}

void Module::zero_grad() {
  bcl::zero_grad(parameters());
}

void Module::to(Device device) {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", true, slots);
  for (auto& [name, slot] : slots) {
    if (slot->device() != device) *slot = raw::to_device(*slot, device).set_requires_grad(true);
  }
  slots.clear();
  collect("", false, slots);
  for (auto& [name, slot] : slots) {
    if (slot->device() != device) *slot = raw::to_device(*slot, device);
  }
}

Device Module::device() const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", true, slots);
  collect("", false, slots);
  return slots.empty() ? Device::CPU : slots.front().second->device();
}

}  // namespace bcl::nn
