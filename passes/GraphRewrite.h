//===- passes/GraphRewrite.h - Helpers shared by rewriting passes -*- C++ -*-===//
//
// Small utilities the optimization passes share: use counts, matching of
// constants, a guard that keeps the graph's interface intact when a node
// is replaced, and restoring topological order after nodes were appended.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_GRAPHREWRITE_H
#define GRADC_PASSES_GRAPHREWRITE_H

#include "ir/Graph.h"

#include <optional>
#include <unordered_map>

namespace gradc {

/// Number of uses of every node: operand slots, outputs and gradients.
std::unordered_map<const Node *, int> countUses(const Graph &g);

/// The value of a constant whose elements are all equal (a splat, or dense
/// data of one repeated value); std::nullopt for anything else.
std::optional<double> splatValue(const Node *n);

/// True if `n` is a constant whose elements all equal `v`.
bool isConstantEqual(const Node *n, double v);

/// True if every use of `from` may read `to` instead without changing the
/// graph's interface: same type, and when `from` is a graph output, the
/// same requires-grad flag and grad_fn name (the module reports both).
bool canReplace(const Graph &g, const Node *from, const Node *to);

/// Replacements collected by a pass: uses of a key become uses of its
/// value. Applying them in one sweep keeps passes linear in graph size.
class Replacements {
public:
  /// Records that uses of `from` should read `to`.
  void add(Node *from, Node *to) { map_[from] = to; }
  /// `n` after the recorded replacements (following chains).
  Node *resolve(Node *n) const;
  /// Rewrites `n`'s operands in place.
  void rewriteOperands(Node *n) const;
  /// Rewrites every operand, output and gradient of `g`.
  void apply(Graph &g) const;
  bool empty() const { return map_.empty(); }

private:
  std::unordered_map<Node *, Node *> map_;
};

/// Reorders the nodes topologically (inputs first), keeping the current
/// order wherever it is already valid; a node appended at the end moves
/// to just before its first user. Passes call it after creating nodes.
void restoreTopologicalOrder(Graph &g);

/// Removes every node that nothing uses (DCE without a pass object).
bool removeDeadNodes(Graph &g);

} // namespace gradc

#endif // GRADC_PASSES_GRAPHREWRITE_H
