// CPU reduction kernels over a contiguous [outer, n, inner] tensor (float, double, int64).
#include "tensor/kernels/reduce.h"

#include <algorithm>
#include <type_traits>

namespace bcl {
namespace {

// Outputs are handled in units of one outer index and up to kBlock consecutive inner ones, so the
// inner loop runs over contiguous memory and a unit's accumulators fit in a small local array.
constexpr int64_t kBlock = 256;
// Below this many input elements a reduction stays on one thread.
constexpr int64_t kParallelGrain = 32768;

// Calls f(o, i_begin, i_end) for every unit. Each unit owns its outputs and reduces them in a
// fixed order, so results do not depend on how units are spread over threads.
template <class F>
void for_each_unit(int64_t outer, int64_t n, int64_t inner, F f) {
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  const int64_t units = outer * blocks;
#pragma omp parallel for schedule(static) if (units > 1 && outer * n * inner > kParallelGrain)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t o = u / blocks, begin = (u % blocks) * kBlock;
    f(o, begin, std::min(inner, begin + kBlock));
  }
}

// Floating sums accumulate in double (a float32 sum of many terms loses digits); integers in int64.
template <class T>
using Accumulator = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

// A contiguous run summed in kLanes interleaved partial sums that are added up at the end:
// independent additions pipeline and vectorise where a single running sum waits on each one, and
// the fixed lane count keeps the order of additions, hence the result, fixed.
template <class T>
Accumulator<T> run_sum(const T* x, int64_t n) {
  constexpr int64_t kLanes = 8;
  Accumulator<T> lanes[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] += x[k + l];
  }
  for (; k < n; ++k) lanes[k % kLanes] += x[k];
  Accumulator<T> total = 0;
  for (Accumulator<T> lane : lanes) total += lane;
  return total;
}

template <class T>
void sum_cpu(const Tensor& x, const Tensor& out, double scale) {
  const int64_t outer = x.shape()[0], n = x.shape()[1], inner = x.shape()[2];
  const T* px = x.data<T>();
  T* po = out.data<T>();
  auto store = [=](int64_t index, Accumulator<T> sum) {
    if constexpr (std::is_integral_v<T>) {
      po[index] = sum;  // never scaled: there is no integer mean
    } else {
      po[index] = static_cast<T>(sum * scale);
    }
  };
  for_each_unit(outer, n, inner, [=](int64_t o, int64_t begin, int64_t end) {
    if (inner == 1) {  // the output sums one contiguous run
      store(o, run_sum(px + o * n, n));
      return;
    }
    Accumulator<T> acc[kBlock] = {};
    for (int64_t k = 0; k < n; ++k) {
      const T* row = px + (o * n + k) * inner;
      for (int64_t i = begin; i < end; ++i) acc[i - begin] += row[i];
    }
    for (int64_t i = begin; i < end; ++i) store(o * inner + i, acc[i - begin]);
  });
}

template <class T>
bool is_nan(T x) {
  return x != x;
}

template <class T>
void max_cpu(const Tensor& x, const Tensor& values, const Tensor& indices) {
  const int64_t outer = x.shape()[0], n = x.shape()[1], inner = x.shape()[2];
  const T* px = x.data<T>();
  T* pv = values.data<T>();
  int64_t* pi = indices.data<int64_t>();
  for_each_unit(outer, n, inner, [=](int64_t o, int64_t begin, int64_t end) {
    T* best = pv + o * inner;
    int64_t* where = pi + o * inner;
    const T* first = px + o * n * inner;
    for (int64_t i = begin; i < end; ++i) {
      best[i] = first[i];
      where[i] = 0;
    }
    // Strictly greater keeps the first index on ties; the first NaN wins and stays.
    for (int64_t k = 1; k < n; ++k) {
      const T* row = first + k * inner;
      for (int64_t i = begin; i < end; ++i) {
        if (row[i] > best[i] || (is_nan(row[i]) && !is_nan(best[i]))) {
          best[i] = row[i];
          where[i] = k;
        }
      }
    }
  });
}

const KernelRegistrar sum_f32(sum_kernels(), Device::CPU, DType::Float32, &sum_cpu<float>);
const KernelRegistrar sum_f64(sum_kernels(), Device::CPU, DType::Float64, &sum_cpu<double>);
const KernelRegistrar sum_i64(sum_kernels(), Device::CPU, DType::Int64, &sum_cpu<int64_t>);
const KernelRegistrar max_f32(max_kernels(), Device::CPU, DType::Float32, &max_cpu<float>);
const KernelRegistrar max_f64(max_kernels(), Device::CPU, DType::Float64, &max_cpu<double>);
const KernelRegistrar max_i64(max_kernels(), Device::CPU, DType::Int64, &max_cpu<int64_t>);

}  // namespace
}  // namespace bcl
