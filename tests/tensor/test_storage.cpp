#include "tensor/storage.h"
#include "tensor/tensor.h"
#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("storage/cpu allocator reuses freed blocks of the same size") {
  release_cpu_cache();
  const Shape big = {64, 1024};  // 256 KiB: cached
  void* first = nullptr;
  {
    Tensor t = empty(big);
    first = t.raw_data();
    CHECK(reinterpret_cast<uintptr_t>(first) % 64 == 0);
  }
  const CpuAllocatorStats before = cpu_allocator_stats();
  {
    Tensor t = empty(big);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(t.raw_data() == first);
#endif
    Tensor u = empty({64, 1000});  // rounds up to another 4 KiB multiple: not t's block
    CHECK(u.raw_data() != t.raw_data());
  }
  const CpuAllocatorStats after = cpu_allocator_stats();
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(after.cache_hits == before.cache_hits + 1);
  CHECK(after.system_allocations == before.system_allocations + 1);
  // 256 KiB, and 256,000 bytes rounded up to 63 pages.
  CHECK(after.bytes_cached == 256 * 1024 + 63 * 4096);
#endif
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.peak_bytes_in_use >= 2 * 250 * 1024);

  release_cpu_cache();
  CHECK(cpu_allocator_stats().bytes_cached == 0);
}

TEST_CASE("storage/a repeated allocation pattern takes no new memory after the first round") {
  release_cpu_cache();
  const auto round = [] {
    std::vector<Tensor> live;
    for (int64_t n : {1000, 5000, 70000, 5000, 123457, 1}) live.push_back(zeros({n}));
  };
  round();
  const int64_t allocated = cpu_allocator_stats().system_allocations;
  for (int i = 0; i < 5; ++i) round();
  // The four blocks of 4 KiB or more come from the cache; the two smaller ones go to malloc.
  const CpuAllocatorStats stats = cpu_allocator_stats();
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(stats.system_allocations == allocated);
#else
  CHECK(stats.system_allocations - allocated == 5 * 4);
#endif
  CHECK(stats.small_allocations >= 6 * 2);
}
