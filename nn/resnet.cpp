#include "nn/resnet.h"

#include "autograd/ops.h"

namespace bcl::nn {
namespace {

std::shared_ptr<Conv2d> conv1x1(int64_t in, int64_t out, int64_t stride, Generator& gen) {
  return std::make_shared<Conv2d>(in, out, 1, gen, stride, /*padding=*/0, /*bias=*/false);
}

std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride, int64_t groups,
                                Generator& gen) {
  return std::make_shared<Conv2d>(in, out, 3, gen, stride, /*padding=*/1, /*bias=*/false, groups);
}

}  // namespace

Bottleneck::Bottleneck(int64_t in_planes, int64_t planes, int64_t stride, int64_t groups,
                       int64_t width_per_group, Generator& gen) {
  const int64_t width = planes * width_per_group / 64 * groups;
  const int64_t out_planes = planes * kExpansion;
  conv1 = register_module("conv1", conv1x1(in_planes, width, 1, gen));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
  conv2 = register_module("conv2", conv3x3(width, width, stride, groups, gen));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
  conv3 = register_module("conv3", conv1x1(width, out_planes, 1, gen));
  bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(out_planes));
  if (stride != 1 || in_planes != out_planes) {
    downsample = register_module("downsample",
                                 std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                                     conv1x1(in_planes, out_planes, stride, gen),
                                     std::make_shared<BatchNorm2d>(out_planes)}));
  }
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = relu(bn1->forward(conv1->forward(x)));
  out = relu(bn2->forward(conv2->forward(out)));
  out = bn3->forward(conv3->forward(out));
  const Tensor shortcut = downsample ? downsample->forward(x) : x;
  return relu(out + shortcut);
}

ResNet::ResNet(const std::vector<int64_t>& blocks_per_layer, int64_t groups,
               int64_t width_per_group, Generator& gen) {
  BCL_CHECK(blocks_per_layer.size() == 4, "ResNet: expected 4 layers, got ",
            blocks_per_layer.size());
  conv1 = register_module("conv1", std::make_shared<Conv2d>(3, 64, 7, gen, /*stride=*/2,
                                                            /*padding=*/3, /*bias=*/false));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(64));
  maxpool = register_module("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));
  int64_t in_planes = 64;
  auto make_layer = [&](int64_t planes, int64_t blocks, int64_t stride) {
    auto layer = std::make_shared<Sequential>();
    for (int64_t i = 0; i < blocks; ++i) {
      layer->push_back(std::make_shared<Bottleneck>(in_planes, planes, i == 0 ? stride : 1, groups,
                                                    width_per_group, gen));
      in_planes = planes * Bottleneck::kExpansion;
    }
    return layer;
  };
  layer1 = register_module("layer1", make_layer(64, blocks_per_layer[0], 1));
  layer2 = register_module("layer2", make_layer(128, blocks_per_layer[1], 2));
  layer3 = register_module("layer3", make_layer(256, blocks_per_layer[2], 2));
  layer4 = register_module("layer4", make_layer(512, blocks_per_layer[3], 2));

  // torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu") on every conv; the
  // BatchNorms' weight 1 and bias 0 are already their defaults.
  for (auto& [name, p] : named_parameters()) {
    if (p.dim() == 4) raw::kaiming_normal_(p, gen, raw::FanMode::FanOut);
  }
}

Tensor ResNet::forward(const Tensor& x) {
  BCL_CHECK(x.dim() == 4 && x.size(1) == 3, "ResNet: expected images [N, 3, H, W], got ",
            shape_str(x.shape()));
  Tensor out = maxpool->forward(relu(bn1->forward(conv1->forward(x))));
  out = layer4->forward(layer3->forward(layer2->forward(layer1->forward(out))));
  return global_avg_pool2d(out);
}

std::shared_ptr<ResNet> resnet50(Generator& gen) {
  return std::make_shared<ResNet>(std::vector<int64_t>{3, 4, 6, 3}, 1, 64, gen);
}

std::shared_ptr<ResNet> resnext50_32x4d(Generator& gen) {
  return std::make_shared<ResNet>(std::vector<int64_t>{3, 4, 6, 3}, 32, 4, gen);
}

}  // namespace bcl::nn
