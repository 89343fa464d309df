// The CUDA backend. Cases that need a GPU say why they skip and pass when there is none (a CPU-only
// build, or a CUDA=1 build on a machine without a GPU); the rest check the errors bcl gives then.
// Also here: the caching allocator of Device::CUDA and copies through the pinned staging buffer
// (tensor/kernels/cuda_runtime.cu).
#include <cstring>

#include "tensor/device.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::skip_without_gpu;

namespace {

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed) {
  if (dtype == DType::Int64) return raw::to_dtype(test::uniform(shape, -50, 50, seed), dtype);
  return test::randn(shape, seed, dtype);
}

}  // namespace

TEST_CASE("cuda/device_count") {
  CHECK(cuda_device_count() >= 0);
  CHECK(cuda_available() == (cuda_device_count() > 0));
#ifndef BCL_CUDA
  CHECK(cuda_device_count() == 0);
#endif
}

TEST_CASE("cuda/copy_between_devices_checks") {
  // The checks come before any device is touched, so they run on CPU tensors in every build.
  Tensor src = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor dst = zeros({2, 3});
  copy_between_devices(dst, src);
  CHECK(dst.to_vector() == src.to_vector());

  CHECK_THROWS_WITH_AS(copy_between_devices(zeros({3, 2}), src),
                       "copy_between_devices: shapes [3, 2] (dst) and [2, 3] (src) differ",
                       bcl::Error);
  CHECK_THROWS_WITH_AS(copy_between_devices(zeros({2, 3}, DType::Float64), src),
                       doctest::Contains("copy_between_devices: dtypes"), bcl::Error);
  CHECK_THROWS_WITH_AS(copy_between_devices(zeros({3, 2}), raw::transpose(src, 0, 1)),
                       doctest::Contains("copy_between_devices: both tensors must be contiguous"),
                       bcl::Error);
}

TEST_CASE("cuda/errors_without_a_gpu") {
  if (cuda_available()) {
    MESSAGE("skipped: a CUDA GPU is present");
    return;
  }
  Tensor x = ones({2, 2});
#ifdef BCL_CUDA
  // The allocator is installed but has no device to allocate on.
  CHECK_THROWS_WITH_AS(raw::to_device(x, Device::CUDA), doctest::Contains("CUDA error: cudaMalloc"),
                       bcl::Error);
#else
  CHECK_THROWS_WITH_AS(raw::to_device(x, Device::CUDA),
                       doctest::Contains("CUDA support not compiled in: rebuild with make CUDA=1"),
                       bcl::Error);
  CHECK_THROWS_WITH_AS(zeros({2}, DType::Float32, Device::CUDA),
                       doctest::Contains("CUDA support not compiled in"), bcl::Error);
#endif
}

TEST_CASE("cuda/round_trip") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    Tensor host = random_tensor({3, 5, 7}, dtype, 11);

    Tensor gpu = raw::to_device(host, Device::CUDA);
    CHECK(gpu.device() == Device::CUDA);
    CHECK(gpu.dtype() == dtype);
    Tensor back = raw::to_device(gpu, Device::CPU);
    CHECK(back.device() == Device::CPU);
    CHECK(back.to_vector() == host.to_vector());

    // Device to device, by the raw copy and through the copy kernel.
    Tensor gpu2 = empty(host.shape(), dtype, Device::CUDA);
    copy_between_devices(gpu2, gpu);
    CHECK(gpu2.to_vector() == host.to_vector());
    CHECK(raw::clone(gpu).to_vector() == host.to_vector());

    // A strided view comes back in row-major order (the CUDA copy kernel lays it out first).
    Tensor t_gpu = raw::transpose(gpu, 0, 2);
    CHECK(t_gpu.to_vector() == raw::transpose(host, 0, 2).to_vector());

    // Conversion on the GPU agrees with the CPU's.
    DType other = dtype == DType::Float64 ? DType::Float32 : DType::Float64;
    CHECK(raw::to_dtype(gpu, other).to_vector() == raw::to_dtype(host, other).to_vector());
  }
}

