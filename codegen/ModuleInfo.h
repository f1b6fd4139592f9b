//===- codegen/ModuleInfo.h - What a generated module exports --*- C++ -*-===//
//
// The ABI of a generated translation unit (DESIGN.md, "Generated code and
// its ABI"). With P = symbolPrefix:
//
//   unsigned long long P_fwd_bwd(const void *const *inputs,
//                  void *const *outputs, void *const *grads,
//                  const void *const *seeds, unsigned long long flags,
//                  void *workspace);
//   unsigned long long P_forward(const void *const *inputs,
//                  void *const *outputs, void *context, void *workspace);
//   unsigned long long P_backward(const void *context, void *const *grads,
//                  const void *const *seeds, unsigned long long flags,
//                  void *workspace);
//
// Each returns 0, or the status of the first check that failed (an index
// out of range: codegen/EntryStatus.h); the outputs are then unspecified,
// but no buffer was read or written outside its bounds.
// inputs: one per graph input, in declaration order. outputs: one per
// output. grads: one per requires_grad input, in input order; a null entry
// skips that gradient. seeds: one per output; null means "not a backward
// root". flags bit 0: accumulate (grads += ...) instead of overwrite.
// Buffers are row-major, of the declared dtype. The fused entry point
// needs `fusedWorkspaceBytes` of workspace; forward/backward need
// `contextBytes` of context (kept between them; backward may run any
// number of times on one context) and `workspaceBytes` of scratch each.
// Workspaces and contexts must be 64-byte aligned.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_MODULEINFO_H
#define GRADC_CODEGEN_MODULEINFO_H

#include "ir/Types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gradc {

/// Bit 0 of the flags word: add into gradient buffers instead of storing.
constexpr uint64_t kFlagAccumulate = 1;

/// One tensor argument of the generated entry points.
struct TensorArg {
  std::string name;      ///< Input/output name as the user wrote it.
  TensorType type;
  bool requiresGrad = false; ///< Inputs: has a gradient buffer. Outputs:
                             ///< requires grad (may be a backward root).
  bool hasSeed = false;      ///< Outputs: can be a backward root.
  std::string gradFn;        ///< Outputs: PyTorch grad_fn name, if any.
};

/// A place in the generated code that checks what only the data reveals
/// (an index against its range). A failing check makes the entry point
/// return a status naming its site (codegen/EntryStatus.h).
struct StatusSite {
  std::string node;  ///< The node's name as the user wrote it.
  std::string what;  ///< What is checked: "index", "target", "class".
  int64_t bound = 0; ///< Valid values are [0, bound).
};

/// Description of a generated module: its symbols and argument layout.
struct ModuleInfo {
  std::string graphName;
  std::string symbolPrefix;
  std::vector<TensorArg> inputs;
  std::vector<TensorArg> outputs;
  std::vector<size_t> gradInputs; ///< Indices into inputs, in grads order.
  uint64_t fusedWorkspaceBytes = 0;
  uint64_t contextBytes = 0;
  uint64_t workspaceBytes = 0;
  /// The code calls CBLAS (cblas_sgemm/cblas_dgemm: a matrix product), so
  /// the BLAS library must be loadable.
  bool callsBlas = false;
  /// The check sites; site k (1-based) of a status is statusSites[k - 1].
  std::vector<StatusSite> statusSites;

  std::string fusedSymbol() const { return symbolPrefix + "_fwd_bwd"; }
  std::string forwardSymbol() const { return symbolPrefix + "_forward"; }
  std::string backwardSymbol() const { return symbolPrefix + "_backward"; }
};

/// Signatures of the entry points, for hosts that call them.
/// Each returns a status: 0, or a failed check (codegen/EntryStatus.h).
using FusedFn = unsigned long long (*)(const void *const *, void *const *,
                                       void *const *, const void *const *,
                                       unsigned long long, void *);
using ForwardFn = unsigned long long (*)(const void *const *, void *const *,
                                         void *, void *);
using BackwardFn = unsigned long long (*)(const void *, void *const *,
                                          const void *const *,
                                          unsigned long long, void *);

} // namespace gradc

#endif // GRADC_CODEGEN_MODULEINFO_H
