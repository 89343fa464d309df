#include "nn/bcl_model.h"

#include "autograd/ops.h"
#include "nn/layers.h"

namespace bcl::nn {
namespace {

std::shared_ptr<Sequential> mlp_head(int64_t in, int64_t hidden, int64_t out, Generator& gen) {
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(in, hidden, gen), std::make_shared<BatchNorm1d>(hidden),
      std::make_shared<ReLU>(), std::make_shared<Linear>(hidden, out, gen)});
}

}  // namespace

BCLModel::BCLModel(std::shared_ptr<Encoder> enc, const BCLModelOptions& options, Generator& gen) {
  BCL_CHECK(enc != nullptr, "BCLModel: null encoder");
  BCL_CHECK(options.head_hidden > 0 && options.head_out > 0,
            "BCLModel: head sizes must be positive, got hidden ", options.head_hidden, ", out ",
            options.head_out);
  encoder = register_module("encoder", std::move(enc));
  const int64_t dim = encoder->feature_dim();
  fc = register_module("fc", make_classifier(*encoder, options.classifier, gen));
  head = register_module("head", mlp_head(dim, options.head_hidden, options.head_out, gen));
  head_fc = register_module("head_fc", mlp_head(dim, options.head_hidden, options.head_out, gen));
}

BCLOutput BCLModel::forward_all(const Tensor& x) {
  BCLOutput out;
  out.features = encoder->forward(x);
  out.logits = fc->forward(out.features);
  out.projections = l2_normalize(head->forward(out.features), 1);
  out.prototypes = l2_normalize(head_fc->forward(fc->weight), 1);
  return out;
}

}  // namespace bcl::nn