TEST_CASE("cuda/fill") {
  if (skip_without_gpu()) return;
  Tensor x = zeros({4, 6}, DType::Float64, Device::CUDA);
  CHECK(x.to_vector() == std::vector<double>(24, 0.0));
  // A column slice: fill must respect strides and leave the rest alone.
  raw::fill_(raw::narrow(x, 1, 2, 1), 3.5);
  Tensor expected = zeros({4, 6}, DType::Float64);
  raw::fill_(raw::narrow(expected, 1, 2, 1), 3.5);
  CHECK(x.to_vector() == expected.to_vector());
  CHECK(full({5}, -7, DType::Int64, Device::CUDA).to_vector() == std::vector<double>(5, -7.0));
}

TEST_CASE("cuda/binary_matches_cpu") {
  if (skip_without_gpu()) return;
  using raw::BinaryOp;
  const BinaryOp ops[] = {BinaryOp::Add,     BinaryOp::Sub,     BinaryOp::Mul, BinaryOp::Div,
                          BinaryOp::Maximum, BinaryOp::Minimum, BinaryOp::Eq,  BinaryOp::Ne,
                          BinaryOp::Lt,      BinaryOp::Le,      BinaryOp::Gt,  BinaryOp::Ge,
                          BinaryOp::ReluGrad};
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    // a [3, 1, 4] broadcasts against b [5, 4], and b is a transposed (strided) view.
    Tensor a = random_tensor({3, 1, 4}, dtype, 21);
    Tensor b_storage = random_tensor({4, 5}, dtype, 22);
    Tensor b = raw::transpose(b_storage, 0, 1);
    Tensor a_gpu = raw::to_device(a, Device::CUDA);
    Tensor b_gpu = raw::transpose(raw::to_device(b_storage, Device::CUDA), 0, 1);
    REQUIRE_FALSE(b_gpu.is_contiguous());
    for (BinaryOp op : ops) {
      if (op == BinaryOp::Div && dtype == DType::Int64) continue;  // not supported for integers
      CAPTURE(dtype_name(dtype));
      CAPTURE(static_cast<int>(op));
      Tensor cpu_out = raw::binary(op, a, b);
      Tensor gpu_out = raw::binary(op, a_gpu, b_gpu);
      CHECK(gpu_out.device() == Device::CUDA);
      CHECK(gpu_out.shape() == cpu_out.shape());
      // Exact: each op is correctly rounded on both devices.
      CHECK(gpu_out.to_vector() == cpu_out.to_vector());
    }
  }
}

// ---- The caching allocator ---------------------------------------------------------------------

TEST_CASE("cuda/allocator_stats_without_a_gpu") {
  if (cuda_available()) {
    MESSAGE("skipped: a CUDA GPU is present");
    return;
  }
  // Nothing was ever allocated (a failed cudaMalloc counts nothing), and releasing is harmless.
  release_cuda_cache();
  const CudaAllocatorStats s = cuda_allocator_stats();
  CHECK(s.cuda_mallocs == 0);
  CHECK(s.cache_hits == 0);
  CHECK(s.bytes_in_use == 0);
  CHECK(s.bytes_cached == 0);
  CHECK(s.staging_bytes == 0);
}

