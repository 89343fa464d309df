#include "tensor/storage.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "tensor/error.h"

namespace bcl {
namespace {

constexpr size_t kAlignment = 64;  // AVX-512 loads; BLAS operands' rows start on cache lines
// Under AddressSanitizer every block goes back to the system, so that a use after free is caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif
constexpr size_t kCachedMin = 4096;
constexpr int64_t kCacheFloor = 256 << 20;

void* system_allocate(size_t rounded) {
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// Thread-safe: data-loader workers allocate batches while the training thread runs.
class CpuAllocator : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    const size_t rounded = round(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    void* p = nullptr;
    if (rounded >= kCachedMin) {
      auto it = free_.find(rounded);
      if (it != free_.end() && !it->second.empty()) {
        p = it->second.back();
        it->second.pop_back();
        stats_.bytes_cached -= static_cast<int64_t>(rounded);
        ++stats_.cache_hits;
      }
    }
    if (p == nullptr) {
      p = system_allocate(rounded);
      ++(rounded >= kCachedMin ? stats_.system_allocations : stats_.small_allocations);
    }
    stats_.bytes_in_use += static_cast<int64_t>(rounded);
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
    return p;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    const size_t rounded = round(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bytes_in_use -= static_cast<int64_t>(rounded);
    const int64_t limit = std::max(kCacheFloor, 2 * stats_.peak_bytes_in_use);
    if (!kCaching || rounded < kCachedMin ||
        stats_.bytes_cached + static_cast<int64_t>(rounded) > limit) {
      std::free(ptr);
      return;
    }
    free_[rounded].push_back(ptr);
    stats_.bytes_cached += static_cast<int64_t>(rounded);
  }

  CpuAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    stats_.bytes_cached = 0;
  }

 private:
  // Multiples of 64 bytes (aligned_alloc's rule); of 4 KiB when cached, so that nearby sizes
  // share blocks. Zero bytes still get a distinct block.
  static size_t round(size_t nbytes) {
    const size_t unit = nbytes >= kCachedMin ? kCachedMin : kAlignment;
    return std::max<size_t>(unit, (nbytes + unit - 1) / unit * unit);
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // rounded size -> free blocks
  CpuAllocatorStats stats_;
};

CpuAllocator& cpu_allocator() {
  // Never destroyed: tensors in static objects may be freed after main returns.
  static CpuAllocator* allocator = new CpuAllocator;
  return *allocator;
}

Allocator*& allocator_slot(Device device) {
  static Allocator* slots[kNumDevices] = {&cpu_allocator(), nullptr};
  return slots[static_cast<int>(device)];
}

}  // namespace

CpuAllocatorStats cpu_allocator_stats() {
  return cpu_allocator().stats();
}
void release_cpu_cache() {
  cpu_allocator().release();
}

void set_allocator(Device device, Allocator* allocator) {
  allocator_slot(device) = allocator;
}

Allocator* get_allocator(Device device) {
  Allocator* a = allocator_slot(device);
  BCL_CHECK(
      a != nullptr, "no allocator for device ", device_name(device),
      device == Device::CUDA ? " (CUDA support not compiled in: rebuild with make CUDA=1)" : "");
  return a;
}

Storage::Storage(size_t nbytes, Device device)
    : data_(get_allocator(device)->allocate(nbytes)), nbytes_(nbytes), device_(device) {}

Storage::~Storage() {
  get_allocator(device_)->deallocate(data_, nbytes_);
}

}  // namespace bcl
