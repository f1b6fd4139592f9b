//===- runtime/GraphFamily.h - One graph file, any bound sizes -*- C++ -*-===//
//
// A graph file whose input shapes name size variables (`"shape": ["B",
// 784]`) describes a family of graphs, one per binding of its sizes. A
// GraphFamily reads the file once, binds sizes from explicit values and from
// the shapes of supplied tensors (ir/SizeVars.h), and makes the member of
// each binding the first time it is asked for; later requests for the same
// binding reuse it.
//
// A member runs the code of the static graph at its sizes, bit for bit: the
// code of B = 7 is the code a file declaring 7 would get. It is not compiled
// for each binding, though. The code of a new binding is generated (passes
// and codegen: milliseconds) and compared with the code templates compiled
// so far (runtime/CodeTemplate.h): when it is an instance of one, that
// template's object code is linked against a table of the binding's
// literals, without clang. Otherwise a template is derived from the binding
// and three neighbours (runtime/SizedCompiler.h) and compiled once; a
// binding that no template can cover (its neighbours have another
// structure) is compiled on its own. So a range of sizes whose code has one
// structure (the MLP from B = 2 to a few hundred) costs one compile, and
// compileCount() says how many there were.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_GRAPHFAMILY_H
#define GRADC_RUNTIME_GRAPHFAMILY_H

#include "frontend/LoadGraph.h"
#include "ir/SizeVars.h"
#include "runtime/Compiler.h"
#include "runtime/SizedCompiler.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gradc {

/// A graph file with size variables, compiled per binding. Thread-safe.
class GraphFamily {
public:
  /// Reads `path` (.json or .grad; .gir has no size variables) and its
  /// signature. The file is parsed again for each new binding.
  GraphFamily(const std::string &path, CompileOptions opts = {});
  /// The same from graph text in `format`; `fileName` names it in messages.
  GraphFamily(std::string text, std::string fileName, GraphFormat format,
              CompileOptions opts = {});

  /// Each input's declared shape, size variables included.
  const GraphSignature &signature() const { return sig_; }
  /// True when some input shape names a size variable.
  bool symbolic() const { return sig_.symbolic(); }

  /// Binds every size variable (see bindSizes): `explicitSizes` first,
  /// then the shapes of the tensors the caller will supply, by input name.
  SizeBinding bind(const SizeBinding &explicitSizes,
                   const std::map<std::string, Shape> &shapes) const;

  /// The graph of a binding, loaded but not compiled (for dump, check and
  /// AOT output). Throws gradc::Error for a binding whose tensors pass the
  /// memory cap, naming the input or node.
  std::unique_ptr<Graph> load(const SizeBinding &sizes) const;

  /// The compiled member of a binding: made on the first request (see
  /// above), then the same object (valid as long as the family).
  const CompiledGraph &member(const SizeBinding &sizes);

  /// Compiles so far: code templates, and members compiled on their own.
  size_t compileCount() const;
  /// Members so far that link a template's code instead of compiling.
  size_t instanceCount() const;

  ~GraphFamily();

private:  std::string text_, fileName_;
  GraphFormat format_;
  GraphSignature sig_;
  Compiler compiler_;
  mutable std::mutex mu_;
  std::unique_ptr<SizedCompiler> sized_; ///< Members, through code templates.
  size_t alone_ = 0; ///< Compiled without templates (CompileOptions).
  std::map<SizeBinding, std::unique_ptr<CompiledGraph>> members_;
};

} // namespace gradc

#endif // GRADC_RUNTIME_GRAPHFAMILY_H
