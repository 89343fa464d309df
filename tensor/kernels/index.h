// Kernel tables for the indexing ops (tensor/ops_index.cpp is the front-end; concat, split and
// chunk need no kernel of their own: they are copies into and views of narrow slices).
//
// Indices and labels are Int64. The front-end checks shapes, dtypes and devices; the kernels check
// the index values, since only they can read them where they live, and throw a bcl::Error naming
// the op, the position, the value and the valid range before touching any memory.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/kernels/dim_geometry.h"
#include "tensor/tensor.h"

namespace bcl {

// x contiguous, seen as [outer, size, inner] (g); out contiguous [outer, n, inner] with n =
// index.numel(): out[o, i, :] = x[o, index[i], :].
using IndexSelectKernel = void (*)(const Tensor& x, const DimGeometry& g, const Tensor& index,
                                   const Tensor& out);
DispatchTable<IndexSelectKernel>& index_select_kernels();

// out zero-filled, seen as [outer, size, inner] (g); src contiguous [outer, n, inner]:
// out[o, index[i], :] += src[o, i, :].
using IndexAddKernel = void (*)(const Tensor& src, const Tensor& index, const DimGeometry& g,
                                const Tensor& out);
DispatchTable<IndexAddKernel>& index_add_kernels();

// x contiguous [N, C], out [N]: out[i] = x[i, labels[i]].
using GatherLabelsKernel = void (*)(const Tensor& x, const Tensor& labels, const Tensor& out);
DispatchTable<GatherLabelsKernel>& gather_labels_kernels();

// g contiguous [N], out zero-filled [N, C]: out[i, labels[i]] = g[i].
using ScatterLabelsKernel = void (*)(const Tensor& g, const Tensor& labels, const Tensor& out);
DispatchTable<ScatterLabelsKernel>& scatter_labels_kernels();

// out zero-filled [N, C] (keyed by out's dtype): out[i, labels[i]] = 1.
using OneHotKernel = void (*)(const Tensor& labels, const Tensor& out);
DispatchTable<OneHotKernel>& one_hot_kernels();

}  // namespace bcl
