//===- passes/Pipeline.cpp - The standard pipelines -----------------------===//
#include "passes/Pipeline.h"

#include "passes/Autodiff.h"
#include "passes/DeadCodeElimination.h"
#include "passes/RequiresGrad.h"

namespace gradc {

bool isDifferentiated(const Graph &g) {
  return !g.gradients().empty() || !g.seeds().empty();
}

void buildPipeline(PassManager &pm, PipelineStage stage, bool differentiated) {
  if (!differentiated) {
    pm.add(createRequiresGradPass());
    if (stage == PipelineStage::Analysis) return;
    pm.add(createAutodiffPass());
  }
  if (stage == PipelineStage::Grad) return;
  pm.add(createDCEPass());
}

} // namespace gradc
