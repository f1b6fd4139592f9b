//===- frontend/JsonLoader.cpp - Reads graphs in the JSON format ----------===//
//
// Loading runs in phases so that every error can name its JSON path:
//   1-2. parse the text into a DOM (frontend/JsonText: nesting depth checked
//      first, duplicate object keys rejected),
//   3. read every input and node into a plain spec, checking keys and types,
//   4. resolve names to definitions, and order the nodes topologically,
//   5. build the graph through GraphBuilder in that order.
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonLoader.h"
#include "frontend/JsonLoaderImpl.h"

#include "frontend/Decompositions.h"
#include "frontend/GraphBuilder.h"
#include "frontend/JsonText.h"
#include "frontend/NodeOrder.h"
#include "ir/Error.h"
#include "ir/Limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <unordered_map>

namespace gradc {

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

/// Number of leading '%' of `s` when the rest is one or more digits, else 0.
static size_t percentDigitPrefix(const std::string &s) {
  size_t p = 0;
  while (p < s.size() && s[p] == '%') ++p;
  if (p == 0 || p == s.size()) return 0;
  for (size_t i = p; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return 0;
  return p;
}

bool isJsonTemporaryName(const std::string &jsonName) {
  return percentDigitPrefix(jsonName) == 1;
}

std::string irNameFromJson(const std::string &jsonName) {
  size_t p = percentDigitPrefix(jsonName);
  if (p == 1) return "";
  if (p >= 2) return jsonName.substr(1);
  return jsonName;
}

std::string jsonNameFromIR(const std::string &irName) {
  return percentDigitPrefix(irName) ? "%" + irName : irName;
}

namespace jsonload {

std::string Loader::element(const char *section, size_t i, const json &j) {
  std::string r = std::string(section) + "[" + std::to_string(i) + "]";
  if (j.is_object()) {
    auto it = j.find("name");
    if (it != j.end() && it->is_string())
      r += " (" + quoted(it->get_ref<const std::string &>()) + ")";
  }
  return r;
}

std::string Loader::defPath(const Def &d) const {
  return d.isInput ? inputPaths_[d.index] : nodePaths_[d.index];
}

void Loader::checkKeys(const json &obj, const std::vector<std::string> &allowed,
                       const std::string &where) const {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end())
      continue;
    auto best = closestName(it.key(), allowed);
    fail(where, "unknown key '" + it.key() + "'" +
                    (best ? " (did you mean '" + *best + "'?)"
                          : " (expected " + joinNames(allowed) + ")"));
  }
}

const json &Loader::required(const json &obj, const char *key,
                             const std::string &where) const {
  auto it = obj.find(key);
  if (it == obj.end()) fail(where, std::string("missing key '") + key + "'");
  return *it;
}

std::string Loader::readName(const json &obj, const std::string &where) const {
  const json &j = required(obj, "name", where);
  if (!j.is_string())
    fail(where + ".name", "expected a string, got " + describe(j));
  const std::string &s = j.get_ref<const std::string &>();
  if (s.empty()) fail(where + ".name", "a name must not be empty");
  return s;
}

bool Loader::readBool(const json &obj, const char *key,
                      const std::string &where) const {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!it->is_boolean())
    fail(where + "." + key, "expected true or false, got " + describe(*it));
  return it->get<bool>();
}

double Loader::readNumber(const json &j, const std::string &where) const {
  if (!j.is_number()) fail(where, "expected a number, got " + describe(j));
  double v = j.get<double>();
  // nlohmann rejects overflowing literals, but be explicit about it here.
  if (!std::isfinite(v)) fail(where, "the number is out of range");
  return v;
}

//===--- Nodes ------------------------------------------------------------===//

