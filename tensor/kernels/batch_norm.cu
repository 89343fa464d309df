// CUDA batch normalisation through cuDNN's batch-norm calls in CUDNN_BATCHNORM_SPATIAL mode,
// registered beside the CPU kernels of tensor/kernels/batch_norm.cpp.
//
// The front-end's contiguous [N, C, *] input is described to cuDNN as NCHW [N, C, S, 1], S the
// product of the trailing dims (S = 1 for BatchNorm1d's [N, C]), so SPATIAL mode's statistics per
// channel over N x S are the CPU's. cuDNN's conventions are the CPU's too:
//   - its "saved inverse variance" is 1 / sqrt(var + eps) with the biased variance: save_invstd;
//   - running = (1 - factor) running + factor batch, with factor = momentum, and the running
//     variance takes the unbiased variance (M / (M - 1) times the biased one);
//   - the backward's three outputs are overwritten (beta = 0 blending).
// cuDNN accumulates float32 statistics in float where the CPU uses double, so float32 results
// differ from the CPU's by a few ulps of the statistics; float64 by rounding only.
#include <algorithm>
#include <climits>

#include "tensor/kernels/batch_norm.h"
#include "tensor/kernels/cuda_context.h"

namespace bcl {
namespace {

template <class T>
cudnnDataType_t cudnn_dtype();
template <>
cudnnDataType_t cudnn_dtype<float>() {
  return CUDNN_DATA_FLOAT;
}
template <>
cudnnDataType_t cudnn_dtype<double>() {
  return CUDNN_DATA_DOUBLE;
}

class TensorDescriptor {
 public:
  TensorDescriptor() { BCL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_)); }
  ~TensorDescriptor() { cudnnDestroyTensorDescriptor(desc_); }
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// The data descriptor [n, C, S, 1] (n images of x, which may be a slice of its batch) and the
// per-channel [1, C, 1, 1] descriptor cuDNN derives from it for gamma, beta and the statistics.
struct Descriptors {
  TensorDescriptor data, channel;
};

template <class T>
void describe(Descriptors& desc, int64_t n, const BatchNormDims& d, const char* op) {
  // cuDNN's legacy descriptors hold int sizes and strides.
  BCL_CHECK(n * d.c * d.s <= INT_MAX, op, ": cuDNN takes at most 2^31 - 1 elements, got ",
            n * d.c * d.s, " (N ", n, ", C ", d.c, ", spatial ", d.s, ")");
  BCL_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc.data.get(), CUDNN_TENSOR_NCHW, cudnn_dtype<T>(),
                                             static_cast<int>(n), static_cast<int>(d.c),
                                             static_cast<int>(d.s), 1));
  BCL_CUDNN_CHECK(
      cudnnDeriveBNTensorDescriptor(desc.channel.get(), desc.data.get(), CUDNN_BATCHNORM_SPATIAL));
}

// cuDNN reads gamma and beta from memory: an undefined gamma means 1 and an undefined beta 0.
Tensor defined_or(const Tensor& t, int64_t c, double value, DType dtype) {
  return t.defined() ? t : full({c}, value, dtype, Device::CUDA);
}

template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
void batch_norm_train_cuda(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           const Tensor& running_mean, const Tensor& running_var, double momentum,
                           double eps, const Tensor& out, const Tensor& save_mean,
                           const Tensor& save_invstd) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  // The front-end ensures N * S > 1, so an empty x has no channels and nothing to write.
  if (x.numel() == 0) return;
  Descriptors desc;
  describe<T>(desc, d.n, d, "batch_norm_train");
  const Tensor scale = defined_or(gamma, d.c, 1.0, x.dtype());
  const Tensor shift = defined_or(beta, d.c, 0.0, x.dtype());
  // cuDNN updates both running statistics or neither (both pointers null): a missing one gets a
  // scratch stand-in whose update is thrown away.
  Tensor run_mean = running_mean, run_var = running_var;
  if (run_mean.defined() != run_var.defined()) {
    if (!run_mean.defined()) run_mean = zeros({d.c}, x.dtype(), Device::CUDA);
    if (!run_var.defined()) run_var = ones({d.c}, x.dtype(), Device::CUDA);
  }
  // cuDNN's blend factors have the data's type for double data and float otherwise.
  const T one = 1, zero = 0;
  BCL_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      cuda::cudnn(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, desc.data.get(), x.data<T>(),
      desc.data.get(), out.data<T>(), desc.channel.get(), scale.data<T>(), shift.data<T>(),
      momentum, data_or_null<T>(run_mean), data_or_null<T>(run_var), eps, save_mean.data<T>(),
      save_invstd.data<T>()));
}

