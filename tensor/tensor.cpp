#include "tensor/tensor.h"

#include <cstdio>
#include <ostream>
#include <sstream>

#include "tensor/ops.h"

namespace bcl {

int64_t Tensor::size(int64_t d) const {
  return shape()[normalize_dim(d, dim(), "size")];
}

bool Tensor::is_contiguous() const {
  // Size-1 dims may carry any stride.
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& t = checked();
  return static_cast<char*>(t.storage->data()) +
         t.offset * static_cast<int64_t>(dtype_size(t.dtype));
}

namespace {

double load_as_double(const void* base, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::Float32:
      return static_cast<const float*>(base)[i];
    case DType::Float64:
      return static_cast<const double*>(base)[i];
    case DType::Int64:
      return static_cast<double>(static_cast<const int64_t*>(base)[i]);
    case DType::BFloat16:
      return static_cast<double>(static_cast<const bfloat16*>(base)[i]);
  }
  return 0;
}

}  // namespace

std::vector<double> Tensor::to_vector() const {
  if (device() != Device::CPU) return raw::to_device(*this, Device::CPU).to_vector();
  Tensor c = raw::contiguous(*this);
  std::vector<double> out(static_cast<size_t>(c.numel()));
  for (int64_t i = 0; i < c.numel(); ++i) out[i] = load_as_double(c.raw_data(), c.dtype(), i);
  return out;
}

double Tensor::item() const {
  BCL_CHECK(numel() == 1, "item: tensor of shape ", shape_str(shape()), " has ", numel(),
            " elements, not one");
  return to_vector()[0];
}

Tensor& Tensor::set_requires_grad(bool value) {
  BCL_CHECK(!value || is_floating(dtype()),
            "set_requires_grad: only floating tensors can require "
            "gradients, this one is ",
            dtype_name(dtype()));
  BCL_CHECK(is_leaf(), "set_requires_grad: only leaves can be marked (use detach() first)");
  checked().requires_grad = value;
  return *this;
}

namespace {

std::string format_value(double v, DType dtype) {
  char buf[32];
  if (dtype == DType::Int64)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Prints one dim at a time; long dims show their first and last 3 entries.
void print_dim(std::ostream& os, const std::vector<double>& v, const Shape& shape, size_t d,
               int64_t base, DType dtype, int indent) {
  const int64_t n = shape[d];
  const int64_t inner = numel_of(Shape(shape.begin() + d + 1, shape.end()));
  const bool elide = n > 6;
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (elide && i == 3) {
      os << (d + 1 == shape.size() ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = n - 3;
    }
    if (d + 1 == shape.size()) {
      os << format_value(v[base + i], dtype);
    } else {
      print_dim(os, v, shape, d + 1, base + i * inner, dtype, indent + 1);
    }
    if (i + 1 < n) os << (d + 1 == shape.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << ']';
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << "tensor(";
  std::vector<double> v = to_vector();
  if (dim() == 0) {
    os << format_value(v[0], dtype());
  } else {
    print_dim(os, v, shape(), 0, 0, dtype(), 7);
  }
  os << ", shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype());
  if (device() != Device::CPU) os << ", device=" << device_name(device());
  if (requires_grad()) os << ", requires_grad";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  return os << t.str();
}

// ---- Factories --------------------------------------------------------------------------------

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape) BCL_CHECK(s >= 0, "empty: negative size in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(numel_of(shape) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  raw::fill_(t, value);
  return t;
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}
Tensor scalar(double value, DType dtype, Device device) {
  return full({}, value, dtype, device);
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype,
                   Device device) {
  BCL_CHECK(static_cast<int64_t>(values.size()) == numel_of(shape), "from_vector: ", values.size(),
            " values do not fill shape ", shape_str(shape));
  Tensor t = empty(shape, dtype, Device::CPU);
  for (size_t i = 0; i < values.size(); ++i) {
    switch (dtype) {
      case DType::Float32:
        t.data<float>()[i] = static_cast<float>(values[i]);
        break;
      case DType::Float64:
        t.data<double>()[i] = values[i];
        break;
      case DType::Int64:
        t.data<int64_t>()[i] = static_cast<int64_t>(values[i]);
        break;
      case DType::BFloat16:
        t.data<bfloat16>()[i] = bfloat16(values[i]);
        break;
    }
  }
  return device == Device::CPU ? t : raw::to_device(t, device);
}

Tensor arange(int64_t n, DType dtype, Device device) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
  return from_vector(v, {n}, dtype, device);
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

}  // namespace bcl
