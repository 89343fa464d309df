// Storage: one reference-counted block of device memory that tensors view.
#pragma once

#include <cstddef>
#include <memory>

#include "tensor/dtype.h"

namespace bcl {

// Each device has one allocator; the CUDA backend installs its own at start-up.
class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
};

void set_allocator(Device device, Allocator* allocator);
Allocator* get_allocator(Device device);

// The CPU allocator caches freed blocks of 4 KiB and more and hands them out again for requests of
// the same size (rounded up to 4 KiB). A training step allocates the same sizes every time, so
// from the second step on it takes no memory from the system: no mmap/munmap, no page faults,
// no growth of the resident set. Smaller blocks go straight to malloc, which caches them itself.
// The cache holds at most max(256 MiB, twice the most bytes ever in use at once); a block freed
// beyond that is returned to the system. (Once, not twice, was measured too tight: the blocks of
// sizes only the forward pass uses sit in the cache while the backward pass asks for others, and
// ResNet-32 then took 16 blocks a step from the system.) Under AddressSanitizer nothing is cached.
struct CpuAllocatorStats {
  int64_t system_allocations = 0;  // blocks of 4 KiB or more taken from the system
  int64_t cache_hits = 0;          // requests served from the cache
  int64_t small_allocations = 0;   // blocks under 4 KiB, left to malloc's own free lists
  int64_t bytes_in_use = 0, peak_bytes_in_use = 0, bytes_cached = 0;
};
CpuAllocatorStats cpu_allocator_stats();
// Returns every cached block to the system (e.g. between training and a differently shaped
// evaluation, or in tests).
void release_cpu_cache();

class Storage {
 public:
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
};

}  // namespace bcl
