// CUDA convolution, registered beside the CPU kernels of tensor/kernels/conv2d.cpp: cuDNN's legacy
// convolution API for the forward and both backward products, and direct CUDA kernels for what
// cuDNN turns down.
//
// Every kernel overwrites its output (tensor/kernels/conv2d.h), so each cuDNN call runs with
// alpha = 1, beta = 0, and the bias is added by a kernel of ours afterwards.
//
// Plans: the first call for a configuration (pass, dtype, N, C, H, W, O, kh, kw, strides, padding,
// groups; dilation is always 1) builds its descriptors and picks an algorithm with
// cudnnFind*AlgorithmEx, which times the candidates on the call's own buffers. That is safe since
// every pass overwrites its output: what Find leaves there is overwritten by the real call that
// follows. The plan is cached for the life of the process (descriptors included, never destroyed,
// like the handles of cuda_context.cu).
//
// Accuracy over speed in the choice of algorithm, so that results stay within summation-order
// noise of the CPU's:
//   - fp32 runs with CUDNN_FMA_MATH: since cuDNN 8, CUDNN_DEFAULT_MATH lets fp32 convolutions use
//     TF32 tensor cores on Ampere and later (10-bit mantissas, ~1e-3 relative error). Results
//     reporting a tensor-op math type are refused as well.
//   - only GEMM-like and direct algorithms are taken: FFT and Winograd transforms trade accuracy
//     for speed (errors relative to the whole output's scale, not each element's).
//   - among the rest, the fastest deterministic one wins, and a nondeterministic one (atomics)
//     only when no deterministic one is usable, so that reruns give the same bits.
// Algorithms must also succeed in Find and need at most cuda::kWorkspaceCap of workspace. When
// none does, or cuDNN cannot take the geometry (sizes beyond int), the pass runs the direct kernel.
//
// bfloat16 (mixed precision, nn/conv.h): cuDNN's PSEUDO_BFLOAT16_CONFIG, bf16 tensors with float32
// accumulation, on tensor cores (CUDNN_TENSOR_OP_MATH). Its result is the float32 sum of exact
// bf16 products rounded to bf16, as the CPU's kernels of tensor/kernels/conv2d_bf16.cpp compute it.
#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <map>
#include <mutex>
#include <type_traits>
#include <vector>

#include "tensor/kernels/conv2d.h"
#include "tensor/kernels/conv2d_cuda.h"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

using cuda::ConvPass;

// ---- Direct kernels ----------------------------------------------------------------------------
// One thread per output element, each summing its products in double: slow but plainly correct,
// for configurations cuDNN cannot run (and, when forced, for tests).

struct DirectGeometry {
  int64_t n, c, h, w, o, kh, kw, ho, wo;
  int64_t stride_h, stride_w, pad_h, pad_w;
  int64_t cpg, opg;  // input and output channels per group
};

DirectGeometry direct_geometry(const Conv2dDims& d, const Conv2dParams& p) {
  return {d.n,  d.c,        d.h,        d.w,     d.o,     d.kh,           d.kw,          d.ho,
          d.wo, p.stride_h, p.stride_w, p.pad_h, p.pad_w, d.c / p.groups, d.o / p.groups};
}

// y[n, o, oh, ow] = sum over the group's channels cc and taps (i, j) of
//   x[n, g*cpg + cc, oh*stride_h - pad_h + i, ow*stride_w - pad_w + j] * w[o, cc, i, j].
template <class T>
__global__ void conv2d_direct_kernel(const T* x, const T* w, T* y, DirectGeometry g) {
  const int64_t total = g.n * g.o * g.ho * g.wo;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t ow = idx % g.wo, oh = idx / g.wo % g.ho, o = idx / (g.wo * g.ho) % g.o,
                  n = idx / (g.wo * g.ho * g.o);
    const int64_t group = o / g.opg;
    double acc = 0;
    for (int64_t cc = 0; cc < g.cpg; ++cc) {
      const T* xc = x + (n * g.c + group * g.cpg + cc) * g.h * g.w;
      const T* wc = w + (o * g.cpg + cc) * g.kh * g.kw;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = oh * g.stride_h - g.pad_h + i;
        if (ih < 0 || ih >= g.h) continue;
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t iw = ow * g.stride_w - g.pad_w + j;
          if (iw < 0 || iw >= g.w) continue;
          acc += static_cast<double>(xc[ih * g.w + iw]) * static_cast<double>(wc[i * g.kw + j]);
        }
      }
    }
    y[idx] = static_cast<T>(acc);
  }
}

