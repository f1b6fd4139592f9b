//===- passes/RequiresGrad.cpp - The requires-grad analysis ---------------===//
#include "passes/RequiresGrad.h"

#include <unordered_set>

namespace gradc {

bool analyzeRequiresGrad(Graph &g) {
  bool changed = false;
  // Backward nodes of a differentiated graph (those that depend on a seed)
  // compute gradients; they do not require grad themselves.
  std::unordered_set<const Node *> backward;
  // Nodes are in topological order, so one forward sweep suffices.
  for (const auto &np : g.nodes()) {
    Node &n = *np;
    bool bw = n.op == OpKind::Seed;
    for (const Node *o : n.operands) bw = bw || backward.count(o);
    if (bw) backward.insert(&n);
    bool rg = false;
    if (n.op == OpKind::Input) {
      rg = getBool(n.attrs, "requires_grad", false);
    } else if (!bw && !n.noGrad && n.info().gradFn) {
      for (const Node *o : n.operands)
        rg = rg || o->requiresGrad;
    }
    changed |= rg != n.requiresGrad;
    n.requiresGrad = rg;
  }
  return changed;
}

std::unique_ptr<Pass> createRequiresGradPass() {
  return makePass("requires-grad", analyzeRequiresGrad);
}

} // namespace gradc
