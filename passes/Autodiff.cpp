//===- passes/Autodiff.cpp - Reverse-mode differentiation pass ------------===//
#include "passes/Autodiff.h"

#include "ir/Error.h"
#include "passes/AutodiffRules.h"
#include "passes/RequiresGrad.h"

#include <unordered_map>

namespace gradc {

bool differentiate(Graph &g) {
  if (!g.gradients().empty() || !g.seeds().empty())
    throw Error("the graph is already differentiated");
  analyzeRequiresGrad(g);

  // The forward nodes, captured before the walk appends backward nodes.
  std::vector<Node *> forward;
  for (const auto &n : g.nodes()) forward.push_back(n.get());

  GradBuilder b(g);
  std::unordered_map<Node *, Node *> adjoint;
  auto accumulate = [&](Node *n, Node *contrib) {
    auto it = adjoint.find(n);
    if (it == adjoint.end())
      adjoint[n] = contrib;
    else
      it->second = b.add(it->second, contrib); // several uses: sum
  };

  bool changed = false;
  for (const GraphOutput &o : g.outputs()) {
    if (!o.node->requiresGrad) continue;
    accumulate(o.node, g.addSeed(o.name, o.node->type));
    changed = true;
  }

  for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
    Node *y = *it;
    auto adj = adjoint.find(y);
    if (adj == adjoint.end() || !y->requiresGrad ||
        y->info().cls == OpClass::Leaf)
      continue;
    std::vector<bool> needs;
    bool any = false;
    for (Node *o : y->operands) {
      needs.push_back(o->requiresGrad);
      any |= o->requiresGrad;
    }
    if (!any) continue;
    std::vector<Node *> grads;
    buildVJP(b, y, adj->second, needs, grads);
    for (size_t i = 0; i < grads.size(); ++i)
      if (needs[i] && grads[i]) accumulate(y->operands[i], grads[i]);
  }

  for (Node *in : g.inputs()) {
    if (!in->requiresGrad) continue;
    auto adj = adjoint.find(in);
    // No root depends on this input: its gradient is zero.
    Node *v = adj != adjoint.end() ? adj->second : b.full(0, in->type);
    g.addGradient(in, v);
    changed = true;
  }
  return changed;
}

std::unique_ptr<Pass> createAutodiffPass() {
  return makePass("autodiff", differentiate);
}

} // namespace gradc
