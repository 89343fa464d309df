#include "nn/sequential.h"

namespace bcl::nn {

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& layers) {
  for (const auto& layer : layers) push_back(layer);
}

void Sequential::push_back(std::shared_ptr<Module> layer) {
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor out = x;
  for (const auto& layer : layers_) out = layer->forward(out);
  return out;
}

Module& Sequential::operator[](size_t i) const {
  BCL_CHECK(i < layers_.size(), "Sequential: layer ", i, " of ", layers_.size());
  return *layers_[i];
}

}  // namespace bcl::nn