// dx[n, ch, ih, iw] = sum of dy[n, o, oh, ow] * w[o, cc, i, j] over the group's output channels o
// and the taps with ih = oh*stride_h - pad_h + i, iw = ow*stride_w - pad_w + j.
template <class T>
__global__ void conv2d_direct_backward_input_kernel(const T* dy, const T* w, T* dx,
                                                    DirectGeometry g) {
  const int64_t total = g.n * g.c * g.h * g.w;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t iw = idx % g.w, ih = idx / g.w % g.h, ch = idx / (g.w * g.h) % g.c,
                  n = idx / (g.w * g.h * g.c);
    const int64_t group = ch / g.cpg, cc = ch % g.cpg;
    double acc = 0;
    for (int64_t oo = 0; oo < g.opg; ++oo) {
      const int64_t o = group * g.opg + oo;
      const T* dyo = dy + (n * g.o + o) * g.ho * g.wo;
      const T* wo = w + (o * g.cpg + cc) * g.kh * g.kw;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t th = ih + g.pad_h - i;  // oh * stride_h
        if (th < 0 || th % g.stride_h != 0 || th / g.stride_h >= g.ho) continue;
        const int64_t oh = th / g.stride_h;
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t tw = iw + g.pad_w - j;  // ow * stride_w
          if (tw < 0 || tw % g.stride_w != 0 || tw / g.stride_w >= g.wo) continue;
          acc += static_cast<double>(dyo[oh * g.wo + tw / g.stride_w]) *
                 static_cast<double>(wo[i * g.kw + j]);
        }
      }
    }
    dx[idx] = static_cast<T>(acc);
  }
}

// dw[o, cc, i, j] = sum over images n and output positions (oh, ow) of
//   dy[n, o, oh, ow] * x[n, g*cpg + cc, oh*stride_h - pad_h + i, ow*stride_w - pad_w + j].
template <class T>
__global__ void conv2d_direct_backward_weight_kernel(const T* dy, const T* x, T* dw,
                                                     DirectGeometry g) {
  const int64_t total = g.o * g.cpg * g.kh * g.kw;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t j = idx % g.kw, i = idx / g.kw % g.kh, cc = idx / (g.kw * g.kh) % g.cpg,
                  o = idx / (g.kw * g.kh * g.cpg);
    const int64_t ch = o / g.opg * g.cpg + cc;
    double acc = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* dyo = dy + (n * g.o + o) * g.ho * g.wo;
      const T* xc = x + (n * g.c + ch) * g.h * g.w;
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        const int64_t ih = oh * g.stride_h - g.pad_h + i;
        if (ih < 0 || ih >= g.h) continue;
        for (int64_t ow = 0; ow < g.wo; ++ow) {
          const int64_t iw = ow * g.stride_w - g.pad_w + j;
          if (iw < 0 || iw >= g.w) continue;
          acc += static_cast<double>(dyo[oh * g.wo + ow]) * static_cast<double>(xc[ih * g.w + iw]);
        }
      }
    }
    dw[idx] = static_cast<T>(acc);
  }
}

// The type of the arithmetic on T: float for bfloat16 (and for cuDNN's alpha and beta), else T.
template <class T>
using Accum = std::conditional_t<std::is_same_v<T, bfloat16>, float, T>;

// y[n, o, :, :] += bias[o], y being [N, O, plane] contiguous.
template <class T>
__global__ void add_bias_kernel(T* y, const T* bias, int64_t total, int64_t o, int64_t plane) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    y[idx] = static_cast<T>(static_cast<Accum<T>>(y[idx]) +
                            static_cast<Accum<T>>(bias[idx / plane % o]));
  }
}

// ---- Plans --------------------------------------------------------------------------------------

struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;  // input and output (or their gradients)
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  int algo = cuda::kConvDirect;  // a cudnnConvolution*Algo_t, or kConvDirect
  size_t workspace = 0;          // bytes the algorithm needs
};

using PlanKey = std::array<int64_t, 14>;

