// CUDA kernels of the indexing ops (index_select, index_add, gather_labels, scatter_labels,
// one_hot), registered beside the CPU ones of tensor/kernels/index.cpp, for every dtype.
//
// Index validation: the CPU kernels check every index before touching memory and throw
//   "<op>: <name>[i] = v is out of range [0, bound)"
// for the first bad one. Here the indices live on the GPU, so a small kernel finds the position of
// the first bad index (atomicMin into one device word), the host reads that word back (8 bytes,
// one stream synchronisation per op call) and, if some index is bad, reads the value at that
// position and throws the CPU's exact message. The work kernels run only after the check has
// passed, so they never read or write out of bounds. The synchronisation is the price of a clear
// error; these ops run a few times per training step on label-sized index tensors.
#include <cstdint>
#include <mutex>

#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/index.h"

namespace bcl {
namespace {

constexpr unsigned long long kNoBadIndex = ~0ull;

// The position of the first out-of-range index of the last check, or kNoBadIndex.
__device__ unsigned long long g_first_bad;

__global__ void find_first_bad_kernel(const int64_t* idx, int64_t n, int64_t bound) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t v = idx[i];
    if (v < 0 || v >= bound) atomicMin(&g_first_bad, static_cast<unsigned long long>(i));
  }
}

// Throws, with the CPU kernel's message, unless every idx[i] (device memory) is in [0, bound).
void check_range(const char* op, const char* name, const int64_t* idx, int64_t n, int64_t bound) {
  if (n == 0) return;
  // g_first_bad is one word shared by every call: host threads issuing index ops at once take
  // turns.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  void* flag = nullptr;
  BCL_CUDA_CHECK(cudaGetSymbolAddress(&flag, g_first_bad));
  BCL_CUDA_CHECK(cudaMemsetAsync(flag, 0xFF, sizeof(unsigned long long), cuda::stream()));
  find_first_bad_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(idx, n,
                                                                                            bound);
  BCL_CUDA_CHECK_LAUNCH();
  unsigned long long first = kNoBadIndex;
  BCL_CUDA_CHECK(
      cudaMemcpyAsync(&first, flag, sizeof(first), cudaMemcpyDeviceToHost, cuda::stream()));
  BCL_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  if (first == kNoBadIndex) return;
  const int64_t i = static_cast<int64_t>(first);
  int64_t value = 0;
  BCL_CUDA_CHECK(cudaMemcpy(&value, idx + i, sizeof(value), cudaMemcpyDeviceToHost));
  BCL_CHECK(false, op, ": ", name, "[", i, "] = ", value, " is out of range [0, ", bound, ")");
}

// Output element e of [outer, n, inner] is (o, i, j) with e = (o * n + i) * inner + j.
template <class T>
__global__ void index_select_kernel(const T* x, const int64_t* idx, T* out, int64_t total,
                                    int64_t n, int64_t size, int64_t inner) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += step) {
    const int64_t j = e % inner, r = e / inner;
    const int64_t i = r % n, o = r / n;
    out[e] = x[(o * size + idx[i]) * inner + j];
  }
}

template <class T>
void index_select_cuda(const Tensor& x, const DimGeometry& g, const Tensor& index,
                       const Tensor& out) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data<int64_t>();
  check_range("index_select", "index", idx, n, g.size);
  const int64_t total = out.numel();
  if (total == 0) return;
  index_select_kernel<T><<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      x.data<T>(), idx, out.data<T>(), total, n, g.size, g.inner);
  BCL_CUDA_CHECK_LAUNCH();
}

__device__ void atomic_add(float* p, float v) {
  atomicAdd(p, v);
}
__device__ void atomic_add(double* p, double v) {
  atomicAdd(p, v);
}
// Two's-complement addition is the same operation on signed and unsigned 64-bit words.
__device__ void atomic_add(int64_t* p, int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}

// One thread per src element (o, i, j) adds it into out[o, idx[i], j]. Repeated indices make
// several threads add into one element, hence the atomics; the order of those additions is not
// fixed, so with repeats float sums may differ from the CPU's in the last bits (integers and unique
// indices are exact: each element then receives one addition to 0).
template <class T>
__global__ void index_add_kernel(const T* src, const int64_t* idx, T* out, int64_t total, int64_t n,
                                 int64_t size, int64_t inner) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += step) {
    const int64_t j = e % inner, r = e / inner;
    const int64_t i = r % n, o = r / n;
    atomic_add(out + (o * size + idx[i]) * inner + j, src[e]);
  }
}

