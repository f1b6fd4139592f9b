//===- frontend/JsonWriter.cpp - Writes graphs in the JSON format ---------===//
//
// Everything written must load back to the same IR, so the writer refuses
// (with an error naming the node) whatever the loader could not recreate
// exactly, rather than writing a file that loads as a different graph.
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonWriter.h"

#include "frontend/GraphBuilder.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace gradc {

namespace {

using json = nlohmann::json;

[[noreturn]] void cannot(const std::string &what) {
  throw Error("cannot write the graph as JSON: " + what);
}

/// `s` quoted for a message, every byte outside printable ASCII as \xNN.
std::string escapedBytes(const std::string &s) {
  static const char *hex = "0123456789abcdef";
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      r += static_cast<char>(c);
    } else {
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    }
  }
  return r + "\"";
}

/// A JSON string literal. JSON text is UTF-8, so other bytes are an error
/// (replacing them would silently rename things).
std::string jsonString(const std::string &s) {
  try {
    return json(s).dump();
  } catch (const json::exception &) {
    cannot("the string " + escapedBytes(s) + " is not valid UTF-8");
  }
}

/// A double that must reload as a double (attributes): always with a '.'
/// or an exponent, shortest form that parses back to the same bits.
std::string floatNumber(double v, const std::string &what) {
  if (!std::isfinite(v))
    cannot(what + " is " + formatDouble(v) +
           ", which a JSON number cannot express");
  return formatDouble(v);
}

/// A number that reloads as a double whichever way it is spelled (literals,
/// init values): integral values print as integers, as people write them.
/// -0.0 keeps its '.', since "-0" reads back as the integer 0.
std::string plainNumber(double v, const std::string &what) {
  const double kExactInts = 9007199254740992.0; // 2^53
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < kExactInts &&
      !(v == 0 && std::signbit(v)))
    return std::to_string(static_cast<long long>(v));
  return floatNumber(v, what);
}

std::string attrJson(const Attr &a, const std::string &what) {
  if (auto *v = std::get_if<int64_t>(&a)) return std::to_string(*v);
  if (auto *v = std::get_if<double>(&a)) return floatNumber(*v, what);
  if (auto *v = std::get_if<bool>(&a)) return *v ? "true" : "false";
  if (auto *v = std::get_if<std::string>(&a)) return jsonString(*v);
  std::string r = "[";
  if (auto *v = std::get_if<std::vector<int64_t>>(&a))
    for (size_t i = 0; i < v->size(); ++i)
      r += (i ? ", " : "") + std::to_string((*v)[i]);
  if (auto *v = std::get_if<std::vector<double>>(&a))
    for (size_t i = 0; i < v->size(); ++i)
      r += (i ? ", " : "") + floatNumber((*v)[i], what);
  return r + "]";
}

/// Appends `data` (row-major) as lists nested by `shape`, from dimension
/// `dim` on. Recursion depth is the rank, which the caller bounds.
void writeNested(const std::vector<double> &data, const Shape &shape,
                 size_t dim, size_t &next, std::string &out,
                 const std::string &what) {
  if (dim == shape.size()) {
    out += plainNumber(data[next++], what);
    return;
  }
  out += "[";
  for (int64_t i = 0; i < shape[dim]; ++i) {
    if (i) out += ", ";
    writeNested(data, shape, dim + 1, next, out, what);
  }
  out += "]";
}

