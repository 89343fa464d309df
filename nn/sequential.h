// Sequential: a chain of single-input modules, applied in order.
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"

namespace bcl::nn {

// Layer i is registered under the name "i", as in PyTorch, so the weight of the first layer of a
// Sequential child "head" is "head.0.weight".
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& layers);
  std::string type_name() const override { return "Sequential"; }

  void push_back(std::shared_ptr<Module> layer);
  Tensor forward(const Tensor& x) override;

  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) const;
  // Layer i as its concrete type; throws if it is another.
  template <class M>
  M& at(size_t i) const {
    M* layer = dynamic_cast<M*>(&(*this)[i]);
    BCL_CHECK(layer != nullptr, "Sequential: layer ", i, " is a ", (*this)[i].type_name());
    return *layer;
  }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace bcl::nn
