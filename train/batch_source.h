// Where bcl-train's batches come from, on the device the model trains on:
//
//  - the DataLoader (data/loader.h): worker threads decode and augment each batch on the CPU with
//    any pipeline, and the views are copied to the device;
//  - the device itself (--data-on-device, data/gpu_views.h): the uint8 training set is uploaded
//    once and each batch's views are drawn and rendered there by the batched augmentation ops. Per
//    epoch, the order and its labels travel to the device in one copy each; per step, nothing.
//
// Both visit the samples in data::epoch_order(seed, epoch), drop the last incomplete batch, and
// seed every view from (seed, epoch, index, view); on the CPU the two give the same bits.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "tensor/tensor.h"

namespace bcl::train {

struct TrainBatch {
  std::vector<Tensor> views;  // float32 [B, 3, H, W] each, on the training device
  Tensor labels;              // int64 [B], on the training device
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t batches_per_epoch() const = 0;
  virtual void start_epoch(int64_t epoch) = 0;
  // The epoch's next batch; false after the last one.
  virtual bool next(TrainBatch& out) = 0;
};

struct BatchSourceOptions {
  int64_t batch_size = 128;
  uint64_t seed = 0;
  int workers = 2;  // DataLoader threads (the loader source only)
  Device device = Device::CPU;
};

std::unique_ptr<BatchSource> loader_batches(std::shared_ptr<const data::Dataset> train,
                                            data::MultiViewTransform transform,
                                            const BatchSourceOptions& options);

// views: 1 (the CE view, for ce and bs) or 3 (the CE view and the two contrastive views); ce_aug
// and cl_views as bcl-train's --ce-aug and --cl-views (data::GpuViews). The images must be held in
// memory and share one size; bad data throws bcl::Error naming --data-on-device.
std::unique_ptr<BatchSource> device_batches(std::shared_ptr<const data::Dataset> train,
                                            const data::Normalization& norm, int64_t size,
                                            const std::string& ce_aug, const std::string& cl_views,
                                            int views, const BatchSourceOptions& options);

}  // namespace bcl::train
