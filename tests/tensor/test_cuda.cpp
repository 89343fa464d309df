// The CUDA backend. Cases that need a GPU say why they skip and pass when there is none (a CPU-only
// build, or a CUDA=1 build on a machine without a GPU); the rest check the errors bcl gives then.
#include "tensor/device.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

// True, after saying why, when there is no GPU to run on.
bool skip_without_gpu() {
  if (cuda_available()) return false;
#ifdef BCL_CUDA
  MESSAGE("skipped: built with CUDA=1, but no CUDA GPU was found");
#else
  MESSAGE("skipped: CPU-only build (make CUDA=1 to build the CUDA backend)");
#endif
  return true;
}

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
