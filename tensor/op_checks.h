// Argument checks that several op front-ends share; each names the op in its message.
#pragma once

#include "tensor/error.h"
#include "tensor/tensor.h"

namespace bcl {

// t has the device and dtype of `like`; the message calls t `name`.
inline void check_like(const char* op, const char* name, const Tensor& t, const Tensor& like) {
  BCL_CHECK(t.dtype() == like.dtype() && t.device() == like.device(), op, ": ", name, " is ",
            dtype_name(t.dtype()), " on ", device_name(t.device()), " but expected ",
            dtype_name(like.dtype()), " on ", device_name(like.device()));
}

}  // namespace bcl