PlanKey plan_key(ConvPass pass, DType dtype, const Conv2dDims& d, const Conv2dParams& p) {
  return {static_cast<int64_t>(pass),
          static_cast<int64_t>(dtype),
          d.n,
          d.c,
          d.h,
          d.w,
          d.o,
          d.kh,
          d.kw,
          p.stride_h,
          p.stride_w,
          p.pad_h,
          p.pad_w,
          p.groups};
}

std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}

// Never destroyed: plans hold cuDNN descriptors, which must not be freed after cuDNN is torn down.
std::map<PlanKey, ConvPlan>& plans() {
  static auto* p = new std::map<PlanKey, ConvPlan>();
  return *p;
}

std::atomic<int64_t> direct_calls{0};
std::atomic<bool> force_direct{false};

// The legacy API takes int sizes, and tensors of fewer than 2^31 elements.
bool fits_cudnn(const Conv2dDims& d, const Conv2dParams& p) {
  const int64_t sizes[] = {d.n,
                           d.c,
                           d.h,
                           d.w,
                           d.o,
                           d.kh,
                           d.kw,
                           d.ho,
                           d.wo,
                           p.pad_h,
                           p.pad_w,
                           p.groups,
                           p.stride_h,
                           p.stride_w,
                           d.n * d.c * d.h * d.w,
                           d.n * d.o * d.ho * d.wo,
                           d.o * (d.c / p.groups) * d.kh * d.kw};
  return std::all_of(std::begin(sizes), std::end(sizes), [](int64_t s) { return s <= INT_MAX; });
}

// The data type of the tensors, and the one cuDNN computes in.
struct CudnnTypes {
  cudnnDataType_t data, compute;
};

CudnnTypes cudnn_types(DType dtype) {
  switch (dtype) {
    case DType::Float64:
      return {CUDNN_DATA_DOUBLE, CUDNN_DATA_DOUBLE};
    case DType::BFloat16:
      return {CUDNN_DATA_BFLOAT16, CUDNN_DATA_FLOAT};
    default:
      return {CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT};
  }
}

void make_descriptors(ConvPlan& plan, CudnnTypes types, const Conv2dDims& d,
                      const Conv2dParams& p) {
  const cudnnDataType_t dt = types.data;
  const auto i = [](int64_t v) { return static_cast<int>(v); };
  BCL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan.x));
  BCL_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(plan.x, CUDNN_TENSOR_NCHW, dt, i(d.n), i(d.c), i(d.h), i(d.w)));
  BCL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan.y));
  BCL_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(plan.y, CUDNN_TENSOR_NCHW, dt, i(d.n), i(d.o), i(d.ho), i(d.wo)));
  BCL_CUDNN_CHECK(cudnnCreateFilterDescriptor(&plan.w));
  BCL_CUDNN_CHECK(cudnnSetFilter4dDescriptor(plan.w, dt, CUDNN_TENSOR_NCHW, i(d.o),
                                             i(d.c / p.groups), i(d.kh), i(d.kw)));
  BCL_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&plan.conv));
  BCL_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(plan.conv, i(p.pad_h), i(p.pad_w), i(p.stride_h),
                                                  i(p.stride_w), 1, 1, CUDNN_CROSS_CORRELATION,
                                                  types.compute));
  BCL_CUDNN_CHECK(cudnnSetConvolutionGroupCount(plan.conv, i(p.groups)));
  const cudnnMathType_t math = dt == CUDNN_DATA_FLOAT      ? CUDNN_FMA_MATH
                               : dt == CUDNN_DATA_BFLOAT16 ? CUDNN_TENSOR_OP_MATH
                                                           : CUDNN_DEFAULT_MATH;
  BCL_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, math));
  // cuDNN must see the output size the front-end allocated.
  int n = 0, c = 0, h = 0, w = 0;
  BCL_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(plan.conv, plan.x, plan.w, &n, &c, &h, &w));
  BCL_CHECK(n == d.n && c == d.o && h == d.ho && w == d.wo, "conv2d: cuDNN computes an output of [",
            n, ", ", c, ", ", h, ", ", w, "], the front-end [", d.n, ", ", d.o, ", ", d.ho, ", ",
            d.wo, "]");
}