TEST_CASE("cuda/caching_allocator_reuses_freed_blocks") {
  if (skip_without_gpu()) return;
  release_cuda_cache();
  const CudaAllocatorStats s0 = cuda_allocator_stats();
  CHECK(s0.bytes_cached == 0);

  // 1000 floats = 4000 B, rounded up to 4096 (a multiple of 512 below 1 MiB).
  {
    Tensor a = empty({1000}, DType::Float32, Device::CUDA);
    const CudaAllocatorStats s = cuda_allocator_stats();
    CHECK(s.cuda_mallocs == s0.cuda_mallocs + 1);
    CHECK(s.cache_hits == s0.cache_hits);
    CHECK(s.bytes_in_use == s0.bytes_in_use + 4096);
    CHECK(s.peak_bytes_in_use >= s.bytes_in_use);
  }
  const CudaAllocatorStats s1 = cuda_allocator_stats();
  CHECK(s1.bytes_in_use == s0.bytes_in_use);
  CHECK(s1.bytes_cached == 4096);

  // 1010 floats round to the same 4096 B: served from the cache, no cudaMalloc.
  {
    Tensor b = empty({1010}, DType::Float32, Device::CUDA);
    const CudaAllocatorStats s = cuda_allocator_stats();
    CHECK(s.cuda_mallocs == s1.cuda_mallocs);
    CHECK(s.cache_hits == s1.cache_hits + 1);
    CHECK(s.bytes_cached == 0);
    CHECK(s.bytes_in_use == s0.bytes_in_use + 4096);
  }

  // 3 MiB + 8 B rounds to 4 MiB (a multiple of 2 MiB from 1 MiB on).
  {
    Tensor big = empty({(int64_t(3) << 20) / 8 + 1}, DType::Float64, Device::CUDA);
    const CudaAllocatorStats s = cuda_allocator_stats();
    CHECK(s.bytes_in_use == s0.bytes_in_use + (int64_t(4) << 20));
    CHECK(s.peak_bytes_in_use >= s0.bytes_in_use + (int64_t(4) << 20));
  }

  // Empty tensors take no block at all.
  {
    const CudaAllocatorStats before = cuda_allocator_stats();
    Tensor e = empty({3, 0}, DType::Float32, Device::CUDA);
    const CudaAllocatorStats s = cuda_allocator_stats();
    CHECK(s.cuda_mallocs == before.cuda_mallocs);
    CHECK(s.cache_hits == before.cache_hits);
    CHECK(s.bytes_in_use == before.bytes_in_use);
  }

  // A repeated "step" (the same sizes every time, with kernels writing the blocks) takes no new
  // memory after the first, and computes the same result each time.
  const Tensor x_host = test::randn({37, 53}, 5);
  const Tensor x = raw::to_device(x_host, Device::CUDA);
  std::vector<double> first;
  for (int step = 0; step < 4; ++step) {
    CAPTURE(step);
    const CudaAllocatorStats before = cuda_allocator_stats();
    Tensor y = raw::mul(raw::add(x, x), x);
    Tensor z = raw::sub(y, raw::transpose(raw::contiguous(raw::transpose(y, 0, 1)), 0, 1));
    Tensor w = empty({300000}, DType::Float32, Device::CUDA);
    raw::fill_(w, 1.0);
    const std::vector<double> got = raw::add(y, z).to_vector();
    if (step == 0) {
      first = got;
    } else {
      CHECK(cuda_allocator_stats().cuda_mallocs == before.cuda_mallocs);
      CHECK(got == first);
    }
  }

  // Releasing frees every cached block, and the next request calls cudaMalloc again.
  const CudaAllocatorStats before_release = cuda_allocator_stats();
  CHECK(before_release.bytes_cached > 0);
  release_cuda_cache();
  const CudaAllocatorStats released = cuda_allocator_stats();
  CHECK(released.bytes_cached == 0);
  CHECK(released.staging_bytes == 0);
  CHECK(released.cuda_frees > before_release.cuda_frees);
  CHECK(released.bytes_in_use == before_release.bytes_in_use);
  Tensor again = empty({1000}, DType::Float32, Device::CUDA);
  CHECK(cuda_allocator_stats().cuda_mallocs == released.cuda_mallocs + 1);
}