void Loader::readNodes(const json &root) {
  auto it = root.find("nodes");
  if (it == root.end()) return;
  if (!it->is_array())
    fail("nodes", "expected a list of nodes, got " + describe(*it));
  nodes_.reserve(it->size());
  nodePaths_.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json &j = (*it)[i];
    std::string where = element("nodes", i, j);
    if (!j.is_object()) fail(where, "expected an object, got " + describe(j));
    nodes_.push_back(readNode(j, where));
    nodePaths_.push_back(std::move(where));
  }
}

NodeSpec Loader::readNode(const json &j, const std::string &where) const {
  checkKeys(j, kNodeKeys, where);
  NodeSpec n;
  n.name = readName(j, where);
  const json &op = required(j, "op", where);
  if (op.is_string())
    n.composite = findDecomposition(op.get_ref<const std::string &>());
  if (!n.composite) n.op = readOp(op, where);
  // An op without operands (arange, full) may leave "inputs" out.
  static const json kNoInputs = json::array();
  bool noOperands = !n.composite && opInfo(n.op).maxArity == 0;
  const json &ins = noOperands && !j.contains("inputs") ? kNoInputs
                                                        : required(j, "inputs", where);
  if (!ins.is_array())
    fail(where + ".inputs", "expected a list of names and numbers, got " +
                                describe(ins));
  n.operands.reserve(ins.size());
  for (size_t k = 0; k < ins.size(); ++k) {
    const json &o = ins[k];
    OperandSpec op;
    if (o.is_string()) {
      op.name = o.get_ref<const std::string &>();
    } else if (o.is_number()) {
      op.isLiteral = true;
      op.literal = readNumber(o, where + ".inputs[" + std::to_string(k) + "]");
    } else if (o.is_null()) {
      op.isNull = true; // the op (or composite) decides whether it may be
    } else {
      fail(where + ".inputs[" + std::to_string(k) + "]",
           "expected a name, a number or null, got " + describe(o));
    }
    n.operands.push_back(std::move(op));
  }
  auto attrs = j.find("attrs");
  if (attrs != j.end()) {
    if (!attrs->is_object())
      fail(where + ".attrs", "expected an object, got " + describe(*attrs));
    for (auto it = attrs->begin(); it != attrs->end(); ++it)
      n.attrs[it.key()] = readAttr(it.value(), where + ".attrs." + it.key());
  }
  n.noGrad = readBool(j, "no_grad", where);
  return n;
}

OpKind Loader::readOp(const json &j, const std::string &where) const {
  if (!j.is_string()) fail(where + ".op", "expected a string, got " + describe(j));
  const std::string &s = j.get_ref<const std::string &>();
  auto op = lookupOp(s);
  // Internal helper ops of the backward pass are not user ops.
  if (op && opInfo(*op).cls != OpClass::Leaf && !opInfo(*op).internal) return *op;
  if (op && opInfo(*op).internal)
    fail(where, "'" + s + "' is an internal op of the backward pass, not a "
                "graph op");
  if (op && *op == OpKind::Constant)
    fail(where, "'constant' is not a node op: write scalar constants as "
                "numbers in \"inputs\"");
  if (op)
    fail(where, "'" + s + "' is not a node op" +
                    (*op == OpKind::Input ? ": declare inputs under \"inputs\""
                                          : std::string()));
  std::vector<std::string> known = userOpNames();
  for (const Decomposition &d : decompositions()) known.push_back(d.name);
  fail(where, "unknown op '" + s + "'" + suggestion(s, known));
}

Attr Loader::readAttr(const json &j, const std::string &where) const {
  const std::string want = "expected an integer, a number, true/false, a "
                           "string, or a list of numbers";
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_string()) return j.get<std::string>();
  if (isInteger(j)) {
    auto v = asInt64(j);
    if (!v) fail(where, "the integer " + describe(j) + " is out of range");
    return *v;
  }
  if (j.is_number()) return readNumber(j, where);
  if (!j.is_array()) fail(where, want + ", got " + describe(j));
  bool anyFloat = false;
  for (size_t k = 0; k < j.size(); ++k) {
    if (!j[k].is_number())
      fail(where, want + " (element " + std::to_string(k) + " is " +
                      describe(j[k]) + ")");
    anyFloat |= j[k].is_number_float();
  }
  if (anyFloat) {
    std::vector<double> v;
    for (size_t k = 0; k < j.size(); ++k)
      v.push_back(readNumber(j[k], where + "[" + std::to_string(k) + "]"));
    return v;
  }
  std::vector<int64_t> v;
  for (size_t k = 0; k < j.size(); ++k) {
    auto x = asInt64(j[k]);
    if (!x)
      fail(where + "[" + std::to_string(k) + "]",
           "the integer " + describe(j[k]) + " is out of range");
    v.push_back(*x);
  }
  return v;
}

