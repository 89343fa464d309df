// The autograd core: define-by-run reverse-mode differentiation.
//
// Every differentiable op computes its result with raw ops, then calls record() with a backward
// function that maps dL/d(output) to dL/d(each input). record() attaches a Node to the output when
// gradients are on and some input requires them. backward() walks the recorded graph from the loss
// in reverse topological order, without recursion, sums the gradients that reach each tensor,
// stores them in the .grad of leaves that require them, and frees the graph.
#pragma once

#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace bcl {

// Maps the gradient of an op's output to the gradients of its inputs (one per input, in order;
// an undefined tensor where an input needs none). Backward functions use raw ops only.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_out)>;

struct Node {
  const char* name;            // the op, for error messages and graph dumps
  std::vector<Tensor> inputs;  // the op's inputs; undefined where one needs no gradient
  BackwardFn backward;
};

// Whether ops record the graph (thread-local, on by default).
bool grad_enabled();

// Turns recording off for its lifetime (evaluation, optimiser updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when recording is on and some input requires a gradient.
bool needs_grad(const std::vector<Tensor>& inputs);

// Attaches a Node to `out` if needs_grad(inputs). Returns out.
Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, BackwardFn backward);

// Backpropagates from `root`. `grad` defaults to 1 for a one-element root; otherwise it must have
// root's shape. Leaves' .grad accumulate (add to what is there). The graph is freed afterwards:
// a second backward through it is an error.
void backward(const Tensor& root, const Tensor& grad = Tensor());

// A tensor sharing x's data, cut from the graph.
Tensor detach(const Tensor& x);

// Sets .grad to undefined on each tensor.
void zero_grad(const std::vector<Tensor>& params);

}  // namespace bcl
