//===- runtime/Compiler.h - Graph to callable code -------------*- C++ -*-===//
//
// The host C++ API's compile step: runs the pass pipeline on a graph,
// emits C++, JIT-compiles it in-process, and looks up the entry points.
// Errors are thrown as gradc::Error; this header pulls in no LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_COMPILER_H
#define GRADC_RUNTIME_COMPILER_H

#include "codegen/CppEmitter.h"
#include "codegen/ModuleInfo.h"
#include "ir/Graph.h"
#include "ir/Limits.h"
#include "passes/PassManager.h"

#include <functional>
#include <memory>
#include <string>

namespace gradc {

/// Options of a Compiler.
struct CompileOptions {
  int optLevel = 1;       ///< clang -O level for generated code (see JitOptions).
  std::string cpu;        ///< Target CPU; empty: the host's.
  PassManagerOptions passes; ///< Pipeline instrumentation (print-after, ...).
  /// Where the graph came from, for error messages. Not written into the
  /// generated code, so that the compile cache is keyed by content alone.
  std::string sourceName;
  /// Use the on-disk compile cache (runtime/CompileCache.h): compiling the
  /// same generated code for the same target and options again links the
  /// stored object instead of running clang and LLVM's code generator.
  bool useCache = true;
  /// The cache directory; empty means defaultCacheDirectory()
  /// ($GRADC_CACHE_DIR, else $XDG_CACHE_HOME/gradc, else ~/.cache/gradc).
  std::string cacheDir;
  /// Memory cap in bytes: no tensor of the graph, and not all buffers of a
  /// Session together, may exceed it (checked before anything is
  /// allocated). Default: GRADC_MAX_BYTES, else min(16 GiB, RAM / 4).
  uint64_t maxBytes = defaultMaxBytes();
  /// Largest generated C++ source the JIT compiles, in bytes; larger is an
  /// error (compile it ahead of time instead). Default:
  /// GRADC_MAX_SOURCE_BYTES, else 2 MiB.
  uint64_t maxSourceBytes = defaultMaxSourceBytes();
  /// Threads clang may use at once on one graph's fused unit, which a large
  /// graph splits into that many parts (codegen/UnitSplit.h); 0: one per
  /// hardware thread. 1 compiles it as one unit.
  unsigned compileThreads = 0;
  /// A GraphFamily shares compiled code between the bindings of its sizes
  /// through code templates (runtime/CodeTemplate.h); false compiles every
  /// binding on its own.
  bool codeTemplates = true;
};

/// Timings of one compile, in milliseconds. clangMs and jitMs are those of
/// the fused entry point's translation unit: compile() returns when it is
/// callable. The forward/backward pair then compiles on a second thread;
/// pairMs is its time, known once the pair is ready.
struct CompileTimes {
  double passesMs = 0, codegenMs = 0, clangMs = 0, jitMs = 0;
  /// The machine code came from the compile cache: clangMs is then the
  /// time to hash the source and read the entry, jitMs the time to link it.
  bool cacheHit = false;
  /// Linked from a code template compiled for other sizes of the same
  /// graph (runtime/SizedCompiler.h): no clang ran; jitMs is the link.
  bool instance = false;
  /// Source to callable code of the forward/backward pair (0 until ready).
  double pairMs = 0;
  /// Translation units the fused unit was compiled as (CompileOptions::
  /// compileThreads).
  unsigned parts = 1;
  /// Time until P_fwd_bwd is callable.
  double totalMs() const { return passesMs + codegenMs + clangMs + jitMs; }
};

/// A graph compiled to machine code. Immutable and safe to run from
/// several threads at once (each with its own buffers: see Session).
class CompiledGraph {
public:
  ~CompiledGraph();

  /// The graph as written, with requires-grad flags (for grad_fn names).
  const Graph &sourceGraph() const;
  /// The optimized joint graph codegen received.
  const Graph &optimizedGraph() const;
  /// Entry points and argument layout.
  const ModuleInfo &info() const;
  /// The generated C++.
  const std::string &cppSource() const;
  /// How long each stage took (pairMs: see waitForPair()).
  const CompileTimes &times() const;
  /// Blocks until the forward/backward pair, compiled in the background
  /// since compile(), is ready; throws gradc::Error if it failed to compile.
  /// forward() and backward() call it; afterwards times().pairMs is set.
  void waitForPair() const;
  /// The memory cap it was compiled with (CompileOptions::maxBytes).
  uint64_t maxBytes() const;