void Loader::readOutputs(const json &root) {
  const json &outs = required(root, "outputs", "top level");
  if (!outs.is_array() || outs.empty())
    fail("outputs", "expected a non-empty list of names, got " +
                        (outs.is_array() ? "[]" : describe(outs)));
  for (size_t k = 0; k < outs.size(); ++k) {
    if (!outs[k].is_string())
      fail("outputs[" + std::to_string(k) + "]",
           "expected a name, got " + describe(outs[k]));
    outputs_.push_back(outs[k].get<std::string>());
  }
}

//===--- Names and order --------------------------------------------------===//

void Loader::defineNames() {
  defs_.reserve(inputs_.size() + nodes_.size());
  byName_.reserve(inputs_.size() + nodes_.size());
  auto define = [&](const std::string &name, Def d) {
    auto [it, fresh] = byName_.emplace(name, defs_.size());
    if (!fresh)
      fail(defPath(d), "the name '" + name + "' is already defined by " +
                           defPath(defs_[it->second]));
    defs_.push_back(d);
  };
  for (size_t i = 0; i < inputs_.size(); ++i) define(inputs_[i].name, {true, i});
  for (size_t i = 0; i < nodes_.size(); ++i) define(nodes_[i].name, {false, i});
}

std::vector<std::string> Loader::allNames() const {
  std::vector<std::string> r;
  for (const InputSpec &in : inputs_) r.push_back(in.name);
  for (const NodeSpec &n : nodes_) r.push_back(n.name);
  return r;
}

void Loader::resolveOperands() {
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (OperandSpec &o : nodes_[i].operands) {
      if (o.isLiteral || o.isNull) continue;
      auto it = byName_.find(o.name);
      if (it == byName_.end())
        fail(nodePaths_[i], "input '" + o.name + "' is not defined" +
                                suggestion(o.name, allNames()));
      o.def = static_cast<long>(it->second);
    }
}

