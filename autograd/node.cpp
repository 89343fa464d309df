#include "autograd/node.h"

#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "tensor/ops.h"

namespace bcl {
namespace {
thread_local bool g_grad_enabled = true;
}  // namespace

bool grad_enabled() {
  return g_grad_enabled;
}

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) {
  g_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  g_grad_enabled = previous_;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs,
              BackwardFn backward) {
  if (!needs_grad(inputs)) return out;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    node->inputs.push_back(t.defined() && t.requires_grad() ? t : Tensor());
    // A raw op may hand back its input unchanged (e.g. contiguous() of a contiguous tensor);
    // the output needs an identity of its own, or its grad_fn would overwrite the input's.
    if (t.same(out)) out = make_view(out, out.shape(), out.strides(), out.offset());
  }
  node->backward = std::move(backward);
  TensorImpl* impl = out.impl();
  impl->requires_grad = true;
  impl->is_leaf = false;
  impl->grad_fn = std::move(node);
  return out;
}

namespace {

using ImplPtr = std::shared_ptr<TensorImpl>;

// Post-order of the tensors with a grad_fn reachable from root (inputs before the tensors made
// from them), by an explicit-stack depth-first search.
std::vector<ImplPtr> topological_order(const ImplPtr& root) {
  std::vector<ImplPtr> order;
  std::unordered_set<TensorImpl*> visited{root.get()};
  std::vector<std::pair<ImplPtr, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    const std::vector<Tensor>& inputs = t->grad_fn->inputs;
    if (next < inputs.size()) {
      const ImplPtr& child = inputs[next++].impl_ptr();
      if (child && child->grad_fn && visited.insert(child.get()).second)
        stack.push_back({child, 0});
    } else {
      order.push_back(t);
      stack.pop_back();
    }
  }
  return order;
}

void accumulate_into_leaf(TensorImpl* leaf, const Tensor& g) {
  if (leaf->grad) {
    raw::add_(Tensor(leaf->grad), g);
  } else {
    // A copy: g may alias a gradient that other branches still add to.
    leaf->grad = raw::clone(g).impl_ptr();
  }
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad) {
  BCL_CHECK(root.requires_grad(),
            "backward: the tensor does not require grad (no input of its graph requires grad)");
  Tensor seed = grad;
  if (!seed.defined()) {
    BCL_CHECK(root.numel() == 1,
              "backward: an implicit gradient needs a one-element tensor, got shape ",
              shape_str(root.shape()), "; pass the gradient explicitly");
    seed = ones(root.shape(), root.dtype(), root.device());
  }
  BCL_CHECK(seed.shape() == root.shape(), "backward: gradient of shape ", shape_str(seed.shape()),
            " for a tensor of shape ", shape_str(root.shape()));
  if (root.is_leaf()) {
    accumulate_into_leaf(root.impl(), seed);
    return;
  }
  BCL_CHECK(root.impl()->grad_fn != nullptr,
            "backward: the graph was already freed by an earlier backward()");

  const std::vector<ImplPtr> order = topological_order(root.impl_ptr());
  std::unordered_map<TensorImpl*, Tensor> grads{{root.impl(), seed}};
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* t = it->get();
    auto found = grads.find(t);
    if (found == grads.end()) continue;  // no gradient reached it
    const Tensor g = std::move(found->second);
    grads.erase(found);
    const Node& node = *t->grad_fn;
    const std::vector<Tensor> input_grads = node.backward(g);
    BCL_CHECK(input_grads.size() == node.inputs.size(), "backward of ", node.name, ": returned ",
              input_grads.size(), " gradients for ", node.inputs.size(), " inputs");
    for (size_t j = 0; j < node.inputs.size(); ++j) {
      const Tensor& input = node.inputs[j];
      const Tensor& ig = input_grads[j];
      if (!input.defined() || !ig.defined()) continue;
      BCL_CHECK(ig.shape() == input.shape(), "backward of ", node.name, ": gradient of shape ",
                shape_str(ig.shape()), " for input ", j, " of shape ", shape_str(input.shape()));
      TensorImpl* in = input.impl();
      if (in->grad_fn) {
        auto [slot, inserted] = grads.try_emplace(in, ig);
        if (!inserted) slot->second = raw::add(slot->second, ig);
      } else {
        BCL_CHECK(in->is_leaf, "backward: the graph was already freed by an earlier backward()");
        accumulate_into_leaf(in, ig);
      }
    }
  }
  // Free the graph: each node's saved tensors go now. `order` keeps every tensor alive until all
  // links are cut, so no destructor chain runs recursively through the graph.
  for (const ImplPtr& t : order) t->grad_fn.reset();
}

Tensor detach(const Tensor& x) {
  return make_view(x, x.shape(), x.strides(), x.offset());
}

void zero_grad(const std::vector<Tensor>& params) {
  for (const Tensor& p : params) p.impl()->grad.reset();
}

}  // namespace bcl
