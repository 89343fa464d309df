// Uninitialised working memory for CPU kernels, from the tensor allocator: unlike a std::vector
// (zero-filled, from malloc on every call), the same cached blocks serve every training step.
#pragma once

#include <omp.h>

#include <cstdint>

#include "tensor/storage.h"

namespace bcl {

// n elements of T.
template <class T>
class Buffer {
 public:
  explicit Buffer(int64_t n) : storage_(sizeof(T) * static_cast<size_t>(n), Device::CPU) {}
  T* data() const { return static_cast<T*>(storage_.data()); }

 private:
  Storage storage_;
};

// One block of `per_thread` elements for each thread. It is allocated before the parallel region,
// out of which an exception must not escape.
template <class T>
class Scratch {
 public:
  explicit Scratch(int64_t per_thread)
      : per_thread_(per_thread), buffer_(per_thread * omp_get_max_threads()) {}
  T* mine() const { return buffer_.data() + omp_get_thread_num() * per_thread_; }

 private:
  int64_t per_thread_;
  Buffer<T> buffer_;
};

}  // namespace bcl
