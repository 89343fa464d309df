#include "data/loader.h"

#include <algorithm>
#include <numeric>

#include "data/sampling.h"
#include "tensor/error.h"

namespace bcl::data {
namespace {

// derive_seed coordinates of an epoch's order; augmentation uses (index, epoch, view) with small
// views, so this never meets one of its streams.
constexpr uint32_t kShuffleStream = 0xFFFFFFFF;

}  // namespace

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle) {
  if (!shuffle) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    return order;
  }
  Generator gen(derive_seed(seed, static_cast<uint64_t>(epoch), kShuffleStream, kShuffleStream));
  return random_permutation(n, gen);
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, MultiViewTransform transform,
                       const LoaderOptions& options)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), options_(options) {
  BCL_CHECK(dataset_ != nullptr && dataset_->size() > 0, "DataLoader: empty dataset");
  BCL_CHECK(transform_.num_views() > 0, "DataLoader: the transform has no views");
  BCL_CHECK(options_.batch_size > 0, "DataLoader: batch size ", options_.batch_size,
            " must be positive");
  BCL_CHECK(options_.num_workers >= 0 && options_.prefetch >= 1, "DataLoader: bad num_workers ",
            options_.num_workers, " or prefetch ", options_.prefetch);
  BCL_CHECK(!options_.drop_last || dataset_->size() >= options_.batch_size,
            "DataLoader: ", dataset_->size(), " samples make no full batch of ",
            options_.batch_size, " (drop_last)");
  dataset_->validate("DataLoader");
  for (int w = 0; w < options_.num_workers; ++w) workers_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  // A worker finishes the batch it is making (milliseconds), sees stopping_ and returns.
  for (std::thread& t : workers_) t.join();
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::start_epoch(int64_t epoch) {
  auto order = std::make_shared<std::vector<int64_t>>(
      epoch_order(dataset_->size(), options_.seed, epoch, options_.shuffle));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    started_ = true;
    epoch_ = epoch;
    order_ = std::move(order);
    next_to_claim_ = next_to_consume_ = 0;
    ready_.clear();
  }
  work_ready_.notify_all();
}

bool DataLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  BCL_CHECK(started_, "DataLoader::next: call start_epoch first");
  if (next_to_consume_ >= batches_per_epoch()) return false;
  const int64_t b = next_to_consume_++;
  Slot slot;
  if (workers_.empty()) {
    const int64_t epoch = epoch_;
    const std::shared_ptr<const std::vector<int64_t>> order = order_;
    lock.unlock();
    slot = make_slot(epoch, *order, b);
  } else {
    batch_ready_.wait(lock, [&] { return ready_.count(b) > 0; });
    slot = std::move(ready_.at(b));
    ready_.erase(b);
    lock.unlock();
    work_ready_.notify_all();  // a prefetch place is free
  }
  if (slot.error) std::rethrow_exception(slot.error);
  out = std::move(slot.batch);
  return true;
}

void DataLoader::worker_loop() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    work_ready_.wait(lock, [&] {
      return stopping_ || (started_ && next_to_claim_ < batches_per_epoch() &&
                           next_to_claim_ < next_to_consume_ + options_.prefetch);
    });
    if (stopping_) return;
    const int64_t b = next_to_claim_++;
    const uint64_t generation = generation_;
    const int64_t epoch = epoch_;
    const std::shared_ptr<const std::vector<int64_t>> order = order_;
    lock.unlock();

    Slot slot = make_slot(epoch, *order, b);

    lock.lock();
    if (generation == generation_) {
      ready_.emplace(b, std::move(slot));
      lock.unlock();
      batch_ready_.notify_all();
    }
  }
}

DataLoader::Slot DataLoader::make_slot(int64_t epoch, const std::vector<int64_t>& order,
                                       int64_t b) const {
  Slot slot;
  try {
    slot.batch = make_batch(epoch, order, b);
  } catch (const Error&) {
    slot.error = std::current_exception();
  } catch (const std::exception& e) {
    // Anything else (bad_alloc, a filesystem error) reaches the consumer as a bcl::Error too.
    slot.error =
        std::make_exception_ptr(Error(detail::cat("DataLoader: batch ", b, ": ", e.what())));
  }
  return slot;
}

Batch DataLoader::make_batch(int64_t epoch, const std::vector<int64_t>& order, int64_t b) const {
  const int64_t first = b * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, dataset_->size() - first);
  Batch batch;
  batch.labels = empty({count}, DType::Int64);
  batch.indices = empty({count}, DType::Int64);
  batch.views.resize(static_cast<size_t>(transform_.num_views()));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = order[static_cast<size_t>(first + i)];
    batch.indices.data<int64_t>()[i] = index;
    batch.labels.data<int64_t>()[i] = dataset_->labels[static_cast<size_t>(index)];
    const Image image = dataset_->image(index);
    for (int v = 0; v < transform_.num_views(); ++v) {
      const Pipeline& pipeline = transform_.views[static_cast<size_t>(v)];
      Generator gen = augment_generator(options_.seed, epoch, index, v);
      const Image view = pipeline.augment(image, gen);
      Tensor& out = batch.views[static_cast<size_t>(v)];
      // The first sample fixes the view's size; the pipeline must give every image that size.
      if (!out.defined()) out = empty({count, Image::kChannels, view.height, view.width});
      BCL_CHECK(view.height == out.size(2) && view.width == out.size(3), "DataLoader: view ", v,
                " of sample ", index, " is ", view.height, "x", view.width, ", but the batch's is ",
                out.size(2), "x", out.size(3), "; add a crop or resize to its pipeline (",
                pipeline.describe(), ")");
      pipeline.normalize(view, out.data<float>() + i * out.size(1) * out.size(2) * out.size(3));
    }
  }
  return batch;
}

}  // namespace bcl::data
