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

namespace {

using json = nlohmann::json;

//===----------------------------------------------------------------------===//
// Reading JSON values
//===----------------------------------------------------------------------===//

/// A short description of a JSON value for "got ..." in messages.
std::string describe(const json &j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "a list";
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

/// A JSON string literal for a name in a location ("x", "a\"b").
std::string quoted(const std::string &s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool isInteger(const json &j) {
  return j.is_number_integer() || j.is_number_unsigned();
}

/// The value of an integer that fits int64_t.
std::optional<int64_t> asInt64(const json &j) {
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
std::string joinNames(const std::vector<std::string> &names) {
  std::string r;
  for (const std::string &n : names) r += (r.empty() ? "" : ", ") + n;
  return r;
}

std::string suggestion(const std::string &name,
                       const std::vector<std::string> &cands) {
  auto best = closestName(name, cands);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

const std::vector<std::string> kTopKeys = {"name", "inputs", "nodes",
                                           "outputs"};
const std::vector<std::string> kInputKeys = {"name", "dtype", "shape",
                                             "requires_grad", "init"};
const std::vector<std::string> kNodeKeys = {"name", "op", "inputs", "attrs",
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

//===--- Inputs -----------------------------------------------------------===//

void Loader::readInputs(const json &root) {
  auto it = root.find("inputs");
  if (it == root.end()) return;
  if (!it->is_array())
    fail("inputs", "expected a list of inputs, got " + describe(*it));
  for (size_t i = 0; i < it->size(); ++i) {
    const json &j = (*it)[i];
    std::string where = element("inputs", i, j);
    if (!j.is_object()) fail(where, "expected an object, got " + describe(j));
    inputs_.push_back(readInput(j, where));
    inputPaths_.push_back(std::move(where));
  }
}

InputSpec Loader::readInput(const json &j, const std::string &where) const {
  checkKeys(j, kInputKeys, where);
  InputSpec in;
  in.name = readName(j, where);
  if (isJsonTemporaryName(in.name))
    fail(where + ".name", "'" + in.name + "' is the name of an unnamed "
         "temporary; inputs need a real name (write \"%" + in.name +
         "\" for the literal name '" + in.name + "')");
  auto dt = j.find("dtype");
  if (dt != j.end()) {
    if (!dt->is_string())
      fail(where + ".dtype", "expected a string, got " + describe(*dt));
    const std::string &s = dt->get_ref<const std::string &>();
    auto parsed = parseDType(s);
    if (!parsed)
      fail(where + ".dtype",
           "unknown dtype '" + s + "'" +
               suggestion(s, {"f32", "f64", "i32", "i64", "bool"}) +
               "; expected f32, f64, i32, i64 or bool");
    in.type.dtype = *parsed;
  }
  in.type.shape = readShape(required(j, "shape", where), where + ".shape");
  in.requiresGrad = readBool(j, "requires_grad", where);
  auto init = j.find("init");
  if (init != j.end()) {
    in.init = readInit(*init, in.type.shape, where + ".init");
    if (in.type.dtype == DType::I32 || in.type.dtype == DType::I64)
      checkIntegerInit(*init, in.type.dtype, where + ".init");
  }
  return in;
}

/// An integer input's init values are kept as doubles (graph attributes):
/// each must fit the dtype and, if written as an integer, be exactly a
/// double, so the value the graph runs with is the value written. Larger
/// 64-bit values go through --inputs, which keeps all 64 bits. Recursion
/// depth is bounded by kMaxJsonNesting.
void Loader::checkIntegerInit(const json &j, DType dtype,
                              const std::string &where) const {
  if (j.is_array()) {
    for (size_t k = 0; k < j.size(); ++k)
      checkIntegerInit(j[k], dtype, where + "[" + std::to_string(k) + "]");
    return;
  }
  if (!j.is_number()) return; // "zeros", {"randn": SEED}: checked already
  const std::string name = dtypeName(dtype);
  const double limit = dtype == DType::I32 ? 2147483648.0 : 9223372036854775808.0;
  if (j.is_number_float()) {
    double v = j.get<double>();
    if (!(v >= -limit && v < limit))
      fail(where, formatDouble(v) + " does not fit in " + name);
    return;
  }
  bool fits, exact;
  std::string text;
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    text = std::to_string(u);
    fits = u < static_cast<uint64_t>(limit);
    exact = static_cast<uint64_t>(static_cast<double>(u)) == u || !fits;
  } else {
    int64_t v = j.get<int64_t>();
    text = std::to_string(v);
    fits = static_cast<double>(v) >= -limit && static_cast<double>(v) < limit;
    double d = static_cast<double>(v);
    exact = d >= 9223372036854775808.0 || static_cast<int64_t>(d) == v;
  }
  if (!fits) fail(where, text + " does not fit in " + name);
  if (!exact)
    fail(where, text + " is not exact in a graph's init (which holds 53 "
                       "bits); pass it with --inputs, which keeps all 64");
}

Shape Loader::readShape(const json &j, const std::string &where) const {
  const std::string want = "expected a list of non-negative integers and "
                           "size variable names";
  if (!j.is_array()) fail(where, want + ", got " + describe(j));
  Shape s;
  s.reserve(j.size());
  for (size_t k = 0; k < j.size(); ++k) {
    if (j[k].is_string()) {
      const std::string &name = j[k].get_ref<const std::string &>();
      if (!isSizeVariableName(name))
        fail(where + "[" + std::to_string(k) + "]",
             "'" + name + "' is not a size variable name (a letter or '_', "
             "then letters, digits or '_')");
      auto b = sizes_.find(name);
      if (b == sizes_.end())
        fail(where + "[" + std::to_string(k) + "]",
             "size '" + name + "' is not bound (bind it with --size " + name +
                 "=N, or supply this input's value)");
      s.push_back(b->second);
      continue;
    }
    auto v = asInt64(j[k]);
    if (!v || *v < 0)
      fail(where, want + " (element " + std::to_string(k) + " is " +
                      describe(j[k]) + ")");
    s.push_back(*v);
  }
  if (!numElementsChecked(s))
    fail(where, "the shape " + shapeToString(s) +
                    " has too many elements (the count overflows int64)");
  return s;
}

GraphSignature Loader::signature(const json &root) const {
  GraphSignature sig;
  if (!root.is_object()) return sig; // load() gives the error
  auto it = root.find("inputs");
  if (it == root.end() || !it->is_array()) return sig;
  for (size_t i = 0; i < it->size(); ++i) {
    const json &j = (*it)[i];
    if (!j.is_object()) continue;
    auto name = j.find("name"), shape = j.find("shape");
    if (name == j.end() || !name->is_string() || shape == j.end() ||
        !shape->is_array())
      continue;
    InputSignature in;
    in.input = name->get<std::string>();
    in.where = file_ + ": " + element("inputs", i, j) + ".shape";
    for (const json &d : *shape) {
      SymDim dim;
      if (d.is_string()) dim.name = d.get<std::string>();
      else if (auto v = asInt64(d)) dim.value = *v;
      in.dims.push_back(dim);
    }
    sig.inputs.push_back(std::move(in));
  }
  return sig;
}

InputInit Loader::readInit(const json &j, const Shape &shape,
                           const std::string &where) const {
  const std::string forms = "expected \"zeros\", \"ones\", a number, a nested "
                            "list, {\"randn\": SEED} or {\"rand\": SEED}";
  InputInit init;
  if (j.is_string()) {
    const std::string &s = j.get_ref<const std::string &>();
    if (s == "zeros") init.kind = InputInit::Zeros;
    else if (s == "ones") init.kind = InputInit::Ones;
    else if (s == "randn" || s == "rand")
      fail(where, "'" + s + "' needs a seed: write {\"" + s + "\": SEED} with "
                  "an integer SEED");
    else
      fail(where, "unknown init '" + s + "'" +
                      suggestion(s, {"zeros", "ones", "randn", "rand"}) +
                      "; " + forms);
  } else if (j.is_number()) {
    init.kind = InputInit::Value;
    init.value = readNumber(j, where);
  } else if (j.is_array()) {
    init.kind = InputInit::Data;
    std::vector<size_t> index;
    flattenNested(j, shape, index, where, init.data);
  } else if (j.is_object()) {
    if (j.size() != 1 || (!j.contains("randn") && !j.contains("rand")))
      fail(where, forms);
    bool normal = j.contains("randn");
    const json &seed = j.begin().value();
    auto v = asInt64(seed);
    if (!v)
      fail(where + "." + j.begin().key(),
           "the seed must be an integer, got " + describe(seed));
    init.kind = normal ? InputInit::Randn : InputInit::Rand;
    init.seed = *v;
  } else {
    fail(where, forms + ", got " + describe(j));
  }
  return init;
}

/// Checks that `j` is a nested list whose lengths are `shape` (from the
/// dimension index.size() on) and appends its numbers in row-major order.
/// Recursion depth is bounded by kMaxJsonNesting: deeper text never parses.
/// `index` is the position inside the init, turned into a path on error only.
void Loader::flattenNested(const json &j, const Shape &shape,
                           std::vector<size_t> &index, const std::string &where,
                           std::vector<double> &out) const {
  auto here = [&] {
    std::string p = where;
    for (size_t k : index) p += "[" + std::to_string(k) + "]";
    return p;
  };
  size_t dim = index.size();
  if (dim == shape.size()) {
    if (!j.is_number())
      fail(here(), "expected a number (the init has the shape " +
                       shapeToString(shape) + "), got " + describe(j));
    out.push_back(readNumber(j, here()));
    return;
  }
  std::string want = std::to_string(shape[dim]) +
                     (shape[dim] == 1 ? " element" : " elements") +
                     " (dimension " +
                     std::to_string(dim) + " of the shape " +
                     shapeToString(shape) + ")";
  if (!j.is_array())
    fail(here(), "expected a list of " + want + ", got " + describe(j));
  if (static_cast<int64_t>(j.size()) != shape[dim])
    fail(here(), "expected " + want + ", got " + std::to_string(j.size()));
  index.push_back(0);
  for (size_t k = 0; k < j.size(); ++k) {
    index.back() = k;
    flattenNested(j[k], shape, index, where, out);
  }
  index.pop_back();
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

} // namespace

std::unique_ptr<Graph> loadJsonGraph(const std::string &text,
                                     const std::string &fileName,
                                     const SizeBinding &sizes) {
  uint64_t maxNodes = defaultMaxNodes();
  json root = parseJsonText(text, fileName, /*nonFiniteNumbers=*/false,
                            maxNodes, tooManyNodesMessage(maxNodes));
  try {
    return Loader(fileName, sizes).load(root);
  } catch (const json::exception &e) {
    // Every access above is type-checked first; this is a safety net so
    // that no library exception escapes as anything but gradc::Error.
    throw Error::located(fileName + ": error: " +
                         jsonErrorMessage(e.what()));
  }
}

} // namespace gradc

namespace gradc {

GraphSignature jsonGraphSignature(const std::string &text,
                                  const std::string &fileName) {
  uint64_t maxNodes = defaultMaxNodes();
  json root = parseJsonText(text, fileName, /*nonFiniteNumbers=*/false,
                            maxNodes, tooManyNodesMessage(maxNodes));
  SizeBinding none;
  return Loader(fileName, none).signature(root);
}

} // namespace gradc
