// Tensor: a strided view (shape, strides, offset) of a shared Storage.
//
// A Tensor is a cheap handle; copies share the same TensorImpl. Views made by the ops in
// tensor/ops.h share the Storage and differ only in shape, strides and offset.
//
// The tensor layer knows nothing of differentiation, but it reserves the fields the autograd layer
// needs (requires_grad, grad, grad_fn), so a tensor can carry its gradient like in PyTorch. Every
// op in namespace bcl::raw ignores them; the differentiable ops live in autograd/ops.h.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace bcl {

struct Node;  // autograd/node.h

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;

  // Reserved for autograd/.
  bool requires_grad = false;
  bool is_leaf = true;  // false for the result of a recorded op
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  const Shape& shape() const { return checked().shape; }
  const Shape& strides() const { return checked().strides; }
  int64_t offset() const { return checked().offset; }
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return numel_of(shape()); }
  DType dtype() const { return checked().dtype; }
  Device device() const { return checked().storage->device(); }
  bool is_contiguous() const;
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  // Pointer to the first element (storage offset applied). Checks the element type.
  template <class T>
  T* data() const {
    BCL_CHECK(dtype_of<T>::value == dtype(), "data<", dtype_name(dtype_of<T>::value),
              ">: tensor has dtype ", dtype_name(dtype()));
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;

  // The value of a one-element tensor, as double (any dtype, any device).
  double item() const;
  // Copies the elements out in row-major order, converted to double.
  std::vector<double> to_vector() const;
  std::string str() const;

  // Autograd fields (see autograd/).
  bool requires_grad() const { return checked().requires_grad; }
  // Marks a leaf as a parameter; returns *this for chaining.
  Tensor& set_requires_grad(bool value);
  Tensor grad() const { return Tensor(checked().grad); }
  void set_grad(const Tensor& g) { checked().grad = g.impl_; }
  bool is_leaf() const { return checked().is_leaf; }

 private:
  TensorImpl& checked() const {
    BCL_CHECK(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// --- Factories: new contiguous tensors -------------------------------------------------------
Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32,
            Device device = Device::CPU);
Tensor scalar(double value, DType dtype = DType::Float32, Device device = Device::CPU);
// Values in row-major order; their count must match the shape.
Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   DType dtype = DType::Float32, Device device = Device::CPU);
Tensor arange(int64_t n, DType dtype = DType::Float32, Device device = Device::CPU);
// A view with the given geometry over an existing storage (used by views and kernels).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

}  // namespace bcl
