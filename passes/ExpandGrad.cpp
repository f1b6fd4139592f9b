//===- passes/ExpandGrad.cpp - Gradients as differentiable values ---------===//
#include "passes/ExpandGrad.h"

#include "ir/Error.h"
#include "passes/AutodiffRules.h"
#include "passes/DifferentiableForm.h"
#include "passes/RequiresGrad.h"

#include <unordered_map>
#include <unordered_set>

namespace gradc {
namespace {

/// Every use of `from` (operands, outputs) now reads `to`.
void replaceUses(Graph &g, Node *from, Node *to) {
  for (const auto &n : g.nodes())
    for (Node *&o : n->operands)
      if (o == from) o = to;
  for (GraphOutput &o : g.outputs())
    if (o.node == from) o.node = to;
}

/// The reverse walk from `loss` (seed 1) down to `w`; returns dloss/dw.
Node *reverseWalk(Graph &g, Node *loss, Node *w) {
  GradBuilder b(g);
  std::unordered_map<Node *, Node *> adjoint;
  auto accumulate = [&](Node *n, Node *contrib) {
    auto it = adjoint.find(n);
    if (it == adjoint.end())
      adjoint[n] = contrib;
    else
      it->second = b.add(it->second, contrib); // several uses: sum
  };
  // The ancestors of loss, in graph order.
  std::unordered_set<Node *> anc{loss};
  std::vector<Node *> order;
  std::vector<Node *> all;
  for (const auto &n : g.nodes()) all.push_back(n.get());
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (anc.count(*it)) {
      order.push_back(*it);
      for (Node *o : (*it)->operands) anc.insert(o);
    }
  if (loss->requiresGrad) accumulate(loss, b.full(1, loss->type));
  for (Node *y : order) { // reverse topological order
    if (y == w) continue; // the walk stops at w: its adjoint is the answer
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
  auto it = adjoint.find(w);
  return it != adjoint.end() ? it->second : b.full(0, w->type);
}

/// Expands one grad node; the new nodes go right before it.
void expandOne(Graph &g, Node *gradNode) {
  Node *loss = gradNode->operands[0], *w = gradNode->operands[1];
  if (!w->requiresGrad)
    throw Error("grad node '" + gradNode->displayName() + "': '" +
                w->displayName() +
                "' does not require grad (one of the differentiated tensors "
                "does not require grad)");
  size_t before = g.nodes().size();
  Node *result = reverseWalk(g, loss, w);
  // Rewrite the internal helpers of the backward into user ops, in order,
  // so the gradient can be differentiated again.
  GradBuilder b(g);
  std::vector<Node *> created;
  for (size_t i = before; i < g.nodes().size(); ++i)
    created.push_back(g.nodes()[i].get());
  for (Node *n : created) {
    Node *r = differentiableForm(b, n);
    if (r == n) continue;
    replaceUses(g, n, r);
    if (result == n) result = r;
  }
  for (size_t i = before; i < g.nodes().size(); ++i)
    g.nodes()[i]->noGrad = gradNode->noGrad;
  replaceUses(g, gradNode, result);
  // New nodes were appended, and rewritten helpers replaced by later
  // nodes: restore a topological order, keeping the existing order where
  // it is one (an iterative depth-first walk over operands).
  std::vector<Node *> order;
  std::unordered_set<Node *> placed;
  for (const auto &root : g.nodes()) {
    std::vector<std::pair<Node *, size_t>> stack{{root.get(), 0}};
    while (!stack.empty()) {
      auto &[n, next] = stack.back();
      if (placed.count(n)) {
        stack.pop_back();
        continue;
      }
      if (next < n->operands.size()) {
        Node *o = n->operands[next++];
        if (!placed.count(o)) stack.push_back({o, 0});
        continue;
      }
      placed.insert(n);
      order.push_back(n);
      stack.pop_back();
    }
  }
  g.reorder(order);
  // Rewritten helpers are dead now, and so is the grad node.
  std::unordered_set<const Node *> used;
  for (const auto &n : g.nodes())
    for (Node *o : n->operands) used.insert(o);
  for (const GraphOutput &o : g.outputs()) used.insert(o.node);
  g.removeNodesIf([&](Node *n) {
    if (n == gradNode) return true;
    return !used.count(n) &&
           (n->op == OpKind::Gemm || n->op == OpKind::SliceBackward ||
            n->op == OpKind::CrossEntropyBackward ||
            n->op == OpKind::LayerNormBackward ||
            n->op == OpKind::LayerNormXhat ||
            n->op == OpKind::GroupNormBackward ||
            n->op == OpKind::GroupNormXhat);
  });
}

} // namespace

bool expandGradNodes(Graph &g) {
  bool changed = false;
  for (;;) {
    Node *first = nullptr;
    for (const auto &n : g.nodes())
      if (n->op == OpKind::Grad) {
        first = n.get();
        break;
      }
    if (!first) return changed;
    // Flags of the nodes built by earlier expansions count: the gradient
    // of a gradient flows through them.
    analyzeRequiresGrad(g);
    expandOne(g, first);
    changed = true;
  }
}

namespace {
class ExpandGradPass : public Pass {
public:
  std::string name() const override { return "expand-grad"; }
  bool run(Graph &g) override { return expandGradNodes(g); }
};
} // namespace

std::unique_ptr<Pass> createExpandGradPass() {
  return std::make_unique<ExpandGradPass>();
}

} // namespace gradc