  /// Index of the input / output with this name, or -1.
  int inputIndex(const std::string &name) const;
  int outputIndex(const std::string &name) const;

  /// The fused forward+backward entry point (ready when compile() returns).
  FusedFn fused() const;
  /// The forward/backward pair; the first call waits for them (waitForPair).
  ForwardFn forward() const;
  BackwardFn backward() const;

private:
  friend class Compiler;
  struct Impl;
  explicit CompiledGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A graph taken through the passes and code generation, not yet compiled
/// (Compiler::prepare): what a compile needs, and what a graph with size
/// variables compares against its code templates (runtime/GraphFamily.h).
struct PreparedGraph {
  std::unique_ptr<Graph> source, optimized;
  GeneratedModule gen;
  CompileTimes times; ///< passesMs and codegenMs.
};

/// Compiles graphs. Holds the JIT; create one and reuse it. compile() may
/// be called from several threads at once. Compiled graphs do not need the
/// Compiler: it may be destroyed while a pair still compiles.
class Compiler {
public:
  /// Creates the JIT for the host CPU. Throws gradc::Error on failure.
  explicit Compiler(CompileOptions opts = {});
  ~Compiler();

  /// Differentiates, optimizes, emits and JIT-compiles a copy of `g`.
  std::unique_ptr<CompiledGraph> compile(const Graph &g) const;
  /// The first half of compile(): passes, limits and code generation.
  /// Throws gradc::Error as compile() does for what they refuse.
  PreparedGraph prepare(const Graph &g) const;
  /// The second half: clang and the JIT.
  std::unique_ptr<CompiledGraph> compile(PreparedGraph p) const;
  /// Object code of a code template (runtime/CodeTemplate.h), to be linked
  /// by instantiate() for every binding it covers. Throws gradc::Error
  /// with clang's diagnostics if it does not compile.
  std::shared_ptr<const std::string> compileTemplate(const std::string &text,
                                                     const std::string &name) const;
  /// compileTemplate() as a function that keeps the JIT alive by itself,
  /// for work that may outlive this Compiler (a pair compiled later).
  std::function<std::shared_ptr<const std::string>(const std::string &, const std::string &)>
  templateCompiler() const;
  /// The compiled graph of `p` without compiling it: links `fusedObject`,
  /// the template `p`'s fused unit is an instance of, against `fusedTable`
  /// (CodeTemplate::match). The forward/backward pair links `pairObject()`
  /// (called on a background thread, once per instance) against
  /// `pairTable` in the same way.
  std::unique_ptr<CompiledGraph>
  instantiate(PreparedGraph p, std::shared_ptr<const std::string> fusedObject,
              std::vector<uint64_t> fusedTable,
              std::function<std::shared_ptr<const std::string>()> pairObject,
              std::vector<uint64_t> pairTable) const;

  const CompileOptions &options() const { return opts_; }

private:
  struct JitHolder;
  /// What compile() and instantiate() share: a graph's state taken from
  /// `p` (its graphs, code and timings), before any machine code exists.
  std::unique_ptr<CompiledGraph::Impl> startGraph(PreparedGraph &p) const;
  /// The rest they share, once impl's fused module is in place: `pairJob`
  /// set off on its own thread to make the forward/backward pair (it sets
  /// the pair's result in the Impl it is given), the fused entry point
  /// looked up, BLAS loaded if the code calls it.
  std::unique_ptr<CompiledGraph>
  finishGraph(std::unique_ptr<CompiledGraph::Impl> impl,
              std::function<void(CompiledGraph::Impl &)> pairJob) const;
  CompileOptions opts_;
  std::unique_ptr<JitHolder> jit_;
};

/// Runs the standard pipeline on a copy of `g` up to and including the
/// optimizations; what codegen receives.
std::unique_ptr<Graph> optimizeForCodegen(const Graph &g,
                                          const PassManagerOptions &opts);

} // namespace gradc

#endif // GRADC_RUNTIME_COMPILER_H
