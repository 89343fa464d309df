// ResNet-32 for 32x32 images (He et al. 2016, section 4.2), as LDAM-DRW's models/resnet_cifar.py
// defines it and BCL uses it for CIFAR-10/100-LT:
//
//   conv1 3x3 (3 -> 16) + bn1 + ReLU                        32x32
//   layer1: 5 BasicBlocks, 16 channels                       32x32
//   layer2: 5 BasicBlocks, 32 channels, the first stride 2   16x16
//   layer3: 5 BasicBlocks, 64 channels, the first stride 2    8x8
//   global average pool -> 64 features
//
// With a Linear classifier for 10 classes it has 464,154 parameters. Weights of every conv are
// kaiming_normal_ (fan_in), BatchNorms start at weight 1 and bias 0.
#pragma once

#include <memory>
#include <vector>

#include "nn/classifier.h"
#include "nn/layers.h"

namespace bcl::nn {

// The option-A shortcut, bcl::option_a_shortcut, is a differentiable op in autograd/ops.h.

// conv3x3-bn-relu-conv3x3-bn, plus the shortcut, then relu. Parameters conv1, bn1, conv2, bn2.
class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in_planes, int64_t planes, int64_t stride, Generator& gen);
  std::string type_name() const override { return "BasicBlock"; }
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  int64_t shortcut_pad = 0;  // > 0: the option-A shortcut with this padding; 0: identity
};

class ResNetCifar : public Encoder {
 public:
  // blocks_per_layer {5, 5, 5} gives ResNet-32 (6n + 2 layers with n = 5).
  ResNetCifar(const std::vector<int64_t>& blocks_per_layer, Generator& gen);
  std::string type_name() const override { return "ResNetCifar"; }
  Tensor forward(const Tensor& x) override;
  int64_t feature_dim() const override { return 64; }
  // LDAM initialises its Linear classifier with kaiming_normal_ (fan_in) as well.
  void init_classifier(Linear& fc, Generator& gen) const override;

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Sequential> layer1, layer2, layer3;
};

std::shared_ptr<ResNetCifar> resnet32(Generator& gen);

}  // namespace bcl::nn
