#include "train/batch_source.h"

#include <cstring>

#include "data/gpu_views.h"
#include "data/loader.h"
#include "tensor/error.h"
#include "tensor/ops.h"

namespace bcl::train {
namespace {

class LoaderBatches final : public BatchSource {
 public:
  LoaderBatches(std::shared_ptr<const data::Dataset> train, data::MultiViewTransform transform,
                const BatchSourceOptions& o)
      : loader_(std::move(train), std::move(transform), loader_options(o)), device_(o.device) {}

  int64_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }
  void start_epoch(int64_t epoch) override { loader_.start_epoch(epoch); }
  bool next(TrainBatch& out) override {
    data::Batch b;
    if (!loader_.next(b)) return false;
    out.views.clear();
    for (const Tensor& v : b.views) out.views.push_back(raw::to_device(v, device_));
    out.labels = raw::to_device(b.labels, device_);
    return true;
  }

 private:
  static data::LoaderOptions loader_options(const BatchSourceOptions& o) {
    data::LoaderOptions lo;
    lo.batch_size = o.batch_size;
    lo.num_workers = o.workers;
    lo.seed = o.seed;
    return lo;
  }

  data::DataLoader loader_;
  Device device_;
};

class DeviceBatches final : public BatchSource {
 public:
  DeviceBatches(std::shared_ptr<const data::Dataset> train, const data::Normalization& norm,
                int64_t size, const std::string& ce_aug, const std::string& cl_views, int views,
                const BatchSourceOptions& o)
      : train_(std::move(train)),
        views_(make_views(*train_, o.device, norm, size, ce_aug, cl_views)),
        num_views_(views),
        options_(o) {
    BCL_CHECK(train_->size() >= o.batch_size, "--data-on-device: ", train_->size(),
              " training images make no full batch of --batch-size ", o.batch_size);
  }

  int64_t batches_per_epoch() const override { return train_->size() / options_.batch_size; }

  void start_epoch(int64_t epoch) override {
    epoch_ = epoch;
    next_batch_ = 0;
    const std::vector<int64_t> order = data::epoch_order(train_->size(), options_.seed, epoch);
    const auto n = static_cast<int64_t>(order.size());
    Tensor host_order = empty({n}, DType::Int64), host_labels = empty({n}, DType::Int64);
    std::memcpy(host_order.raw_data(), order.data(), order.size() * sizeof(int64_t));
    for (int64_t i = 0; i < n; ++i)
      host_labels.data<int64_t>()[i] = train_->labels[static_cast<size_t>(order[i])];
    order_ = raw::to_device(host_order, options_.device);
    labels_ = raw::to_device(host_labels, options_.device);
  }

  bool next(TrainBatch& out) override {
    BCL_CHECK(order_.defined(), "device_batches: next() before start_epoch()");
    if (next_batch_ >= batches_per_epoch()) return false;
    const int64_t first = next_batch_++ * options_.batch_size;
    const Tensor indices = raw::narrow(order_, 0, first, options_.batch_size);
    out.views = views_.make(indices, epoch_, options_.seed, num_views_);
    out.labels = raw::narrow(labels_, 0, first, options_.batch_size);
    return true;
  }

 private:
  static data::GpuViews make_views(const data::Dataset& ds, Device device,
                                   const data::Normalization& norm, int64_t size,
                                   const std::string& ce_aug, const std::string& cl_views) {
    ds.validate("--data-on-device");  // every label in range: the step does not check them
    BCL_CHECK(!ds.lazy(),
              "--data-on-device: the training images are read from files batch by "
              "batch (a list or large-image dataset); it needs a dataset held in "
              "memory, such as cifar10:, cifar100: or a folder of small images");
    try {
      return data::GpuViews(ds, device, norm, size, ce_aug, cl_views);
    } catch (const Error& e) {
      throw Error(std::string("--data-on-device: ") + e.what());
    }
  }

  std::shared_ptr<const data::Dataset> train_;
  data::GpuViews views_;
  int num_views_;
  BatchSourceOptions options_;
  int64_t epoch_ = 0, next_batch_ = 0;
  Tensor order_, labels_;  // the epoch's order and its labels, on the device
};

}  // namespace

std::unique_ptr<BatchSource> loader_batches(std::shared_ptr<const data::Dataset> train,
                                            data::MultiViewTransform transform,
                                            const BatchSourceOptions& options) {
  return std::make_unique<LoaderBatches>(std::move(train), std::move(transform), options);
}

std::unique_ptr<BatchSource> device_batches(std::shared_ptr<const data::Dataset> train,
                                            const data::Normalization& norm, int64_t size,
                                            const std::string& ce_aug, const std::string& cl_views,
                                            int views, const BatchSourceOptions& options) {
  return std::make_unique<DeviceBatches>(std::move(train), norm, size, ce_aug, cl_views, views,
                                         options);
}

}  // namespace bcl::train
