//===- passes/Pipeline.cpp - The standard pipelines -----------------------===//
#include "passes/Pipeline.h"

#include "passes/Autodiff.h"
#include "passes/BufferPlanning.h"
#include "passes/CSE.h"
#include "passes/ConstantFold.h"
#include "passes/DeadCodeElimination.h"
#include "passes/ExpandGrad.h"
#include "passes/Fusion.h"
#include "passes/Recompute.h"
#include "passes/RequiresGrad.h"
#include "passes/Simplify.h"

namespace gradc {

bool isDifferentiated(const Graph &g) {
  return !g.gradients().empty() || !g.seeds().empty();
}

void buildPipeline(PassManager &pm, PipelineStage stage, bool differentiated) {
  // The analysis also runs on differentiated graphs (read back from a
  // grad-ir dump), where it marks only forward nodes. Gradients used as
  // values (grad nodes) become ordinary nodes first.
  pm.add(createExpandGradPass());
  pm.add(createRequiresGradPass());
  if (stage == PipelineStage::Analysis) return;
  if (!differentiated) pm.add(createAutodiffPass());
  if (stage == PipelineStage::Grad) return;
  pm.add(createConstantFoldPass());
  pm.add(createSimplifyPass());
  pm.add(createCSEPass());
  pm.add(createDCEPass());
  pm.add(createFusionPass());
  pm.add(createRecomputePass());
  pm.add(createBufferPlanningPass());
}

void buildReferencePipeline(PassManager &pm, bool differentiated) {
  pm.add(createExpandGradPass());
  pm.add(createRequiresGradPass());
  if (!differentiated) pm.add(createAutodiffPass());
  pm.add(createDCEPass());
  pm.add(createBufferPlanningPass(/*reuse=*/false));
}

} // namespace gradc
