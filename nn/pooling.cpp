#include "nn/pooling.h"

namespace bcl::nn {

MaxPool2d::MaxPool2d(int64_t kernel_size, int64_t stride, int64_t padding) {
  BCL_CHECK(kernel_size > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel_size,
            "MaxPool2d: invalid kernel ", kernel_size, ", stride ", stride, ", padding ", padding,
            " (padding may be at most half the kernel)");
  params.kernel_h = params.kernel_w = kernel_size;
  params.stride_h = params.stride_w = stride;
  params.pad_h = params.pad_w = padding;
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return bcl::max_pool2d(x, params);  // qualified: ADL also finds raw::max_pool2d
}

Tensor GlobalAvgPool2d::forward(const Tensor& x) {
  return global_avg_pool2d(x);
}

}  // namespace bcl::nn
