// The data loader: shuffled, augmented batches made ahead of the training step by worker threads.
//
//   LoaderOptions options;  // batch 128, shuffled, drop_last: the training defaults
//   DataLoader loader(train, views, options);
//   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
//     loader.start_epoch(epoch);
//     for (Batch b; loader.next(b);) { ... b.views[0], b.labels ... }
//   }
//
// Each worker builds whole batches: it decodes (lazy datasets) and augments every sample and writes
// the views into fresh [B, 3, H, W] tensors. Up to `prefetch` batches are in progress or waiting at
// a time. Batches are handed out in order, and every random choice is seeded from (seed, epoch,
// sample index, view) (augment.h) and the order from (seed, epoch), so the batches are bitwise the
// same with 0, 1 or 8 workers. An exception in a worker (a corrupt image file) is rethrown by
// next() for the batch it belongs to. The destructor stops the workers, mid-epoch or not.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "tensor/tensor.h"

namespace bcl::data {

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;    // a new order each epoch (training); false keeps dataset order
  bool drop_last = true;  // drop the last incomplete batch (training); false keeps it
  int num_workers = 2;    // 0: batches are made in next(), on the caller's thread
  int prefetch = 4;       // batches made ahead of the consumer
  uint64_t seed = 0;
};

// Evaluation: no shuffle, no dropped samples.
inline LoaderOptions eval_loader_options(int64_t batch_size, int num_workers = 2) {
  LoaderOptions o;
  o.batch_size = batch_size;
  o.shuffle = false;
  o.drop_last = false;
  o.num_workers = num_workers;
  return o;
}

// The order in which an epoch visits the n samples: a permutation drawn from (seed, epoch) when
// shuffling, else 0..n-1. The DataLoader's order, exposed for batch sources that make their views
// elsewhere (data/gpu_views.h) and must visit the samples as the loader does.
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle = true);

struct Batch {
  std::vector<Tensor> views;  // one float32 [B, 3, H, W] per view of the transform
  Tensor labels;              // int64 [B]
  Tensor indices;             // int64 [B], the samples' indices in the dataset
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, MultiViewTransform transform,
             const LoaderOptions& options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  const Dataset& dataset() const { return *dataset_; }

  // Starts (or restarts) an epoch: its order is drawn and the workers begin on its first batches.
  void start_epoch(int64_t epoch);
  // The epoch's next batch, waiting for it if needed; false after the last one.
  bool next(Batch& out);

 private:
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };

  Batch make_batch(int64_t epoch, const std::vector<int64_t>& order, int64_t b) const;
  Slot make_slot(int64_t epoch, const std::vector<int64_t>& order, int64_t b) const;
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  MultiViewTransform transform_;
  LoaderOptions options_;

  // Guarded by mutex_. `generation` counts start_epoch calls: a worker that finishes a batch of an
  // epoch that has since been restarted drops it.
  std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  bool stopping_ = false;
  bool started_ = false;
  uint64_t generation_ = 0;
  int64_t epoch_ = 0;
  std::shared_ptr<const std::vector<int64_t>> order_;
  int64_t next_to_claim_ = 0, next_to_consume_ = 0;
  std::map<int64_t, Slot> ready_;

  std::vector<std::thread> workers_;
};

}  // namespace bcl::data
