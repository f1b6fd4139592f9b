//===- runtime/AotRange.h - One AOT object for a range of sizes -*- C++ -*-===//
//
// `gradc compile GRAPH --size B=1..256` writes one NAME.cpp / NAME.o for
// every binding of the range. The code of each binding is generated (as
// for `--size B=N`), the bindings are grouped by the structure of their
// code, and each group becomes one code template (runtime/CodeTemplate.h)
// whose literals every member's table holds. The templates' code is
// rewritten to take its table as a parameter (runtime/TableThreading.h)
// and put in a namespace of its own; the unit then holds every table in a
// constant array and exports entry points that take the sizes:
//
//   P_sized_fwd_bwd(const long long *sizes, <P_fwd_bwd's arguments>)
//   P_sized_forward / P_sized_backward (the same, after `sizes`)
//   P_sized_fused_workspace_bytes(const long long *sizes), and the context
//   and workspace sizes alike
//
// `sizes` lists the size variables in the order of AotRangeModule::ranges.
// Each binding runs its own code, as the per-size object would, with the
// constants read from its table: the same bits. A size outside the range
// makes an entry point return kSizeStatusSite << 48 | the size (48 bits),
// and a byte-size function 0.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_AOTRANGE_H
#define GRADC_RUNTIME_AOTRANGE_H

#include "codegen/CppEmitter.h"
#include "ir/SizeVars.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gradc {

/// The status site (bits 48-63) of a size outside the range.
constexpr uint64_t kSizeStatusSite = 0xFFFF;

/// The values LO..HI of one size variable (LO == HI: a fixed size).
struct SizeRange {
  std::string name;
  int64_t lo = 0, hi = 0;
  int64_t count() const { return hi - lo + 1; }
};

/// Limits of a range build.
struct AotRangeOptions {
  /// Most templates (code structures) a range may need.
  size_t maxTemplates = 16;
  /// Most bindings (the product of the ranges' counts).
  int64_t maxBindings = 4096;
  /// The flag the ranges came from, for messages ("--size").
  std::string flag = "--size";
};

/// The unit of a range build and what its header declares.
struct AotRangeModule {
  /// NAME.cpp: self-contained, like a per-size unit.
  std::string source;
  /// The module of the first binding (every range at LO): names, dtypes,
  /// argument order and check sites are the same at every binding.
  ModuleInfo info;
  /// The size variables, in the order the entry points' `sizes` lists them.
  std::vector<SizeRange> ranges;
  /// Per template: its slots (slots of equal values at every binding
  /// merged) and how many bindings it serves.
  std::vector<size_t> slots, bindings;
};

/// Generates the code of one binding of every size variable.
using RangeGenerator = std::function<GeneratedModule(const SizeBinding &)>;

/// Builds the unit serving every binding of `ranges` (validated: LO <= HI,
/// LO >= 0, at most options.maxBindings bindings). Throws gradc::Error
/// naming options.flag for a bad range, a binding that does not load (with
/// its sizes), and a range that needs more than options.maxTemplates
/// templates; and for code whose table cannot be threaded (an emitter's
/// form TableThreading does not know).
AotRangeModule buildAotRange(const std::vector<SizeRange> &ranges,
                             const RangeGenerator &generate,
                             const AotRangeOptions &options = {});

} // namespace gradc

#endif // GRADC_RUNTIME_AOTRANGE_H
