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
