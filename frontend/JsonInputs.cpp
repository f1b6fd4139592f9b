//===- frontend/JsonInputs.cpp - The "inputs" of a JSON graph -------------===//
//
// Each input's name, dtype, shape (numbers and size variables, bound from
// the loader's SizeBinding) and init value, checked with messages that name
// the JSON path; and the file's signature, read before any size is bound.
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonLoaderImpl.h"

#include "frontend/JsonText.h"

#include <cmath>

namespace gradc {
namespace jsonload {

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
      // Only well-formed dims count; the rest are left for load() to report.
      SymDim dim{-1, ""};
      auto v = asInt64(d);
      if (d.is_string() && isSizeVariableName(d.get<std::string>()))
        dim.name = d.get<std::string>();
      else if (v && *v >= 0)
        dim.value = *v;
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

} // namespace jsonload
} // namespace gradc
