//===- passes/Pipeline.h - The standard pipelines --------------*- C++ -*-===//
#ifndef GRADC_PASSES_PIPELINE_H
#define GRADC_PASSES_PIPELINE_H

#include "passes/PassManager.h"

namespace gradc {

/// Which part of the standard pipeline to build.
enum class PipelineStage {
  Analysis, ///< requires-grad only: the forward graph as written.
  Grad,     ///< + autodiff: the joint graph, unoptimized.
  Opt,      ///< + the optimizations: what codegen receives.
};

/// Adds the passes of the standard pipeline up to `stage` to `pm`. For a
/// graph that is already differentiated (read back from a grad-ir dump),
/// the analysis and autodiff are left out.
void buildPipeline(PassManager &pm, PipelineStage stage,
                   bool differentiated = false);

/// The reference lowering the optimizations are tested against: autodiff,
/// DCE, one kernel per node and bytes of its own for every value (no
/// simplification, folding, CSE, fusion, recompute or buffer reuse).
void buildReferencePipeline(PassManager &pm, bool differentiated = false);

/// The pass called `name` (as --print-after and `gradc opt --passes` spell
/// it: requires-grad, autodiff, const-fold, simplify, cse, dce, fusion,
/// recompute, buffer-plan), or nullptr for an unknown name.
std::unique_ptr<Pass> createPassByName(const std::string &name);

/// The names createPassByName knows, in pipeline order.
std::vector<std::string> passNames();

/// True if `g` already has seeds or gradients (it went through autodiff).
bool isDifferentiated(const Graph &g);

} // namespace gradc

#endif // GRADC_PASSES_PIPELINE_H