// The GEMM-like and direct algorithms of each pass (see the file comment).
const std::vector<int>& candidate_algos(ConvPass pass) {
  static const std::vector<int> forward = {
      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
      CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_DIRECT};
  static const std::vector<int> data = {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                        CUDNN_CONVOLUTION_BWD_DATA_ALGO_1};
  static const std::vector<int> filter = {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
                                          CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                                          CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3};
  switch (pass) {
    case ConvPass::Forward:
      return forward;
    case ConvPass::BackwardData:
      return data;
    case ConvPass::BackwardFilter:
      break;
  }
  return filter;
}

// Workspace for Find: the most any candidate needs, up to the cap. Candidates cuDNN cannot run
// here report an error instead of a size, and are left out.
size_t find_workspace_bytes(ConvPass pass, const ConvPlan& plan) {
  size_t most = 0;
  for (int algo : candidate_algos(pass)) {
    size_t bytes = 0;
    cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
    switch (pass) {
      case ConvPass::Forward:
        status = cudnnGetConvolutionForwardWorkspaceSize(
            cuda::cudnn(), plan.x, plan.w, plan.conv, plan.y,
            static_cast<cudnnConvolutionFwdAlgo_t>(algo), &bytes);
        break;
      case ConvPass::BackwardData:
        status = cudnnGetConvolutionBackwardDataWorkspaceSize(
            cuda::cudnn(), plan.w, plan.y, plan.conv, plan.x,
            static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), &bytes);
        break;
      case ConvPass::BackwardFilter:
        status = cudnnGetConvolutionBackwardFilterWorkspaceSize(
            cuda::cudnn(), plan.x, plan.y, plan.conv, plan.w,
            static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), &bytes);
        break;
    }
    if (status == CUDNN_STATUS_SUCCESS && bytes <= cuda::kWorkspaceCap)
      most = std::max(most, bytes);
  }
  return most;
}

// Picks from Find's results, which come fastest first, into plan.algo and plan.workspace; leaves
// kConvDirect when none qualifies.
template <class Perf>
void choose_algo(ConvPlan& plan, ConvPass pass, bool fp32, const Perf* results, int count) {
  const std::vector<int>& candidates = candidate_algos(pass);
  const Perf* chosen = nullptr;
  for (int r = 0; r < count; ++r) {
    const Perf& perf = results[r];
    const int algo = static_cast<int>(perf.algo);
    if (perf.status != CUDNN_STATUS_SUCCESS || perf.memory > cuda::kWorkspaceCap) continue;
    if (std::find(candidates.begin(), candidates.end(), algo) == candidates.end()) continue;
    if (fp32 && perf.mathType != CUDNN_FMA_MATH && perf.mathType != CUDNN_DEFAULT_MATH) continue;
    if (perf.determinism == CUDNN_DETERMINISTIC) {
      chosen = &perf;
      break;
    }
    if (chosen == nullptr) chosen = &perf;
  }
  if (chosen != nullptr) {
    plan.algo = static_cast<int>(chosen->algo);
    plan.workspace = chosen->memory;
  }
}

// Runs Find for one pass on its real buffers: a and b are its two inputs, out its output, in the
// order of the pass's cuDNN call (forward: x, w -> y; data: w, dy -> dx; filter: x, dy -> dw).
void find_algo(ConvPlan& plan, ConvPass pass, bool fp32, const void* a, const void* b, void* out) {
  const size_t ws_bytes = find_workspace_bytes(pass, plan);
  void* ws = cuda::workspace(ws_bytes);
  int returned = 0;
  cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
  switch (pass) {
    case ConvPass::Forward: {
      cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      status = cudnnFindConvolutionForwardAlgorithmEx(
          cuda::cudnn(), plan.x, a, plan.w, b, plan.conv, plan.y, out,
          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, ws, ws_bytes);
      if (status == CUDNN_STATUS_SUCCESS) choose_algo(plan, pass, fp32, perf, returned);
      break;
    }
    case ConvPass::BackwardData: {
      cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      status = cudnnFindConvolutionBackwardDataAlgorithmEx(
          cuda::cudnn(), plan.w, a, plan.y, b, plan.conv, plan.x, out,
          CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf, ws, ws_bytes);
      if (status == CUDNN_STATUS_SUCCESS) choose_algo(plan, pass, fp32, perf, returned);
      break;
    }
    case ConvPass::BackwardFilter: {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      status = cudnnFindConvolutionBackwardFilterAlgorithmEx(
          cuda::cudnn(), plan.x, a, plan.y, b, plan.conv, plan.w, out,
          CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &returned, perf, ws, ws_bytes);
      if (status == CUDNN_STATUS_SUCCESS) choose_algo(plan, pass, fp32, perf, returned);
      break;
    }
  }
  // A configuration cuDNN rejects outright (CUDNN_STATUS_NOT_SUPPORTED, say) keeps kConvDirect.
}

