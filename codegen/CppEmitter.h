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
#include <vector>

namespace gradc {

/// One kernel function of a generated module, in the pieces a unit split
/// for a parallel compile needs (codegen/UnitSplit.h).
struct KernelText {
  std::string name;
  /// Inlined into its entry point (always_inline): stays in that unit.
  bool inlined = false;
  /// What the function needs before it: a comment, helper structs and
  /// functions (static: private to whichever unit holds the kernel).
  std::string helpers;
  /// The function without linkage keyword: `[attributes] void NAME(...) {...}`.
  std::string function;
  /// `void NAME(...);`, for a unit that calls it but does not define it.
  std::string declaration;
  /// helpers + `static ` + function: the kernel in a single unit.
  std::string definition;
};

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
  /// fusedUnit in pieces: fusedHead (header comment, prelude, constants),
  /// the definitions of fusedKernels in call order, fusedTail (P_fwd_bwd
  /// and the size functions).
  std::string fusedHead, fusedTail;
  std::vector<KernelText> fusedKernels;
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
