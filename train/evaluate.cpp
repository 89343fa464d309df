#include "train/evaluate.h"

#include "autograd/node.h"
#include "data/dataset_spec.h"
#include "data/loader.h"
#include "nn/checkpoint.h"
#include "tensor/ops.h"
#include "tensor/safetensors.h"

namespace bcl::train {

Predictions predict(nn::Module& model, std::shared_ptr<const data::Dataset> dataset,
                    const data::MultiViewTransform& transform, int64_t batch_size, int workers) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  data::DataLoader loader(dataset, transform, data::eval_loader_options(batch_size, workers));
  loader.start_epoch(0);
  // The forward runs where the model is; the logits come back to the CPU for the argmax and the
  // metrics (the labels never leave it).
  const Device device = model.device();
  Predictions p;
  for (data::Batch b; loader.next(b);) {
    const Tensor logits = model.forward(raw::to_device(b.views[0], device));
    const Tensor pred = raw::argmax(raw::to_device(logits, Device::CPU), 1);
    const int64_t* pp = pred.data<int64_t>();
    const int64_t* lp = b.labels.data<int64_t>();
    p.predicted.insert(p.predicted.end(), pp, pp + pred.numel());
    p.labels.insert(p.labels.end(), lp, lp + b.labels.numel());
  }
  model.train(was_training);
  return p;
}

CheckpointOnTestSet load_checkpoint_on_test_set(const std::string& checkpoint,
                                                const std::string& spec, const std::string& program,
                                                Device device) {
  CheckpointOnTestSet r;
  r.info = run_info_from(load_safetensors(checkpoint).metadata, checkpoint);
  Generator gen(0);
  r.model = make_model(r.info.facts, gen);
  nn::load_checkpoint(checkpoint, *r.model);
  r.model->to(device);
  data::DataSplits splits = data::load_dataset(spec);
  BCL_CHECK(splits.test.num_classes() == r.info.facts.num_classes, program, ": ", spec, " has ",
            splits.test.num_classes(), " classes but ", checkpoint, " was trained on ",
            r.info.facts.num_classes);
  r.transform.views.push_back(
      splits.large_images ? data::large_image_eval_pipeline(r.info.normalization, splits.image_size)
                          : data::plain_pipeline(r.info.normalization));
  r.test = std::make_shared<const data::Dataset>(std::move(splits.test));
  return r;
}

losses::Geometry measure_geometry(nn::BCLModel& model, std::shared_ptr<const data::Dataset> dataset,
                                  const data::MultiViewTransform& transform, int64_t batch_size,
                                  int workers) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  data::DataLoader loader(dataset, transform, data::eval_loader_options(batch_size, workers));
  loader.start_epoch(0);
  // The forward runs where the model is; the projections come back to the CPU batch by batch.
  const Device device = model.device();
  std::vector<Tensor> parts;
  std::vector<int64_t> labels;
  for (data::Batch b; loader.next(b);) {
    const Tensor z = model.forward_all(raw::to_device(b.views[0], device)).projections;
    parts.push_back(raw::to_device(z, Device::CPU));
    const int64_t* lp = b.labels.data<int64_t>();
    labels.insert(labels.end(), lp, lp + b.labels.numel());
  }
  model.train(was_training);
  BCL_CHECK(!parts.empty(), "geometry: the dataset is empty");
  return losses::geometry_from_projections(raw::concat(parts, 0), labels, dataset->num_classes());
}

}  // namespace bcl::train
