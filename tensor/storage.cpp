#include "tensor/storage.h"

#include <cstdlib>
#include <new>

#include "tensor/error.h"

namespace bcl {
namespace {

// 64-byte alignment suits AVX-512 loads and keeps rows of BLAS operands cache-line aligned.
class CpuAllocator : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    size_t rounded = (nbytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void deallocate(void* ptr, size_t) override { std::free(ptr); }
};

Allocator*& allocator_slot(Device device) {
  static CpuAllocator cpu;
  static Allocator* slots[kNumDevices] = {&cpu, nullptr};
  return slots[static_cast<int>(device)];
}

}  // namespace

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
