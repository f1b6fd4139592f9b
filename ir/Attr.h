//===- ir/Attr.h - Node attributes -----------------------------*- C++ -*-===//
//
// Attributes carry an op's static parameters (`dim`, `keepdim`, `shape`, a
// constant's value, an input's init ...). Names follow PyTorch. The map is
// ordered so that printing is deterministic.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_ATTR_H
#define GRADC_IR_ATTR_H

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace gradc {

/// One attribute value: an integer, a float, a bool, a string, or a list of
/// integers or floats.
using Attr = std::variant<int64_t, double, bool, std::string,
                          std::vector<int64_t>, std::vector<double>>;

/// Attributes of a node by name, in name order.
using AttrMap = std::map<std::string, Attr>;

/// Renders an attribute value in IR syntax (parsed back by ir/Parser).
std::string attrToString(const Attr &a);

/// Formats a double so that parsing it back gives the same bits, always
/// with a '.', an exponent, or as inf/nan, so it never reads as an integer.
std::string formatDouble(double v);

/// Typed accessors: return `def` when the attribute is absent, and throw
/// gradc::Error naming the attribute when it has the wrong kind.
int64_t getInt(const AttrMap &m, const std::string &key, int64_t def);
double getFloat(const AttrMap &m, const std::string &key, double def);
bool getBool(const AttrMap &m, const std::string &key, bool def);
std::string getString(const AttrMap &m, const std::string &key,
                      const std::string &def);
/// A list of integers; a single integer reads as a one-element list.
std::vector<int64_t> getInts(const AttrMap &m, const std::string &key,
                             const std::vector<int64_t> &def);
/// A list of floats; integers convert.
std::vector<double> getFloats(const AttrMap &m, const std::string &key);

} // namespace gradc

#endif // GRADC_IR_ATTR_H
