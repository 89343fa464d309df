#include "apps/lib/evaluate.h"

#include "autograd/node.h"
#include "data/loader.h"
#include "tensor/ops.h"

namespace bcl::app {

Predictions predict(nn::Module& model, std::shared_ptr<const data::Dataset> dataset,
                    const data::MultiViewTransform& transform, int64_t batch_size, int workers) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  data::DataLoader loader(dataset, transform, data::eval_loader_options(batch_size, workers));
  loader.start_epoch(0);
  Predictions p;
  for (data::Batch b; loader.next(b);) {
    const Tensor pred = raw::argmax(model.forward(b.views[0]), 1);
    const int64_t* pp = pred.data<int64_t>();
    const int64_t* lp = b.labels.data<int64_t>();
    p.predicted.insert(p.predicted.end(), pp, pp + pred.numel());
    p.labels.insert(p.labels.end(), lp, lp + b.labels.numel());
  }
  model.train(was_training);
  return p;
}

}  // namespace bcl::app