template <class T>
void index_add_cuda(const Tensor& src, const Tensor& index, const DimGeometry& g,
                    const Tensor& out) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data<int64_t>();
  check_range("index_add", "index", idx, n, g.size);
  const int64_t total = src.numel();
  if (total == 0) return;
  index_add_kernel<T><<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      src.data<T>(), idx, out.data<T>(), total, n, g.size, g.inner);
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
__global__ void gather_labels_kernel(const T* x, const int64_t* labels, T* out, int64_t n,
                                     int64_t c) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = x[i * c + labels[i]];
}

template <class T>
void gather_labels_cuda(const Tensor& x, const Tensor& labels, const Tensor& out) {
  const int64_t n = x.size(0), c = x.size(1);
  const int64_t* lp = labels.data<int64_t>();
  check_range("gather_labels", "labels", lp, n, c);
  if (n == 0) return;
  gather_labels_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      x.data<T>(), lp, out.data<T>(), n, c);
  BCL_CUDA_CHECK_LAUNCH();
}

// Each row i has one label, so every thread writes its own element of the zero-filled out.
template <class T>
__global__ void scatter_labels_kernel(const T* g, const int64_t* labels, T* out, int64_t n,
                                      int64_t c) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i * c + labels[i]] = g[i];
}

template <class T>
void scatter_labels_cuda(const Tensor& g, const Tensor& labels, const Tensor& out) {
  const int64_t n = out.size(0), c = out.size(1);
  const int64_t* lp = labels.data<int64_t>();
  check_range("scatter_labels", "labels", lp, n, c);
  if (n == 0) return;
  scatter_labels_kernel<T><<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      g.data<T>(), lp, out.data<T>(), n, c);
  BCL_CUDA_CHECK_LAUNCH();
}

template <class T>
__global__ void one_hot_kernel(const int64_t* labels, T* out, int64_t n, int64_t c) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i * c + labels[i]] = T(1);
}

template <class T>
void one_hot_cuda(const Tensor& labels, const Tensor& out) {
  const int64_t n = out.size(0), c = out.size(1);
  const int64_t* lp = labels.data<int64_t>();
  check_range("one_hot", "labels", lp, n, c);
  if (n == 0) return;
  one_hot_kernel<T>
      <<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(lp, out.data<T>(), n, c);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar select_f32(index_select_kernels(), Device::CUDA, DType::Float32,
                                 &index_select_cuda<float>);
const KernelRegistrar select_f64(index_select_kernels(), Device::CUDA, DType::Float64,
                                 &index_select_cuda<double>);
const KernelRegistrar select_i64(index_select_kernels(), Device::CUDA, DType::Int64,
                                 &index_select_cuda<int64_t>);
const KernelRegistrar add_f32(index_add_kernels(), Device::CUDA, DType::Float32,
                              &index_add_cuda<float>);
const KernelRegistrar add_f64(index_add_kernels(), Device::CUDA, DType::Float64,
                              &index_add_cuda<double>);
const KernelRegistrar add_i64(index_add_kernels(), Device::CUDA, DType::Int64,
                              &index_add_cuda<int64_t>);
const KernelRegistrar gather_f32(gather_labels_kernels(), Device::CUDA, DType::Float32,
                                 &gather_labels_cuda<float>);
const KernelRegistrar gather_f64(gather_labels_kernels(), Device::CUDA, DType::Float64,
                                 &gather_labels_cuda<double>);
const KernelRegistrar gather_i64(gather_labels_kernels(), Device::CUDA, DType::Int64,
                                 &gather_labels_cuda<int64_t>);
const KernelRegistrar scatter_f32(scatter_labels_kernels(), Device::CUDA, DType::Float32,
                                  &scatter_labels_cuda<float>);
const KernelRegistrar scatter_f64(scatter_labels_kernels(), Device::CUDA, DType::Float64,
                                  &scatter_labels_cuda<double>);
const KernelRegistrar scatter_i64(scatter_labels_kernels(), Device::CUDA, DType::Int64,
                                  &scatter_labels_cuda<int64_t>);
const KernelRegistrar one_hot_f32(one_hot_kernels(), Device::CUDA, DType::Float32,
                                  &one_hot_cuda<float>);
const KernelRegistrar one_hot_f64(one_hot_kernels(), Device::CUDA, DType::Float64,
                                  &one_hot_cuda<double>);
const KernelRegistrar one_hot_i64(one_hot_kernels(), Device::CUDA, DType::Int64,
                                  &one_hot_cuda<int64_t>);

}  // namespace
}  // namespace bcl