TEST_CASE("cuda/caching_allocator_out_of_memory") {
  if (skip_without_gpu()) return;
  // Put a block in the cache, then ask for far more than any GPU has: the cache is released, the
  // allocation retried once, and the error names the size.
  { Tensor cached = empty({1000}, DType::Float32, Device::CUDA); }
  REQUIRE(cuda_allocator_stats().bytes_cached > 0);
  const int64_t n = int64_t(1) << 44;  // 2^46 bytes of float32
  CHECK_THROWS_WITH_AS(empty({n}, DType::Float32, Device::CUDA),
                       doctest::Contains("CUDA error: cudaMalloc of 70368744177664 bytes"),
                       bcl::Error);
  CHECK(cuda_allocator_stats().bytes_cached == 0);
  // The failure leaves no error behind for the next kernel launch to report.
  Tensor x = raw::to_device(from_vector({1, 2, 3}, {3}), Device::CUDA);
  CHECK(raw::add(x, x).to_vector() == std::vector<double>{2, 4, 6});
}

// ---- Copies through the pinned staging buffer
// ----------------------------------------------------

TEST_CASE("cuda/staging_round_trips") {
  if (skip_without_gpu()) return;
  SUBCASE("zero size") {
    for (const Shape& shape : {Shape{0}, Shape{3, 0, 2}}) {
      Tensor host = empty(shape, DType::Float64);
      Tensor gpu = raw::to_device(host, Device::CUDA);
      CHECK(gpu.shape() == shape);
      CHECK(gpu.device() == Device::CUDA);
      Tensor back = raw::to_device(gpu, Device::CPU);
      CHECK(back.shape() == shape);
      copy_between_devices(empty(shape, DType::Float64, Device::CUDA), gpu);
    }
  }
  SUBCASE("larger than the staging buffer, not a multiple of it") {
    // 128 MiB + 24 B of float64: two full 64 MiB chunks and a 24-byte tail each way. Distinct
    // values, so a chunk landing at the wrong place is seen.
    const int64_t n = (int64_t(128) << 20) / 8 + 3;
    const Tensor host = arange(n, DType::Float64);
    const Tensor gpu = raw::to_device(host, Device::CUDA);
    CHECK(cuda_allocator_stats().staging_bytes > 0);
    const Tensor back = raw::to_device(gpu, Device::CPU);
    const size_t nbytes = static_cast<size_t>(n) * 8;
    CHECK(std::memcmp(back.raw_data(), host.raw_data(), nbytes) == 0);
    // Device to device, then back.
    Tensor gpu2 = empty({n}, DType::Float64, Device::CUDA);
    copy_between_devices(gpu2, gpu);
    Tensor back2 = empty({n}, DType::Float64);
    copy_between_devices(back2, gpu2);
    CHECK(std::memcmp(back2.raw_data(), host.raw_data(), nbytes) == 0);
    // A slice at an odd offset, out and in.
    const Tensor slice = raw::narrow(gpu, 0, n - 1000001, 1000000);
    const Tensor slice_host = raw::to_device(slice, Device::CPU);
    CHECK(slice_host.to_vector() == raw::narrow(host, 0, n - 1000001, 1000000).to_vector());
  }
  SUBCASE("the host source may change as soon as the copy returns") {
    Tensor host = arange(5000, DType::Float64);
    const std::vector<double> expected = host.to_vector();
    Tensor gpu = raw::to_device(host, Device::CUDA);
    raw::fill_(host, -1.0);
    CHECK(gpu.to_vector() == expected);
  }
  SUBCASE("many small uploads in a row reuse the buffer safely") {
    std::vector<Tensor> gpus;
    for (int i = 0; i < 200; ++i) {
      gpus.push_back(raw::to_device(full({17}, i, DType::Int64), Device::CUDA));
    }
    for (int i = 0; i < 200; ++i) {
      CAPTURE(i);
      CHECK(gpus[static_cast<size_t>(i)].to_vector() ==
            std::vector<double>(17, static_cast<double>(i)));
    }
  }
  SUBCASE("an upload followed at once by a kernel and a download") {
    Tensor host = test::randn({1 << 16}, 9);
    Tensor gpu = raw::to_device(host, Device::CUDA);
    CHECK(raw::mul_scalar(gpu, 2.0).to_vector() == raw::mul_scalar(host, 2.0).to_vector());
  }
}
