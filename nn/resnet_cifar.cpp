#include "nn/resnet_cifar.h"

#include "autograd/ops.h"

namespace bcl::nn {
BasicBlock::BasicBlock(int64_t in_planes, int64_t planes, int64_t stride, Generator& gen) {
  conv1 = register_module("conv1", std::make_shared<Conv2d>(in_planes, planes, 3, gen, stride,
                                                            /*padding=*/1, /*bias=*/false));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2 = register_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, gen, /*stride=*/1,
                                                            /*padding=*/1, /*bias=*/false));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  if (stride != 1 || in_planes != planes) {
    BCL_CHECK(stride == 2 && planes == 2 * in_planes,
              "BasicBlock: the option-A shortcut needs stride 2 and doubled channels, got stride ",
              stride, " and ", in_planes, " -> ", planes, " channels");
    shortcut_pad = planes / 4;
  }
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = relu(bn1->forward(conv1->forward(x)));
  out = bn2->forward(conv2->forward(out));
  const Tensor shortcut = shortcut_pad > 0 ? option_a_shortcut(x, shortcut_pad) : x;
  return relu(out + shortcut);
}

ResNetCifar::ResNetCifar(const std::vector<int64_t>& blocks_per_layer, Generator& gen) {
  BCL_CHECK(blocks_per_layer.size() == 3, "ResNetCifar: expected 3 layers, got ",
            blocks_per_layer.size());
  conv1 = register_module("conv1", std::make_shared<Conv2d>(3, 16, 3, gen, /*stride=*/1,
                                                            /*padding=*/1, /*bias=*/false));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(16));
  int64_t in_planes = 16;
  auto make_layer = [&](int64_t planes, int64_t blocks, int64_t stride) {
    auto layer = std::make_shared<Sequential>();
    for (int64_t i = 0; i < blocks; ++i) {
      layer->push_back(std::make_shared<BasicBlock>(in_planes, planes, i == 0 ? stride : 1, gen));
      in_planes = planes;
    }
    return layer;
  };
  layer1 = register_module("layer1", make_layer(16, blocks_per_layer[0], 1));
  layer2 = register_module("layer2", make_layer(32, blocks_per_layer[1], 2));
  layer3 = register_module("layer3", make_layer(64, blocks_per_layer[2], 2));

  // LDAM's _weights_init: kaiming_normal_ with its default fan_in on every conv.
  for (auto& [name, p] : named_parameters()) {
    if (p.dim() == 4) raw::kaiming_normal_(p, gen, raw::FanMode::FanIn);
  }
}

Tensor ResNetCifar::forward(const Tensor& x) {
  BCL_CHECK(x.dim() == 4 && x.size(1) == 3, "ResNetCifar: expected images [N, 3, H, W], got ",
            shape_str(x.shape()));
  Tensor out = relu(bn1->forward(conv1->forward(x)));
  out = layer3->forward(layer2->forward(layer1->forward(out)));
  return global_avg_pool2d(out);
}

void ResNetCifar::init_classifier(Linear& fc, Generator& gen) const {
  raw::kaiming_normal_(fc.weight, gen, raw::FanMode::FanIn);
}

std::shared_ptr<ResNetCifar> resnet32(Generator& gen) {
  return std::make_shared<ResNetCifar>(std::vector<int64_t>{5, 5, 5}, gen);
}

}  // namespace bcl::nn