std::string shapeJson(const Shape &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

class Writer {
public:
  Writer(const Graph &g, const GraphSignature *sizes) : g_(g), sizes_(sizes) {}
  std::string write();

private:
  void nameNodes();
  std::string where(const Node &n) const {
    return "node '" + names_.at(&n) + "' (" + n.info().name + ")";
  }
  std::string inputLine(const Node &in) const;
  std::string initJson(const Node &in, const InputInit &init) const;
  std::string declaredShapeJson(const Node &in) const;
  std::vector<bool> literalOperands(const Node &n, size_t pos);
  std::string nodeLine(const Node &n, size_t pos);
  std::string outputsJson() const;

  const Graph &g_;
  const GraphSignature *sizes_; ///< Declared input shapes, or null.
  std::unordered_map<const Node *, std::string> names_; ///< JSON names.
  std::unordered_map<const Node *, int> constantUses_;
  std::unordered_set<const Node *> written_; ///< Constants written inline.
};

/// JSON names: temporaries get the numbers the IR printer gives them
/// (constants count too), so "%3" in a file is "%3" in `gradc dump`.
void Writer::nameNodes() {
  int temp = 0;
  for (const auto &n : g_.nodes()) {
    names_[n.get()] = n->name.empty() ? "%" + std::to_string(temp++)
                                      : jsonNameFromIR(n->name);
    for (const Node *o : n->operands)
      if (o->op == OpKind::Constant) ++constantUses_[o];
  }
}

std::string Writer::inputLine(const Node &in) const {
  if (in.noGrad) cannot(where(in) + " is marked no_grad, which inputs cannot be");
  bool requiresGrad = getBool(in.attrs, "requires_grad", false);
  InputInit init = inputInit(in);
  // The loader builds inputs through GraphBuilder; anything it would not
  // recreate exactly (stray attributes, unknown init kinds) is refused.
  GraphBuilder scratch("scratch");
  Node *rebuilt = nullptr;
  try {
    rebuilt = scratch.addInput(in.name, in.type, requiresGrad, init);
  } catch (const Error &e) {
    cannot(where(in) + ": " + e.what());
  }
  if (rebuilt->attrs != in.attrs)
    cannot(where(in) + " has attributes the JSON format cannot express");
  std::string line = "{\"name\": " + jsonString(names_.at(&in)) +
                     ", \"dtype\": \"" + dtypeName(in.type.dtype) +
                     "\", \"shape\": " + declaredShapeJson(in);
  if (requiresGrad) line += ", \"requires_grad\": true";
  if (init.kind != InputInit::None) line += ", \"init\": " + initJson(in, init);
  return line + "}";
}

/// An input's shape: as declared in sizes_ (size variables by name) when it
/// has a declaration there, else the numbers of its type.
std::string Writer::declaredShapeJson(const Node &in) const {
  const InputSignature *decl = sizes_ ? sizes_->find(in.name) : nullptr;
  if (!decl) return shapeJson(in.type.shape);
  std::string s = "[";
  for (size_t k = 0; k < decl->dims.size(); ++k) {
    const SymDim &d = decl->dims[k];
    s += (k ? ", " : "") + (d.symbolic() ? jsonString(d.name) : std::to_string(d.value));
  }
  return s + "]";
}

std::string Writer::initJson(const Node &in, const InputInit &init) const {
  std::string what = "the init of " + where(in);
  switch (init.kind) {
  case InputInit::None: break;
  case InputInit::Zeros: return "\"zeros\"";
  case InputInit::Ones: return "\"ones\"";
  case InputInit::Value: return plainNumber(init.value, what);
  case InputInit::Randn: return "{\"randn\": " + std::to_string(init.seed) + "}";
  case InputInit::Rand: return "{\"rand\": " + std::to_string(init.seed) + "}";
  case InputInit::Data: {
    // A rank-0 nested list is a bare number, which loads as a splat value.
    if (in.type.rank() == 0)
      cannot(what + " is dense data of a scalar, which loads back as a value");
    // Top object, "inputs", the input object: 3 levels above the data.
    if (in.type.rank() + 3 > kMaxJsonNesting)
      cannot(what + " nests deeper than the loader accepts");
    std::string out;
    size_t next = 0;
    writeNested(init.data, in.type.shape, 0, next, out, what);
    return out;
  }
  }
  return "null";
}

/// Which operands of `n` are written as number literals: its constant
/// operands, which must look exactly like what GraphBuilder makes of a
/// literal — a scalar, typed like the first non-bool tensor operand, with
/// the user's no_grad, used once, placed right before the user in operand
/// order. Anything else cannot be written.
std::vector<bool> Writer::literalOperands(const Node &n, size_t pos) {
  DType litType = DType::F32;
  for (const Node *o : n.operands)
    if (o->op != OpKind::Constant && o->type.dtype != DType::Bool) {
      litType = o->type.dtype;
      break;
    }
  std::vector<bool> isLiteral(n.operands.size(), false);
  size_t count = 0;
  for (size_t k = 0; k < n.operands.size(); ++k)
    if (n.operands[k]->op == OpKind::Constant) {
      isLiteral[k] = true;
      ++count;
    }
  size_t slot = pos - count; // Where the first literal must sit.
  for (size_t k = 0; k < n.operands.size(); ++k) {
    if (!isLiteral[k]) continue;
    const Node *c = n.operands[k];
    std::string why;
    if (c->type.rank() != 0) why = "it is not a scalar";
    else if (!c->name.empty()) why = "it has a name";
    else if (c->attrs.size() != 1 || !c->attrs.count("value") ||
             !std::holds_alternative<double>(c->attrs.at("value")))
      why = "it is not a plain value";
    else if (c->type.dtype != litType)
      why = std::string("it is ") + dtypeName(c->type.dtype) +
            " but a literal here would be " + dtypeName(litType);
    else if (c->noGrad != n.noGrad) why = "its no_grad flag differs";
    else if (constantUses_[c] != 1) why = "it is used more than once";
    else if (count > pos || g_.nodes()[slot].get() != c)
      why = "it is not placed right before its user";
    if (!why.empty())
      cannot(where(n) + " has the constant operand '" + names_.at(c) +
             "', which cannot be written as a number literal: " + why);
    ++slot;
    written_.insert(c);
  }
  return isLiteral;
}

std::string Writer::nodeLine(const Node &n, size_t pos) {
  std::vector<bool> isLiteral = literalOperands(n, pos);
  std::string line = "{\"name\": " + jsonString(names_.at(&n)) +
                     ", \"op\": \"" + n.info().name + "\", \"inputs\": [";
  for (size_t k = 0; k < n.operands.size(); ++k) {
    const Node *o = n.operands[k];
    line += k ? ", " : "";
    line += isLiteral[k]
                ? plainNumber(getFloat(o->attrs, "value", 0),
                              "a constant operand of " + where(n))
                : jsonString(names_.at(o));
  }
  line += "]";
  if (!n.attrs.empty()) {
    line += ", \"attrs\": {";
    bool first = true;
    for (const auto &kv : n.attrs) {
      line += (first ? "" : ", ") + jsonString(kv.first) + ": " +
              attrJson(kv.second, "attribute '" + kv.first + "' of " + where(n));
      first = false;
    }
    line += "}";
  }
  if (n.noGrad) line += ", \"no_grad\": true";
  return line + "}";
}

std::string Writer::outputsJson() const {
  std::string r = "[";
  for (size_t i = 0; i < g_.outputs().size(); ++i) {
    const GraphOutput &o = g_.outputs()[i];
    // JSON outputs are names of values, so output and value share the name.
    if (o.node->name != o.name)
      cannot("output '" + o.name + "' refers to " +
             (o.node->name.empty() ? "an unnamed value"
                                   : "the value '" + o.node->name + "'") +
             "; JSON outputs must name a value of the same name");
    r += (i ? ", " : "") + jsonString(names_.at(o.node));
  }
  return r + "]";
}

/// Writes `items` as a JSON list, one per line at the given indent.
std::string listBlock(const std::vector<std::string> &items) {
  if (items.empty()) return "[]";
  std::string r = "[\n";
  for (size_t i = 0; i < items.size(); ++i)
    r += "    " + items[i] + (i + 1 < items.size() ? ",\n" : "\n");
  return r + "  ]";
}

std::string Writer::write() {
  if (!g_.seeds().empty() || !g_.gradients().empty())
    cannot("it has seeds or gradients (it is past autodiff); only "
           "source-level graphs can be written");
  nameNodes();
  std::vector<std::string> inputs, nodes;
  const auto &all = g_.nodes();
  for (size_t pos = 0; pos < all.size(); ++pos) {
    const Node &n = *all[pos];
    if (n.op == OpKind::Input) inputs.push_back(inputLine(n));
    else if (n.op != OpKind::Constant) nodes.push_back(nodeLine(n, pos));
  }
  for (const auto &n : all)
    if (n->op == OpKind::Constant && !written_.count(n.get()))
      cannot("the constant '" + names_.at(n.get()) +
             "' is not an operand that can be written as a number literal");
  return "{\n  \"name\": " + jsonString(g_.name()) +
         ",\n  \"inputs\": " + listBlock(inputs) +
         ",\n  \"nodes\": " + listBlock(nodes) +
         ",\n  \"outputs\": " + outputsJson() + "\n}\n";
}

} // namespace

std::string writeJsonGraph(const Graph &g, const GraphSignature *sizes) {
  return Writer(g, sizes).write();
}

} // namespace gradc