// The plan of one pass, built (with Find on the call's buffers) on first use. The returned
// reference stays valid: map nodes never move and plans are never erased.
const ConvPlan& plan_for(ConvPass pass, DType dtype, const Conv2dDims& d, const Conv2dParams& p,
                         const void* a, const void* b, void* out) {
  std::lock_guard<std::mutex> lock(plan_mutex());
  const PlanKey key = plan_key(pass, dtype, d, p);
  auto it = plans().find(key);
  if (it != plans().end()) return it->second;
  ConvPlan plan;
  if (fits_cudnn(d, p)) {
    const bool fp32 = dtype == DType::Float32;
    make_descriptors(plan, cudnn_types(dtype), d, p);
    find_algo(plan, pass, fp32, a, b, out);
  }
  return plans().emplace(key, plan).first->second;
}

// Whether a pass goes to the direct kernel: when forced, or when its plan says so (in which case
// the plan has been built and cached).
bool use_direct(const ConvPlan*& plan, ConvPass pass, DType dtype, const Conv2dDims& d,
                const Conv2dParams& p, const void* a, const void* b, void* out) {
  plan = nullptr;
  if (!force_direct.load()) {
    plan = &plan_for(pass, dtype, d, p, a, b, out);
    if (plan->algo != cuda::kConvDirect) return false;
  }
  ++direct_calls;
  return true;
}

// ---- Kernels ------------------------------------------------------------------------------------

template <class T>
void conv2d_cuda(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                 const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), w.shape(), out.shape());
  const ConvPlan* plan = nullptr;
  if (use_direct(plan, ConvPass::Forward, dtype_of<T>::value, d, p, x.data<T>(), w.data<T>(),
                 out.data<T>())) {
    const int64_t total = out.numel();
    conv2d_direct_kernel<T><<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        x.data<T>(), w.data<T>(), out.data<T>(), direct_geometry(d, p));
    BCL_CUDA_CHECK_LAUNCH();
  } else {
    const Accum<T> one = 1, zero = 0;
    void* ws = cuda::workspace(plan->workspace);
    BCL_CUDNN_CHECK(cudnnConvolutionForward(cuda::cudnn(), &one, plan->x, x.data<T>(), plan->w,
                                            w.data<T>(), plan->conv,
                                            static_cast<cudnnConvolutionFwdAlgo_t>(plan->algo), ws,
                                            plan->workspace, &zero, plan->y, out.data<T>()));
  }
  if (bias.defined()) {
    const int64_t total = out.numel();
    add_bias_kernel<T><<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        out.data<T>(), bias.data<T>(), total, d.o, d.ho * d.wo);
    BCL_CUDA_CHECK_LAUNCH();
  }
}

template <class T>
void conv2d_backward_input_cuda(const Tensor& grad_out, const Tensor& w, const Tensor& grad_in,
                                const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(grad_in.shape(), w.shape(), grad_out.shape());
  const ConvPlan* plan = nullptr;
  if (use_direct(plan, ConvPass::BackwardData, dtype_of<T>::value, d, p, w.data<T>(),
                 grad_out.data<T>(), grad_in.data<T>())) {
    const int64_t total = grad_in.numel();
    conv2d_direct_backward_input_kernel<T>
        <<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
            grad_out.data<T>(), w.data<T>(), grad_in.data<T>(), direct_geometry(d, p));
    BCL_CUDA_CHECK_LAUNCH();
    return;
  }
  const Accum<T> one = 1, zero = 0;
  void* ws = cuda::workspace(plan->workspace);
  BCL_CUDNN_CHECK(cudnnConvolutionBackwardData(
      cuda::cudnn(), &one, plan->w, w.data<T>(), plan->y, grad_out.data<T>(), plan->conv,
      static_cast<cudnnConvolutionBwdDataAlgo_t>(plan->algo), ws, plan->workspace, &zero, plan->x,
      grad_in.data<T>()));
}

