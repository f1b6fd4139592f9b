//===- frontend/GraphBuilder.h - Shared lowering of both frontends -*- C++ -*-===//
//
// The JSON loader and the DSL parser build graphs only through this class,
// so that the same program written in either lowers to identical IR: scalar
// literals become constant nodes (in operand order, typed like the tensor
// operands), inputs get canonical init attributes, and names are checked
// the same way.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_GRAPHBUILDER_H
#define GRADC_FRONTEND_GRAPHBUILDER_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace gradc {

/// An operand as a frontend sees it: a value, a scalar number literal, or
/// an absent optional tensor (JSON `null`, the DSL's `None`).
struct BuildOperand {
  Node *node = nullptr; ///< The value, or nullptr for a literal.
  double literal = 0;   ///< The literal when `node` is null.
  bool absent = false;  ///< An optional tensor left out (`null`).

  static BuildOperand of(Node *n) { return {n, 0, false}; }
  static BuildOperand number(double v) { return {nullptr, v, false}; }
  static BuildOperand none() { return {nullptr, 0, true}; }
};

/// How an input is initialized when the caller supplies no value.
struct InputInit {
  enum Kind { None, Zeros, Ones, Value, Data, Randn, Rand } kind = None;
  double value = 0;           ///< Kind::Value.
  std::vector<double> data;   ///< Kind::Data, row-major, numel elements.
  int64_t seed = 0;           ///< Kind::Randn / Kind::Rand.
};

/// Builds a graph on behalf of a frontend. Errors are gradc::Error with a
/// message that does not say where; the frontend prefixes its location.
/// Every tensor (inputs and results) is checked against the limits of
/// ir/Limits.h, including the memory cap, as it is added.
class GraphBuilder {
public:
  /// The memory cap is defaultMaxBytes() (GRADC_MAX_BYTES); the graph may
  /// have at most defaultMaxNodes() nodes (GRADC_MAX_NODES).
  explicit GraphBuilder(const std::string &graphName);
  /// A builder with an explicit memory cap in bytes for any one tensor.
  GraphBuilder(const std::string &graphName, uint64_t maxTensorBytes);

  /// The values of size variables that input declarations may name.
  void setSizes(const SizeBinding &sizes) { sizes_ = sizes; }
  /// The value bound to size variable `name`. Throws gradc::Error (without
  /// a location) when it is not bound.
  int64_t sizeOf(const std::string &name) const;

  /// Declares an input. Integer and bool inputs cannot require grad.
  Node *addInput(const std::string &name, TensorType type, bool requiresGrad,
                 const InputInit &init);
  /// Adds an op node. Literals become constant nodes typed like the first
  /// tensor operand that is not bool (f32 if there is none). Absent
  /// operands may only trail, in the op's optional places (a conv2d bias);
  /// they are dropped. An absent operand anywhere else is an error naming
  /// the op and the place.
  Node *addOp(OpKind op, const std::vector<BuildOperand> &operands,
              AttrMap attrs, const std::string &name, bool noGrad);
  /// Declares an output by the name of a defined value.
  void addOutput(const std::string &name);

  /// The value with this name, or nullptr.
  Node *lookup(const std::string &name) const;
  /// Defined names, for "did you mean" suggestions.
  std::vector<std::string> definedNames() const;

  /// Finishes: verifies and hands the graph over.
  std::unique_ptr<Graph> finish();

private:
  void checkNewName(const std::string &name) const;
  /// Throws if `adding` more nodes would pass the node limit.
  void checkNodeCount(size_t adding) const;

  std::unique_ptr<Graph> graph_;
  uint64_t maxTensorBytes_;
  uint64_t maxNodes_; ///< defaultMaxNodes() (GRADC_MAX_NODES)
  std::unordered_set<std::string> outputNames_;
  SizeBinding sizes_;
};

/// The `seed` a dropout node gets when its call gives none: a hash of its
/// name (of its position in the graph for an unnamed temporary).
int64_t defaultDropoutSeed(const std::string &name, size_t position);

/// The init attributes of an input node as an InputInit.
InputInit inputInit(const Node &input);

/// Edit distance between two names, for suggestions.
size_t editDistance(const std::string &a, const std::string &b);
/// The closest candidate to `name` within a small edit distance, if any;
/// never one that differs in every character (no 'x' for a mistyped 'q').
std::optional<std::string> closestName(const std::string &name,
                                       const std::vector<std::string> &cands);

} // namespace gradc

#endif // GRADC_FRONTEND_GRAPHBUILDER_H
