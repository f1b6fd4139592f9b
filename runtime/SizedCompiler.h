//===- runtime/SizedCompiler.h - Compiled graphs for the bindings of sizes -*- C++ -*-===//
//
// Makes the compiled graph of each binding of a graph file's size
// variables, sharing compiled code between bindings whose code differs
// only in numbers (runtime/CodeTemplate.h):
//
//   - the binding's code is generated (passes and codegen: milliseconds)
//     and compared with the templates compiled so far; an instance of one
//     links that template's object code against a table of its literals,
//     without clang;
//   - otherwise a template is derived from the binding and three
//     neighbours (every size + 1, + 13, and doubled + 3) and compiled once;
//   - a binding of a template's structure whose code differs from it in a
//     literal the samples had left constant (a count of blocks that changes
//     every 16 sizes, and the far neighbour had another structure) makes a
//     new template from the old one's samples and this binding, which
//     replaces the old one (one compile, and then that literal is a slot);
//   - a binding no template can cover (its neighbours all have another
//     structure: it sits just below a threshold where an emitter changes
//     the code) compiles alone.
//
// Every graph it makes runs the static graph's code at its sizes, bit for
// bit. GraphFamily and the Python SizedGraph use it.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_SIZEDCOMPILER_H
#define GRADC_RUNTIME_SIZEDCOMPILER_H

#include "ir/SizeVars.h"
#include "runtime/Compiler.h"

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gradc {

/// Compiled graphs for the bindings of one graph's size variables.
/// Thread-safe: compiles run one at a time.
class SizedCompiler {
public:
  /// Loads the graph at a binding (throws gradc::Error for one that is not
  /// a member: a shape rule fails, a buffer passes the memory cap).
  using Loader = std::function<std::unique_ptr<Graph>(const SizeBinding &)>;

  /// `compiler` must outlive this object (the graphs it makes need not).
  SizedCompiler(const Compiler &compiler, Loader load);
  ~SizedCompiler();

  /// The compiled graph of `sizes` (a new object per call).
  std::unique_ptr<CompiledGraph> compile(const SizeBinding &sizes);

  /// Compiles so far: code templates, and bindings compiled alone.
  size_t compileCount() const;
  /// Graphs so far that link a template's code instead of compiling.
  size_t instanceCount() const;

private:
  struct Range;
  std::shared_ptr<Range> newRange(const SizeBinding &sizes, const PreparedGraph &p,
                                  const Range *widen);

  const Compiler &compiler_;
  Loader load_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Range>> ranges_;
  size_t compiles_ = 0, instances_ = 0;
};

} // namespace gradc

#endif // GRADC_RUNTIME_SIZEDCOMPILER_H
