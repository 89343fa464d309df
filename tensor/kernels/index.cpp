// CPU kernels of the indexing ops. Every kernel checks all its indices in a serial pass before
// the (possibly parallel) work, so a bad index throws cleanly and nothing is read out of bounds.
#include "tensor/kernels/index.h"

#include <algorithm>

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements

// Throws unless every idx[i] is in [0, bound).
void check_range(const char* op, const char* name, const int64_t* idx, int64_t n, int64_t bound) {
  for (int64_t i = 0; i < n; ++i) {
    BCL_CHECK(idx[i] >= 0 && idx[i] < bound, op, ": ", name, "[", i, "] = ", idx[i],
              " is out of range [0, ", bound, ")");
  }
}

template <class T>
void index_select_cpu(const Tensor& x, const DimGeometry& g, const Tensor& index,
                      const Tensor& out) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data<int64_t>();
  check_range("index_select", "index", idx, n, g.size);
  const T* xp = x.data<T>();
  T* op = out.data<T>();
  const int64_t rows = g.outer * n;  // out rows (o, i), each `inner` long
#pragma omp parallel for schedule(static) if (out.numel() > kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o = r / n, i = r % n;
    std::copy_n(xp + (o * g.size + idx[i]) * g.inner, g.inner, op + r * g.inner);
  }
}

template <class T>
void index_add_cpu(const Tensor& src, const Tensor& index, const DimGeometry& g,
                   const Tensor& out) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data<int64_t>();
  check_range("index_add", "index", idx, n, g.size);
  const T* sp = src.data<T>();
  T* op = out.data<T>();
  // A repeated index sends several src rows to one out row. Each thread owns whole tiles (one outer
  // position, one block of columns) of out and adds the src rows in index order, so there are no
  // races and the sums do not depend on the thread count.
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (g.inner + kBlock - 1) / kBlock;
  const int64_t tiles = g.outer * blocks;
#pragma omp parallel for schedule(static) if (src.numel() > kParallelThreshold)
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t o = t / blocks;
    const int64_t begin = (t % blocks) * kBlock, end = std::min(begin + kBlock, g.inner);
    for (int64_t i = 0; i < n; ++i) {
      const T* src_row = sp + (o * n + i) * g.inner;
      T* out_row = op + (o * g.size + idx[i]) * g.inner;
      for (int64_t j = begin; j < end; ++j) out_row[j] += src_row[j];
    }
  }
}

template <class T>
void gather_labels_cpu(const Tensor& x, const Tensor& labels, const Tensor& out) {
  const int64_t n = x.size(0), c = x.size(1);
  const int64_t* lp = labels.data<int64_t>();
  check_range("gather_labels", "labels", lp, n, c);
  const T* xp = x.data<T>();
  T* op = out.data<T>();
  for (int64_t i = 0; i < n; ++i) op[i] = xp[i * c + lp[i]];
}

template <class T>
void scatter_labels_cpu(const Tensor& g, const Tensor& labels, const Tensor& out) {
  const int64_t n = out.size(0), c = out.size(1);
  const int64_t* lp = labels.data<int64_t>();
  check_range("scatter_labels", "labels", lp, n, c);
  const T* gp = g.data<T>();
  T* op = out.data<T>();
  for (int64_t i = 0; i < n; ++i) op[i * c + lp[i]] = gp[i];
}

template <class T>
void one_hot_cpu(const Tensor& labels, const Tensor& out) {
  const int64_t n = out.size(0), c = out.size(1);
  const int64_t* lp = labels.data<int64_t>();
  check_range("one_hot", "labels", lp, n, c);
  T* op = out.data<T>();
  for (int64_t i = 0; i < n; ++i) op[i * c + lp[i]] = T(1);
}

// Every dtype: these ops move values, and index_add's sum is meaningful for integers too.
static const KernelRegistrar reg_select_f32(index_select_kernels(), Device::CPU, DType::Float32,
                                            &index_select_cpu<float>);
static const KernelRegistrar reg_select_f64(index_select_kernels(), Device::CPU, DType::Float64,
                                            &index_select_cpu<double>);
static const KernelRegistrar reg_select_i64(index_select_kernels(), Device::CPU, DType::Int64,
                                            &index_select_cpu<int64_t>);
static const KernelRegistrar reg_add_f32(index_add_kernels(), Device::CPU, DType::Float32,
                                         &index_add_cpu<float>);
static const KernelRegistrar reg_add_f64(index_add_kernels(), Device::CPU, DType::Float64,
                                         &index_add_cpu<double>);
static const KernelRegistrar reg_add_i64(index_add_kernels(), Device::CPU, DType::Int64,
                                         &index_add_cpu<int64_t>);
static const KernelRegistrar reg_gather_f32(gather_labels_kernels(), Device::CPU, DType::Float32,
                                            &gather_labels_cpu<float>);
static const KernelRegistrar reg_gather_f64(gather_labels_kernels(), Device::CPU, DType::Float64,
                                            &gather_labels_cpu<double>);
static const KernelRegistrar reg_gather_i64(gather_labels_kernels(), Device::CPU, DType::Int64,
                                            &gather_labels_cpu<int64_t>);
static const KernelRegistrar reg_scatter_f32(scatter_labels_kernels(), Device::CPU, DType::Float32,
                                             &scatter_labels_cpu<float>);
static const KernelRegistrar reg_scatter_f64(scatter_labels_kernels(), Device::CPU, DType::Float64,
                                             &scatter_labels_cpu<double>);
static const KernelRegistrar reg_scatter_i64(scatter_labels_kernels(), Device::CPU, DType::Int64,
                                             &scatter_labels_cpu<int64_t>);
static const KernelRegistrar reg_one_hot_f32(one_hot_kernels(), Device::CPU, DType::Float32,
                                             &one_hot_cpu<float>);
static const KernelRegistrar reg_one_hot_f64(one_hot_kernels(), Device::CPU, DType::Float64,
                                             &one_hot_cpu<double>);
static const KernelRegistrar reg_one_hot_i64(one_hot_kernels(), Device::CPU, DType::Int64,
                                             &one_hot_cpu<int64_t>);

}  // namespace
}  // namespace bcl
