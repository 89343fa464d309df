#include "nn/classifier.h"

namespace bcl::nn {

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
