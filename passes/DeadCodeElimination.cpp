//===- passes/DeadCodeElimination.cpp - Removes unused nodes --------------===//
#include "passes/DeadCodeElimination.h"

#include "passes/GraphRewrite.h"

namespace gradc {

bool eliminateDeadCode(Graph &g) { return removeDeadNodes(g); }

std::unique_ptr<Pass> createDCEPass() {
  return makePass("dce", eliminateDeadCode);
}

} // namespace gradc
