//===- codegen/HeaderEmitter.h - Ahead-of-time header ----------*- C++ -*-===//
//
// NAME.h of `gradc compile`: for C, the entry points' prototypes and the
// argument counts and buffer sizes as macros; for C++, in addition, a typed
// class in the spirit of tfcompile's generated header (but standalone: it
// needs only the standard library and NAME.cpp or NAME.o), which owns the
// buffers of one execution and offers named accessors, constexpr shapes and
// dtypes, run() / forward() / backward(), and doc comments from the graph.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_HEADEREMITTER_H
#define GRADC_CODEGEN_HEADEREMITTER_H

#include "codegen/ModuleInfo.h"
#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <string>

namespace gradc {

/// How the header names things and what it records.
struct HeaderOptions {
  /// The C++ class; empty: the module's symbol prefix.
  std::string className;
  /// Enclosing namespace, possibly nested ("a::b"); empty: global.
  std::string namespaceName;
  /// The graph file as given by the user, recorded in comments. Keep it
  /// free of absolute machine paths if the output must be reproducible
  /// across checkouts.
  std::string sourceName;
  /// The sizes the module was built at, when the graph's input shapes name
  /// size variables (ir/SizeVars.h): each becomes a macro NAME_SIZE_<var>
  /// and a constexpr kSize_<var> of the class. Empty: no size variables.
  SizeBinding sizes;
  /// The input shapes as declared, size variables included: the argument
  /// comments show them beside the bound shapes.
  GraphSignature signature;
};

/// One entry point of the ABI (DESIGN.md, "Generated code and its ABI"),
/// NAME_<name>: its parameters as a header declares them and the names a
/// forwarding call passes. Each returns unsigned long long: a status, or a
/// byte count for the three without parameters.
struct EntrySignature {
  const char *name;   ///< After the symbol prefix and '_'.
  const char *params; ///< "" for none.
  const char *args;   ///< The parameters' names, comma-separated.
  bool status;        ///< Returns a status (else a byte count).
};
/// The six entry points, in the order headers declare them.
extern const EntrySignature kEntrySignatures[6];

/// True if \p s can name a C++ class or namespace component: a C identifier
/// that is not a C++ keyword and not reserved (no "__", no leading '_').
bool isUsableCppIdentifier(const std::string &s);

/// The symbol prefix of an ahead-of-time build named \p className in
/// \p namespaceName: the namespace components and the class joined by '_'
/// ("nn::Mlp" -> "nn_Mlp"), so that differently named builds of one graph
/// link into one program. Throws gradc::Error (naming the offending part)
/// if either is not made of usable identifiers.
std::string aotSymbolPrefix(const std::string &className,
                            const std::string &namespaceName);

/// The header text. \p source, the graph as written (optional), adds the
/// expression of each output and the inputs' declared init to the doc
/// comments, and lets the class start with constant inits (zeros, ones, a
/// number) applied. The output depends only on its arguments and the gradc
/// version: no time stamps, no absolute paths unless \p options has them.
/// Throws gradc::Error for an unusable class or namespace name.
std::string emitHeader(const ModuleInfo &info, const HeaderOptions &options = {},
                       const Graph *source = nullptr);

} // namespace gradc

#endif // GRADC_CODEGEN_HEADEREMITTER_H
