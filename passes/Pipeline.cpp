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

namespace {

using PassFactory = std::unique_ptr<Pass> (*)();

/// Every pass by name, in the order of the standard pipeline.
const std::vector<std::pair<std::string, PassFactory>> &passRegistry() {
  static const std::vector<std::pair<std::string, PassFactory>> r = {
      {"requires-grad", createRequiresGradPass},
      {"autodiff", createAutodiffPass},
      {"const-fold", createConstantFoldPass},
      {"simplify", createSimplifyPass},
      {"cse", createCSEPass},
      {"dce", createDCEPass},
      {"fusion", createFusionPass},
      {"recompute", createRecomputePass},
      {"buffer-plan", [] { return createBufferPlanningPass(); }},
  };
  return r;
}

} // namespace

std::unique_ptr<Pass> createPassByName(const std::string &name) {
  for (const auto &[n, make] : passRegistry())
    if (n == name) return make();
  return nullptr;
}

std::vector<std::string> passNames() {
  std::vector<std::string> r;
  for (const auto &entry : passRegistry()) r.push_back(entry.first);
  return r;
}

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