/// Operands before users (frontend/NodeOrder); a cycle is an error at the
/// node of the cycle that comes first in the file, shown in data-flow order
/// ("a -> b": a is an input of b).
std::vector<size_t> Loader::topologicalOrder() const {
  const long firstNode = static_cast<long>(inputs_.size());
  std::vector<std::vector<size_t>> operands(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (const OperandSpec &o : nodes_[i].operands)
      if (!o.isLiteral && !o.isNull && o.def >= firstNode)
        operands[i].push_back(static_cast<size_t>(o.def - firstNode));
  NodeOrder result = orderNodes(operands);
  if (result.cycle.empty()) return result.order;
  const std::vector<size_t> &cycle = result.cycle;
  const size_t kShown = 20;
  std::string text;
  for (size_t k = 0; k < cycle.size() && k < kShown; ++k)
    text += nodes_[cycle[k]].name + " -> ";
  if (cycle.size() > kShown)
    text += "... (" + std::to_string(cycle.size() - kShown) + " more) -> ";
  text += nodes_[cycle[0]].name;
  fail(nodePaths_[cycle[0]], "cycle among nodes: " + text);
}

//===--- Building ---------------------------------------------------------===//

std::unique_ptr<Graph> Loader::build(const std::string &graphName,
                                     const std::vector<size_t> &order) {
  GraphBuilder b(graphName);
  std::vector<Node *> built(defs_.size(), nullptr);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    InputSpec &in = inputs_[i];
    try {
      built[i] = b.addInput(irNameFromJson(in.name), in.type, in.requiresGrad,
                            in.init);
    } catch (const Error &e) {
      fail(inputPaths_[i], e.what());
    }
  }
  for (size_t i : order) {
    NodeSpec &n = nodes_[i];
    std::vector<BuildOperand> ops;
    ops.reserve(n.operands.size());
    for (const OperandSpec &o : n.operands)
      ops.push_back(o.isNull      ? BuildOperand::none()
                    : o.isLiteral ? BuildOperand::number(o.literal)
                                  : BuildOperand::of(built[o.def]));
    try {
      built[inputs_.size() + i] =
          n.composite ? expandComposite(*n.composite, b, ops, n.attrs,
                                        irNameFromJson(n.name), n.noGrad)
                      : b.addOp(n.op, ops, std::move(n.attrs),
                                irNameFromJson(n.name), n.noGrad);
    } catch (const Error &e) {
      fail(nodePaths_[i], e.what());
    }
  }
  for (size_t k = 0; k < outputs_.size(); ++k) {
    const std::string &name = outputs_[k];
    std::string where = "outputs[" + std::to_string(k) + "]";
    // Besides the nodes of the file, a composite may define named values
    // of its own (batch_norm's NAME.running_mean).
    if (!byName_.count(name) && !b.lookup(irNameFromJson(name)))
      fail(where, "'" + name + "' is not defined" +
                      suggestion(name, allNames()));
    if (isJsonTemporaryName(name))
      fail(where, "'" + name + "' is an unnamed temporary; only named values "
                  "can be outputs");
    try {
      b.addOutput(irNameFromJson(name));
    } catch (const Error &e) {
      fail(where, e.what());
    }
  }
  try {
    return b.finish();
  } catch (const Error &e) {
    throw Error(file_ + ": " + e.what());
  }
}

std::unique_ptr<Graph> Loader::load(const json &root) {
  if (!root.is_object())
    fail("top level", "expected an object with \"inputs\", \"nodes\" and "
                      "\"outputs\", got " + describe(root));
  checkKeys(root, kTopKeys, "top level");
  std::string name = std::filesystem::path(file_).stem().string();
  if (name.empty()) name = "graph";
  auto it = root.find("name");
  if (it != root.end()) {
    if (!it->is_string()) fail("name", "expected a string, got " + describe(*it));
    name = it->get<std::string>();
  }
  readInputs(root);
  readNodes(root);
  readOutputs(root);
  defineNames();
  resolveOperands();
  return build(name, topologicalOrder());
}

} // namespace jsonload

using jsonload::json;

std::unique_ptr<Graph> loadJsonGraph(const std::string &text,
                                     const std::string &fileName,
                                     const SizeBinder &bind) {
  uint64_t maxNodes = defaultMaxNodes();
  json root = parseJsonText(text, fileName, /*nonFiniteNumbers=*/false,
                            maxNodes, tooManyNodesMessage(maxNodes));
  try {
    const SizeBinding none;
    const SizeBinding sizes =
        bind ? bind(jsonload::Loader(fileName, none).signature(root)) : none;
    return jsonload::Loader(fileName, sizes).load(root);
  } catch (const json::exception &e) {
    // Every access above is type-checked first; this is a safety net so
    // that no library exception escapes as anything but gradc::Error.
    throw Error::located(fileName + ": error: " +
                         jsonErrorMessage(e.what()));
  }
}

GraphSignature jsonGraphSignature(const std::string &text,
                                  const std::string &fileName) {
  uint64_t maxNodes = defaultMaxNodes();
  json root = parseJsonText(text, fileName, /*nonFiniteNumbers=*/false,
                            maxNodes, tooManyNodesMessage(maxNodes));
  SizeBinding none;
  return jsonload::Loader(fileName, none).signature(root);
}

} // namespace gradc
