// ResNet-50 and ResNeXt-50 (32x4d) for 224x224 images, in torchvision's layout (the names match
// torchvision's state_dict, less its fc):
//
//   conv1 7x7 stride 2 (3 -> 64) + bn1 + ReLU + maxpool 3x3 stride 2 pad 1
//   layer1..layer4: 3, 4, 6, 3 Bottlenecks with 64, 128, 256, 512 "planes" (the first block of
//                   layer2..4 has stride 2)
//   global average pool -> 2048 features
//
// A Bottleneck is conv1x1 -> bn -> relu -> conv3x3 (stride, groups) -> bn -> relu -> conv1x1 ->
// bn, plus a shortcut, then relu. The stride sits on the 3x3 conv ("ResNet v1.5"). The 3x3 conv
// has width = planes * width_per_group / 64 * groups channels and the block outputs 4 * planes.
// The shortcut is "downsample" = conv1x1 (stride) + bn, named downsample.0 and downsample.1,
// wherever the shape changes. ResNeXt-50 32x4d has 32 groups of width 4.
//
// With a 1000-class Linear classifier: 25,557,032 parameters (ResNet-50) and 25,028,904
// (ResNeXt-50). Convs are kaiming_normal_ with fan_out; BatchNorms start at weight 1, bias 0.
#pragma once

#include <memory>
#include <vector>

#include "nn/classifier.h"
#include "nn/layers.h"

namespace bcl::nn {

class Bottleneck : public Module {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in_planes, int64_t planes, int64_t stride, int64_t groups,
             int64_t width_per_group, Generator& gen);
  std::string type_name() const override { return "Bottleneck"; }
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<Sequential> downsample;  // null: identity shortcut
};

class ResNet : public Encoder {
 public:
  ResNet(const std::vector<int64_t>& blocks_per_layer, int64_t groups, int64_t width_per_group,
         Generator& gen);
  std::string type_name() const override { return "ResNet"; }
  Tensor forward(const Tensor& x) override;
  int64_t feature_dim() const override { return 512 * Bottleneck::kExpansion; }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<MaxPool2d> maxpool;
  std::shared_ptr<Sequential> layer1, layer2, layer3, layer4;
};

std::shared_ptr<ResNet> resnet50(Generator& gen);
std::shared_ptr<ResNet> resnext50_32x4d(Generator& gen);

}  // namespace bcl::nn
