#include "nn/classifier.h"

#include "nn/resnet.h"
#include "nn/resnet_cifar.h"

namespace bcl::nn {

std::vector<std::string> encoder_names() {
  return {"resnet32", "resnet50", "resnext50_32x4d"};
}

std::shared_ptr<Encoder> make_encoder(const std::string& arch, Generator& gen) {
  if (arch == "resnet32") return resnet32(gen);
  if (arch == "resnet50") return resnet50(gen);
  if (arch == "resnext50_32x4d") return resnext50_32x4d(gen);
  std::string known;
  for (const std::string& name : encoder_names()) known += (known.empty() ? "" : ", ") + name;
  BCL_CHECK(false, "make_encoder: unknown architecture \"", arch, "\" (known: ", known, ")");
  return nullptr;
}

std::shared_ptr<Linear> make_classifier(const Encoder& encoder, const ClassifierOptions& options,
                                        Generator& gen) {
  BCL_CHECK(options.num_classes > 0, "classifier: num_classes must be positive, got ",
            options.num_classes);
  if (options.normed) {
    return std::make_shared<NormedLinear>(encoder.feature_dim(), options.num_classes, gen,
                                          options.cosine_scale);
  }
  auto fc = std::make_shared<Linear>(encoder.feature_dim(), options.num_classes, gen);
  encoder.init_classifier(*fc, gen);
  return fc;
}

Classifier::Classifier(std::shared_ptr<Encoder> enc, const ClassifierOptions& options,
                       Generator& gen) {
  BCL_CHECK(enc != nullptr, "Classifier: null encoder");
  encoder = register_module("encoder", std::move(enc));
  fc = register_module("fc", make_classifier(*encoder, options, gen));
}

}  // namespace bcl::nn
