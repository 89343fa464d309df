// Weight initialisation shared by the layers. Every fill draws from an explicit Generator, so a
// seed reproduces a model exactly.
#pragma once

#include "tensor/random.h"

namespace bcl::nn {

// fan_in of a weight [out, in, *kernel]: in * prod(kernel) (for a grouped conv, in is already the
// per-group count).
int64_t fan_in(const Tensor& weight);

// PyTorch's default for Linear and Conv2d: kaiming_uniform_ with a = sqrt(5), whose bound
// gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)) reduces to 1 / sqrt(fan_in); the bias
// (if defined) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too.
void default_init_(Tensor& weight, Tensor& bias, Generator& gen);

}  // namespace bcl::nn
