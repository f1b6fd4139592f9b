//===- ir/SizeVars.h - Size variables of a graph's inputs ------*- C++ -*-===//
//
// A dimension of an input's declared shape may be a name instead of a number
// (`"shape": ["B", 784]`, DSL `input(B, 784)`): a size variable. One name is
// one size across the graph. A graph file with size variables is a family of
// graphs; binding every variable to a value picks one member, which the
// frontends then load as an ordinary static graph.
//
// This file holds the family's signature (each input's shape as written) and
// the binding rules: sizes come from an explicit list (`--size B=64`) and
// from the shapes of the tensors a caller supplies; a conflict, a negative
// size or a variable left unbound is an error before anything is compiled.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_SIZEVARS_H
#define GRADC_IR_SIZEVARS_H

#include "ir/Types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gradc {

/// One dimension of a declared input shape: a number, a size variable, or
/// something malformed that loading the graph reports (value -1).
struct SymDim {
  int64_t value = 0; ///< The extent when `name` is empty; -1: malformed.
  std::string name;  ///< The size variable, or empty for a number.

  bool symbolic() const { return !name.empty(); }
  /// "784", "B", or "?" for a malformed one.
  std::string str() const;
};

/// An input's shape as the graph file declares it.
struct InputSignature {
  std::string input;         ///< The input's name as written.
  std::vector<SymDim> dims;  ///< Outermost first.
  std::string where;         ///< Where it is declared (JSON path, file:line:col).
};

/// Size variables bound to extents, by name.
using SizeBinding = std::map<std::string, int64_t>;

/// The declared input shapes of a graph file.
struct GraphSignature {
  std::vector<InputSignature> inputs;

  /// True when some input dimension is a size variable.
  bool symbolic() const;
  /// The size variables in order of first appearance.
  std::vector<std::string> sizeNames() const;
  /// "[B, 784]" for an input, or "" when there is no such input.
  std::string shapeOf(const std::string &input) const;
  /// The declaration of an input by name, or null when there is none.
  const InputSignature *find(const std::string &input) const;
};

/// Chooses the sizes of a graph file from its signature. A frontend calls it
/// once, after reading the input declarations and before building
/// anything, so that a file is parsed once whether or not it has size
/// variables (a null binder binds nothing).
using SizeBinder = std::function<SizeBinding(const GraphSignature &)>;

/// True when `name` can name a size variable: a C-style identifier.
bool isSizeVariableName(const std::string &name);

/// Parses one `NAME=VALUE` assignment (the argument of `--size`). Throws
/// gradc::Error for a malformed one or a negative value.
std::pair<std::string, int64_t> parseSizeAssignment(const std::string &text);

/// Parses `NAME=VALUE` assignments (parseSizeAssignment) into a binding.
/// Throws gradc::Error for a name given twice, as for a malformed one.
SizeBinding parseSizeAssignments(const std::vector<std::string> &items);

/// Binds every size variable of `sig`. `explicitSizes` come first (names
/// that the graph does not declare are an error); then each supplied tensor
/// shape (by input name) binds the variables of its input's declaration
/// and is checked against its fixed dimensions and its rank. Throws
/// gradc::Error, naming the inputs and dimensions involved, when one name
/// gets two sizes, a size is negative, a supplied shape does not fit its
/// declaration, or a variable stays unbound.
SizeBinding bindSizes(const GraphSignature &sig, const SizeBinding &explicitSizes,
                      const std::map<std::string, Shape> &supplied);

/// "B=64, T=32": a binding for messages and as a cache key.
std::string bindingString(const SizeBinding &b);

} // namespace gradc

#endif // GRADC_IR_SIZEVARS_H