template <class T>
void conv2d_backward_weight_cuda(const Tensor& grad_out, const Tensor& x, const Tensor& grad_w,
                                 const Conv2dParams& p) {
  const Conv2dDims d = conv2d_dims(x.shape(), grad_w.shape(), grad_out.shape());
  const ConvPlan* plan = nullptr;
  if (use_direct(plan, ConvPass::BackwardFilter, dtype_of<T>::value, d, p, x.data<T>(),
                 grad_out.data<T>(), grad_w.data<T>())) {
    const int64_t total = grad_w.numel();
    conv2d_direct_backward_weight_kernel<T>
        <<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
            grad_out.data<T>(), x.data<T>(), grad_w.data<T>(), direct_geometry(d, p));
    BCL_CUDA_CHECK_LAUNCH();
    return;
  }
  const Accum<T> one = 1, zero = 0;
  void* ws = cuda::workspace(plan->workspace);
  BCL_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      cuda::cudnn(), &one, plan->x, x.data<T>(), plan->y, grad_out.data<T>(), plan->conv,
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(plan->algo), ws, plan->workspace, &zero, plan->w,
      grad_w.data<T>()));
}

const KernelRegistrar fwd_f32(conv2d_kernels(), Device::CUDA, DType::Float32, &conv2d_cuda<float>);
const KernelRegistrar fwd_f64(conv2d_kernels(), Device::CUDA, DType::Float64, &conv2d_cuda<double>);
const KernelRegistrar bwd_in_f32(conv2d_backward_input_kernels(), Device::CUDA, DType::Float32,
                                 &conv2d_backward_input_cuda<float>);
const KernelRegistrar bwd_in_f64(conv2d_backward_input_kernels(), Device::CUDA, DType::Float64,
                                 &conv2d_backward_input_cuda<double>);
const KernelRegistrar bwd_w_f32(conv2d_backward_weight_kernels(), Device::CUDA, DType::Float32,
                                &conv2d_backward_weight_cuda<float>);
const KernelRegistrar bwd_w_f64(conv2d_backward_weight_kernels(), Device::CUDA, DType::Float64,
                                &conv2d_backward_weight_cuda<double>);
const KernelRegistrar fwd_bf16(conv2d_kernels(), Device::CUDA, DType::BFloat16,
                               &conv2d_cuda<bfloat16>);
const KernelRegistrar bwd_in_bf16(conv2d_backward_input_kernels(), Device::CUDA, DType::BFloat16,
                                  &conv2d_backward_input_cuda<bfloat16>);
const KernelRegistrar bwd_w_bf16(conv2d_backward_weight_kernels(), Device::CUDA, DType::BFloat16,
                                 &conv2d_backward_weight_cuda<bfloat16>);

}  // namespace

namespace cuda {

size_t conv_algo_cache_size() {
  std::lock_guard<std::mutex> lock(plan_mutex());
  return plans().size();
}

int conv_cached_algo(ConvPass pass, DType dtype, const Shape& x_shape, const Shape& w_shape,
                     const Conv2dParams& p) {
  BCL_CHECK(x_shape.size() == 4 && w_shape.size() == 4,
            "conv_cached_algo: expected 4-D shapes, got ", shape_str(x_shape), " and ",
            shape_str(w_shape));
  Conv2dDims d = conv2d_dims(x_shape, w_shape, {x_shape[0], w_shape[0], 0, 0});
  d.ho = (d.h + 2 * p.pad_h - d.kh) / p.stride_h + 1;
  d.wo = (d.w + 2 * p.pad_w - d.kw) / p.stride_w + 1;
  std::lock_guard<std::mutex> lock(plan_mutex());
  auto it = plans().find(plan_key(pass, dtype, d, p));
  return it == plans().end() ? kConvNotCached : it->second.algo;
}

int64_t conv_direct_calls() {
  return direct_calls.load();
}

void conv_force_direct(bool on) {
  force_direct.store(on);
}

}  // namespace cuda
}  // namespace bcl
