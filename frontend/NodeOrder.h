//===- frontend/NodeOrder.h - Topological order of a file's nodes -*- C++ -*-===//
//
// A graph file may define nodes after their users; the graph is built in
// an order where operands come first. That order is the file's when it
// already is one (the usual case), else the one Kahn's algorithm gives
// taking, among the nodes whose operands are all placed, the one earliest
// in the file: a stable order, so the same file always gives the same IR.
// Iterative, so 100k-deep graphs are fine.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_NODEORDER_H
#define GRADC_FRONTEND_NODEORDER_H

#include <cstddef>
#include <vector>

namespace gradc {

/// An order of the nodes, or a cycle that prevents one.
struct NodeOrder {
  /// Node indices, operands before users; empty if there is a cycle.
  std::vector<size_t> order;
  /// The nodes of one cycle in data-flow order (each is an operand of the
  /// next, the last of the first), starting at the one earliest in the file.
  std::vector<size_t> cycle;
};

/// Orders nodes 0..operands.size()-1, where operands[i] lists the nodes
/// node i reads (repeats allowed).
NodeOrder orderNodes(const std::vector<std::vector<size_t>> &operands);

} // namespace gradc

#endif // GRADC_FRONTEND_NODEORDER_H
