//===- ir/Graph.h - Nodes and graphs ---------------------------*- C++ -*-===//
//
// A gradc graph is a list of nodes in topological order (every operand is
// defined before its use). Inputs, constants and seeds (cotangents of
// outputs) are leaf nodes. Outputs and gradient results are named
// references to nodes. Passes rewrite graphs through the methods here,
// which keep the order and the types consistent.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_GRAPH_H
#define GRADC_IR_GRAPH_H

#include "ir/Attr.h"
#include "ir/Op.h"
#include "ir/Place.h"
#include "ir/Types.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace gradc {

/// One operation producing one tensor value.
struct Node {
  int id = 0;                   ///< Unique within the graph; never reused.
  OpKind op = OpKind::Constant;
  std::string name;             ///< User-chosen name; empty for temporaries.
  std::vector<Node *> operands;
  AttrMap attrs;
  /// The attributes as the frontend gave them, when the shape rule
  /// rewrote them (reshape's -1 resolved, a negative index counted from the
  /// end, defaults filled in); empty when it left them as given. Writing a
  /// graph that has size variables uses these, since the rewritten values
  /// may hold one size (frontend/SizeVarWriter.h).
  AttrMap written;
  TensorType type;
  bool noGrad = false;          ///< Inside a `no_grad` region.
  bool requiresGrad = false;    ///< Result of the requires-grad analysis.
  NodePlan plan;                ///< Lowering decisions (ir/Place.h).
  /// The grad_fn PyTorch shows for the composite op (frontend/
  /// Decompositions) whose result this node is, e.g. "HuberLossBackward0"
  /// on the last primitive of huber_loss; empty: the op's own (ir/GradFn).
  /// IR text keeps it as the pseudo-attribute `grad_fn`.
  std::string gradFn;

  const OpInfo &info() const { return opInfo(op); }
  /// A name for messages: the user name, or "%<id>" for temporaries.
  std::string displayName() const;
};

/// A named graph output.
struct GraphOutput {
  std::string name;
  Node *node = nullptr;
};

/// The gradient of a `requires_grad` input, produced by autodiff.
struct GradientResult {
  Node *input = nullptr; ///< The input node (op Input).
  Node *value = nullptr; ///< The node holding d(roots)/d(input).
};

/// A tensor graph: nodes in topological order plus its interface.
class Graph {
public:
  explicit Graph(std::string name = "graph") : name_(std::move(name)) {}
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  /// The graph's name (the prefix of the generated entry points).
  const std::string &name() const { return name_; }
  /// Renames the graph (derived graphs: NAME_jvp, NAME_hess).
  void setName(std::string n) { name_ = std::move(n); }

  /// Adds an input (placed after the existing inputs, before other nodes).
  Node *addInput(const std::string &name, TensorType type, AttrMap attrs = {});
  /// Appends a constant: a splat of `value`, or dense `data` if non-empty.
  Node *addConstant(TensorType type, double value,
                    std::vector<double> data = {});
  /// Appends the seed (cotangent) leaf of output `outputName`.
  Node *addSeed(const std::string &outputName, TensorType type);
  /// Appends an op node. Runs the op's shape rule (which may canonicalize
  /// `attrs`), checks arity and attribute names. Throws gradc::Error with a
  /// message naming the op on any problem.
  Node *addNode(OpKind op, std::vector<Node *> operands, AttrMap attrs = {},
                const std::string &name = "");

  /// Declares an output.
  void addOutput(const std::string &name, Node *node);
  /// Declares the gradient result of an input.
  void addGradient(Node *input, Node *value);

  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  const std::vector<GraphOutput> &outputs() const { return outputs_; }
  const std::vector<GradientResult> &gradients() const { return grads_; }
  std::vector<GradientResult> &gradients() { return grads_; }
  std::vector<GraphOutput> &outputs() { return outputs_; }

  /// The input nodes in declaration order.
  std::vector<Node *> inputs() const;
  /// The seed nodes in creation order.
  std::vector<Node *> seeds() const;
  /// The node with this user name, or nullptr. Constant time on average:
  /// a name index is kept up to date lazily (names set right after a node
  /// is created are seen; renaming a node that was already looked up is
  /// not supported).
  Node *findNode(const std::string &name) const;

  /// Removes nodes for which `dead` returns true. They must have no uses
  /// left among the remaining nodes, outputs and gradients.
  template <typename Pred> void removeNodesIf(Pred dead) {
    std::vector<std::unique_ptr<Node>> kept;
    kept.reserve(nodes_.size());
    for (auto &n : nodes_)
      if (!dead(n.get())) kept.push_back(std::move(n));
    nodes_ = std::move(kept);
    invalidateIndex();
  }
  /// Moves nodes so that they appear in `order` (a permutation of nodes()).
  void reorder(const std::vector<Node *> &order);

  /// Deep copy, preserving ids and requires-grad flags.
  std::unique_ptr<Graph> clone() const;

private:
  Node *append(std::unique_ptr<Node> n);
  void invalidateIndex() const;

  /// Name -> node, for findNode. Nodes created since the last lookup wait
  /// in pendingIndex_ so that a name assigned right after creation counts.
  mutable std::unordered_map<std::string, Node *> index_;
  mutable std::vector<Node *> pendingIndex_;
  mutable bool indexValid_ = true;

  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<GraphOutput> outputs_;
  std::vector<GradientResult> grads_;
  int nextId_ = 0;
};

} // namespace gradc

#endif // GRADC_IR_GRAPH_H
