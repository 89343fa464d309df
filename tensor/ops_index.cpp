// Front-ends of the shape and indexing ops: concat, split, chunk, index_select, index_add,
// gather_labels, scatter_labels, one_hot.
#include <algorithm>

#include "tensor/kernels/index.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<IndexSelectKernel>& index_select_kernels() {
  static DispatchTable<IndexSelectKernel> table("index_select");
  return table;
}

DispatchTable<IndexAddKernel>& index_add_kernels() {
  static DispatchTable<IndexAddKernel> table("index_add");
  return table;
}

DispatchTable<GatherLabelsKernel>& gather_labels_kernels() {
  static DispatchTable<GatherLabelsKernel> table("gather_labels");
  return table;
}

DispatchTable<ScatterLabelsKernel>& scatter_labels_kernels() {
  static DispatchTable<ScatterLabelsKernel> table("scatter_labels");
  return table;
}

DispatchTable<OneHotKernel>& one_hot_kernels() {
  static DispatchTable<OneHotKernel> table("one_hot");
  return table;
}

namespace {

// An index or label tensor: 1-D Int64 with `n` entries (any count when n < 0), on `device`.
void check_index_tensor(const char* op, const char* name, const Tensor& index, int64_t n,
                        Device device) {
  BCL_CHECK(index.defined(), op, ": ", name, " is undefined");
  BCL_CHECK(index.dim() == 1, op, ": ", name, " must be 1-D, got shape ", shape_str(index.shape()));
  BCL_CHECK(n < 0 || index.size(0) == n, op, ": ", name, " has shape ", shape_str(index.shape()),
            " but ", n, " entries are needed");
  BCL_CHECK(index.dtype() == DType::Int64, op, ": ", name, " must be int64, got ",
            dtype_name(index.dtype()));
  BCL_CHECK(index.device() == device, op, ": ", name, " is on ", device_name(index.device()),
            " but the data is on ", device_name(device));
}

}  // namespace

namespace raw {

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  BCL_CHECK(!xs.empty(), "concat: expected at least one tensor");
  for (size_t i = 0; i < xs.size(); ++i)
    BCL_CHECK(xs[i].defined(), "concat: tensor ", i, " is undefined");
  const Tensor& first = xs[0];
  BCL_CHECK(first.dim() >= 1, "concat: tensor 0 has shape ", shape_str(first.shape()),
            "; zero-dim tensors cannot be concatenated");
  const int64_t d = normalize_dim(dim, first.dim(), "concat");

  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    bool match = x.dim() == first.dim();
    for (int64_t k = 0; match && k < x.dim(); ++k) match = k == d || x.size(k) == first.size(k);
    BCL_CHECK(match, "concat: tensor ", i, " has shape ", shape_str(x.shape()),
              " but tensor 0 has ", shape_str(first.shape()), " (sizes must match except in dim ",
              d, ")");
    BCL_CHECK(x.dtype() == first.dtype() && x.device() == first.device(), "concat: tensor ", i,
              " is ", dtype_name(x.dtype()), " on ", device_name(x.device()), " but tensor 0 is ",
              dtype_name(first.dtype()), " on ", device_name(first.device()));
    out_shape[d] += x.size(d);
  }

  Tensor out = empty(out_shape, first.dtype(), first.device());
  int64_t start = 0;
  for (const Tensor& x : xs) {
    copy_(narrow(out, d, start, x.size(d)), x);
    start += x.size(d);
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  BCL_CHECK(x.dim() >= 1, "split: cannot split a zero-dim tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    BCL_CHECK(s >= 0, "split: sizes ", shape_str(sizes), " must be non-negative");
    total += s;
  }
  BCL_CHECK(total == x.size(d), "split: sizes ", shape_str(sizes), " sum to ", total, " but dim ",
            d, " of ", shape_str(x.shape()), " has size ", x.size(d));

  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t s : sizes) {
    pieces.push_back(narrow(x, d, start, s));
    start += s;
  }
  return pieces;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t n, int64_t dim) {
  BCL_CHECK(n >= 1, "chunk: the number of chunks must be positive, got ", n);
  BCL_CHECK(x.dim() >= 1, "chunk: cannot chunk a zero-dim tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "chunk");
  const int64_t size = x.size(d);
  // As torch.chunk: pieces of ceil(size / n), so there may be fewer than n; an empty dim gives n
  // empty pieces.
  if (size == 0) return split(x, std::vector<int64_t>(n, 0), d);
  const int64_t piece = (size + n - 1) / n;
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < size; start += piece)
    sizes.push_back(std::min(piece, size - start));
  return split(x, sizes, d);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  BCL_CHECK(x.dim() >= 1, "index_select: cannot index a zero-dim tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "index_select");
  check_index_tensor("index_select", "index", index, -1, x.device());
  Shape out_shape = x.shape();
  out_shape[d] = index.size(0);
  Tensor out = empty(out_shape, x.dtype(), x.device());
  index_select_kernels().get(x.device(), x.dtype())(contiguous(x), dim_geometry(x.shape(), d),
                                                    contiguous(index), out);
  return out;
}

Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  BCL_CHECK(!shape.empty(), "index_add: cannot index a zero-dim shape");
  const int64_t d = normalize_dim(dim, static_cast<int64_t>(shape.size()), "index_add");
  check_index_tensor("index_add", "index", index, -1, src.device());
  Shape src_shape = shape;
  src_shape[d] = index.size(0);
  BCL_CHECK(src.shape() == src_shape, "index_add: src has shape ", shape_str(src.shape()),
            " but adding ", index.size(0), " slices along dim ", d, " of ", shape_str(shape),
            " needs ", shape_str(src_shape));
  Tensor out = zeros(shape, src.dtype(), src.device());
  index_add_kernels().get(src.device(), src.dtype())(contiguous(src), contiguous(index),
                                                     dim_geometry(shape, d), out);
  return out;
}

Tensor gather_labels(const Tensor& x, const Tensor& labels) {
  BCL_CHECK(x.dim() == 2, "gather_labels: x must be [N, C], got shape ", shape_str(x.shape()));
  check_index_tensor("gather_labels", "labels", labels, x.size(0), x.device());
  Tensor out = empty({x.size(0)}, x.dtype(), x.device());
  gather_labels_kernels().get(x.device(), x.dtype())(contiguous(x), contiguous(labels), out);
  return out;
}

Tensor scatter_labels(const Tensor& g, const Tensor& labels, int64_t num_classes) {
  BCL_CHECK(g.dim() == 1, "scatter_labels: g must be [N], got shape ", shape_str(g.shape()));
  BCL_CHECK(num_classes >= 0, "scatter_labels: num_classes must be non-negative, got ",
            num_classes);
  check_index_tensor("scatter_labels", "labels", labels, g.size(0), g.device());
  Tensor out = zeros({g.size(0), num_classes}, g.dtype(), g.device());
  scatter_labels_kernels().get(g.device(), g.dtype())(contiguous(g), contiguous(labels), out);
  return out;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  BCL_CHECK(num_classes >= 0, "one_hot: num_classes must be non-negative, got ", num_classes);
  check_index_tensor("one_hot", "labels", labels, -1, labels.device());
  Tensor out = zeros({labels.size(0), num_classes}, dtype, labels.device());
  one_hot_kernels().get(labels.device(), dtype)(contiguous(labels), out);
  return out;
}

}  // namespace raw
}  // namespace bcl
