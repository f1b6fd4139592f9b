//===- codegen/CppEmitter.h - IR to one C++ translation unit ---*- C++ -*-===//
//
// Emits a self-contained C++17 translation unit (no #include; the few math
// and BLAS functions it calls are declared in its prelude and resolved from
// the host process by the JIT, or by the linker ahead of time) implementing
// the entry points described in codegen/ModuleInfo.h.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_CPPEMITTER_H
#define GRADC_CODEGEN_CPPEMITTER_H

#include "codegen/ModuleInfo.h"
#include "ir/Graph.h"

#include <string>

namespace gradc {

/// Generated source plus the description of its entry points.
struct GeneratedModule {
  /// The whole module as one translation unit (ahead-of-time builds, dumps).
  std::string source;
  /// The same code as two translation units that compile and link on their
  /// own, each with its own copy of the kernels both call (static):
  /// P_fwd_bwd with the size functions, and P_forward/P_backward. The JIT
  /// compiles them separately, so the fused entry point does not wait for
  /// the pair.
  std::string fusedUnit, pairUnit;
  ModuleInfo info;
};

/// Emits C++ for `g`, a graph after autodiff and the lowering passes of
/// the optimization pipeline (fusion, buffer-plan: its nodes carry kernel
/// and buffer attributes; it may have no seeds or gradients, in which case
/// backward does nothing). `sourceName` (e.g. the
/// graph file) is recorded, escaped, in the header comment. Throws
/// gradc::Error for ops codegen does not support. `symbolPrefix` (a C
/// identifier) names the entry points; empty: the graph's name mangled.
GeneratedModule emitCpp(const Graph &g, const std::string &sourceName = "",
                        const std::string &symbolPrefix = "");

} // namespace gradc

#endif // GRADC_CODEGEN_CPPEMITTER_H