// cuDNN's inference kernels take at most 65535 images per call (the limit PyTorch also guards
// against), so larger batches go in slices; each image is normalised on its own.
constexpr int64_t kMaxEvalImages = 65535;

template <class T>
void batch_norm_eval_cuda(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                          const Tensor& running_mean, const Tensor& running_var, double eps,
                          const Tensor& out) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  if (x.numel() == 0) return;
  const Tensor scale = defined_or(gamma, d.c, 1.0, x.dtype());
  const Tensor shift = defined_or(beta, d.c, 0.0, x.dtype());
  const T one = 1, zero = 0;
  const int64_t image = d.c * d.s;
  for (int64_t n0 = 0; n0 < d.n; n0 += kMaxEvalImages) {
    const int64_t n = std::min(kMaxEvalImages, d.n - n0);
    Descriptors desc;
    describe<T>(desc, n, d, "batch_norm_eval");
    BCL_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(
        cuda::cudnn(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, desc.data.get(),
        x.data<T>() + n0 * image, desc.data.get(), out.data<T>() + n0 * image, desc.channel.get(),
        scale.data<T>(), shift.data<T>(), running_mean.data<T>(), running_var.data<T>(), eps));
  }
}

// cuDNN uses epsilon only to recompute the statistics when none are saved; the saved ones are
// always passed here, so any valid value does (the kernel signature carries no eps).
constexpr double kUnusedEpsilon = 1e-5;

template <class T>
void batch_norm_backward_cuda(const Tensor& grad_out, const Tensor& x, const Tensor& gamma,
                              const Tensor& save_mean, const Tensor& save_invstd,
                              const Tensor& grad_input, const Tensor& grad_gamma,
                              const Tensor& grad_beta) {
  const BatchNormDims d = batch_norm_dims(x.shape());
  if (d.c == 0) return;
  if (d.n * d.s == 0) {
    // Sums over no values: dgamma = dbeta = 0 (all-zero bits are 0.0), and dx is empty.
    BCL_CUDA_CHECK(cudaMemsetAsync(grad_gamma.data<T>(), 0, d.c * sizeof(T), cuda::stream()));
    BCL_CUDA_CHECK(cudaMemsetAsync(grad_beta.data<T>(), 0, d.c * sizeof(T), cuda::stream()));
    return;
  }
  Descriptors desc;
  describe<T>(desc, d.n, d, "batch_norm_backward");
  const Tensor scale = defined_or(gamma, d.c, 1.0, x.dtype());
  const T one = 1, zero = 0;
  BCL_CUDNN_CHECK(cudnnBatchNormalizationBackward(
      cuda::cudnn(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, desc.data.get(),
      x.data<T>(), desc.data.get(), grad_out.data<T>(), desc.data.get(), grad_input.data<T>(),
      desc.channel.get(), scale.data<T>(), grad_gamma.data<T>(), grad_beta.data<T>(),
      kUnusedEpsilon, save_mean.data<T>(), save_invstd.data<T>()));
}

const KernelRegistrar reg_train_f32(batch_norm_train_kernels(), Device::CUDA, DType::Float32,
                                    &batch_norm_train_cuda<float>);
const KernelRegistrar reg_train_f64(batch_norm_train_kernels(), Device::CUDA, DType::Float64,
                                    &batch_norm_train_cuda<double>);
const KernelRegistrar reg_eval_f32(batch_norm_eval_kernels(), Device::CUDA, DType::Float32,
                                   &batch_norm_eval_cuda<float>);
const KernelRegistrar reg_eval_f64(batch_norm_eval_kernels(), Device::CUDA, DType::Float64,
                                   &batch_norm_eval_cuda<double>);
const KernelRegistrar reg_backward_f32(batch_norm_backward_kernels(), Device::CUDA, DType::Float32,
                                       &batch_norm_backward_cuda<float>);
const KernelRegistrar reg_backward_f64(batch_norm_backward_kernels(), Device::CUDA, DType::Float64,
                                       &batch_norm_backward_cuda<double>);

}  // namespace
}  // namespace bcl
