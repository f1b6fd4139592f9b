//===- passes/GraphRewrite.cpp - Helpers shared by rewriting passes -------===//
#include "passes/GraphRewrite.h"

#include "ir/GradFn.h"

#include <cmath>
#include <unordered_set>

namespace gradc {

std::unordered_map<const Node *, int> countUses(const Graph &g) {
  std::unordered_map<const Node *, int> uses;
  for (const auto &n : g.nodes())
    for (const Node *o : n->operands) uses[o]++;
  for (const auto &o : g.outputs()) uses[o.node]++;
  for (const auto &r : g.gradients()) uses[r.value]++;
  return uses;
}

std::optional<double> splatValue(const Node *n) {
  if (n->op != OpKind::Constant) return std::nullopt;
  auto it = n->attrs.find("data");
  if (it == n->attrs.end()) return getFloat(n->attrs, "value", 0.0);
  std::vector<double> d = getFloats(n->attrs, "data");
  if (d.empty()) return std::nullopt;
  for (double v : d)
    // Bitwise equality in spirit: 0.0 and -0.0 differ, NaNs never match.
    if (!(v == d[0]) || std::signbit(v) != std::signbit(d[0]))
      return std::nullopt;
  return d[0];
}

bool isConstantEqual(const Node *n, double v) {
  std::optional<double> s = splatValue(n);
  return s && *s == v && std::signbit(*s) == std::signbit(v);
}

bool canReplace(const Graph &g, const Node *from, const Node *to) {
  if (from->type != to->type) return false;
  for (const auto &o : g.outputs()) {
    if (o.node != from) continue;
    if (from->requiresGrad != to->requiresGrad) return false;
    if (from->requiresGrad && gradFnName(*from) != gradFnName(*to))
      return false;
  }
  return true;
}

Node *Replacements::resolve(Node *n) const {
  for (auto it = map_.find(n); it != map_.end(); it = map_.find(n)) n = it->second;
  return n;
}

void Replacements::rewriteOperands(Node *n) const {
  for (Node *&o : n->operands) o = resolve(o);
}

void Replacements::apply(Graph &g) const {
  if (map_.empty()) return;
  for (const auto &n : g.nodes()) rewriteOperands(n.get());
  for (auto &o : g.outputs()) o.node = resolve(o.node);
  for (auto &r : g.gradients()) r.value = resolve(r.value);
}

void restoreTopologicalOrder(Graph &g) {
  std::vector<Node *> order;
  order.reserve(g.nodes().size());
  std::unordered_set<const Node *> placed;
  // Iterative post-order DFS: graphs can be deeper than the C++ stack.
  std::vector<std::pair<Node *, size_t>> stack;
  for (const auto &root : g.nodes()) {
    if (placed.count(root.get())) continue;
    stack.push_back({root.get(), 0});
    while (!stack.empty()) {
      auto &[n, next] = stack.back();
      if (next < n->operands.size()) {
        Node *o = n->operands[next++];
        if (!placed.count(o)) stack.push_back({o, 0});
        continue;
      }
      if (placed.insert(n).second) order.push_back(n);
      stack.pop_back();
    }
  }
  g.reorder(order);
}

bool removeDeadNodes(Graph &g) {
  std::unordered_set<const Node *> live;
  std::vector<const Node *> work;
  auto mark = [&](const Node *n) {
    if (live.insert(n).second) work.push_back(n);
  };
  for (const auto &o : g.outputs()) mark(o.node);
  for (const auto &r : g.gradients()) mark(r.value);
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    for (const Node *o : n->operands) mark(o);
  }
  size_t before = g.nodes().size();
  // Inputs are part of the ABI; seeds too (one per output that may be a
  // backward root), even when no gradient depends on them.
  g.removeNodesIf([&](const Node *n) {
    return n->op != OpKind::Input && n->op != OpKind::Seed && !live.count(n);
  });
  return g.nodes().size() != before;
}

} // namespace gradc
