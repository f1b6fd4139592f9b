//===- frontend/JsonLoaderImpl.h - The JSON loader's parts -----*- C++ -*-===//
//
// Internal to the JSON frontend: the Loader that frontend/JsonLoader.cpp
// (nodes, names, order, building) and frontend/JsonInputs.cpp (inputs, their
// shapes, size variables and init values) implement together, and the small
// readers of JSON values both use. Not part of gradc's API.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_JSONLOADERIMPL_H
#define GRADC_FRONTEND_JSONLOADERIMPL_H

#include "frontend/Decompositions.h"
#include "frontend/GraphBuilder.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gradc {
namespace jsonload {

using json = nlohmann::json;

//===----------------------------------------------------------------------===//
// Reading JSON values
//===----------------------------------------------------------------------===//

/// A short description of a JSON value for "got ..." in messages.
inline std::string describe(const json &j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "a list";
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

/// A JSON string literal for a name in a location ("x", "a\"b").
inline std::string quoted(const std::string &s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

inline bool isInteger(const json &j) {
  return j.is_number_integer() || j.is_number_unsigned();
}

/// The value of an integer that fits int64_t.
inline std::optional<int64_t> asInt64(const json &j) {
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  return std::nullopt;
}

/// Comma-separated list for messages.
inline std::string joinNames(const std::vector<std::string> &names) {
  std::string r;
  for (const std::string &n : names) r += (r.empty() ? "" : ", ") + n;
  return r;
}

inline std::string suggestion(const std::string &name,
                       const std::vector<std::string> &cands) {
  auto best = closestName(name, cands);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

inline const std::vector<std::string> kTopKeys = {"name", "inputs", "nodes",
                                           "outputs"};
inline const std::vector<std::string> kInputKeys = {"name", "dtype", "shape",
                                             "requires_grad", "init"};
inline const std::vector<std::string> kNodeKeys = {"name", "op", "inputs", "attrs",
                                            "no_grad"};

//===----------------------------------------------------------------------===//
// The loader
//===----------------------------------------------------------------------===//

/// A node operand as written: a name or a number literal.
struct OperandSpec {
  bool isLiteral = false;
  bool isNull = false; ///< `null`: an absent optional tensor.
  double literal = 0;
  std::string name;  ///< JSON spelling of the referenced name.
  long def = -1;     ///< Resolved: index into Loader::defs_.
};

/// An entry of "inputs", checked but not yet built.
struct InputSpec {
  std::string name; ///< As written in JSON.
  TensorType type;
  bool requiresGrad = false;
  InputInit init;
};

/// An entry of "nodes", checked but not yet built.
struct NodeSpec {
  std::string name; ///< As written in JSON.
  OpKind op = OpKind::Add;
  /// A composite op (frontend/Decompositions.h), expanded when built.
  const Decomposition *composite = nullptr;
  std::vector<OperandSpec> operands;
  AttrMap attrs;
  bool noGrad = false;
};

/// A name's definition: inputs[index] or nodes[index].
struct Def {
  bool isInput;
  size_t index;
};

class Loader {
public:
  Loader(const std::string &file, const SizeBinding &sizes)
      : file_(file), sizes_(sizes) {}

  std::unique_ptr<Graph> load(const json &root);
  /// The declared input shapes, size variables unresolved.
  GraphSignature signature(const json &root) const;

private:
  [[noreturn]] void fail(const std::string &where,
                         const std::string &msg) const {
    throw Error(file_ + ": " + where + ": " + msg);
  }

  /// "nodes[3]" or, when the element has a string name, "nodes[3] ("z")".
  static std::string element(const char *section, size_t i, const json &j);
  std::string defPath(const Def &d) const;

  void checkKeys(const json &obj, const std::vector<std::string> &allowed,
                 const std::string &where) const;
  const json &required(const json &obj, const char *key,
                       const std::string &where) const;
  std::string readName(const json &obj, const std::string &where) const;
  bool readBool(const json &obj, const char *key,
                const std::string &where) const;
  double readNumber(const json &j, const std::string &where) const;

  void readInputs(const json &root);
  InputSpec readInput(const json &j, const std::string &where) const;
  Shape readShape(const json &j, const std::string &where) const;
  InputInit readInit(const json &j, const Shape &shape,
                     const std::string &where) const;
  void flattenNested(const json &j, const Shape &shape,
                     std::vector<size_t> &index, const std::string &where,
                     std::vector<double> &out) const;
  void checkIntegerInit(const json &j, DType dtype,
                        const std::string &where) const;
  void readNodes(const json &root);
  NodeSpec readNode(const json &j, const std::string &where) const;
  OpKind readOp(const json &j, const std::string &where) const;
  Attr readAttr(const json &j, const std::string &where) const;
  void readOutputs(const json &root);

  void defineNames();
  std::vector<std::string> allNames() const;
  void resolveOperands();
  std::vector<size_t> topologicalOrder() const;
  std::unique_ptr<Graph> build(const std::string &graphName,
                               const std::vector<size_t> &order);

  std::string file_;
  const SizeBinding &sizes_;
  std::vector<InputSpec> inputs_;
  std::vector<std::string> inputPaths_;
  std::vector<NodeSpec> nodes_;
  std::vector<std::string> nodePaths_;
  std::vector<std::string> outputs_;
  std::vector<Def> defs_; ///< Inputs first, then nodes: defs_[k].
  std::unordered_map<std::string, size_t> byName_; ///< JSON name -> defs_.
};

} // namespace jsonload
} // namespace gradc

#endif // GRADC_FRONTEND_JSONLOADERIMPL_H
