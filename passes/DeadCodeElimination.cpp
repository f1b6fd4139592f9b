//===- passes/DeadCodeElimination.cpp - Removes unused nodes --------------===//
#include "passes/DeadCodeElimination.h"

#include "passes/GraphRewrite.h"

namespace gradc {

bool eliminateDeadCode(Graph &g) { return removeDeadNodes(g); }

namespace {
class DCEPass : public Pass {
public:
  std::string name() const override { return "dce"; }
  bool run(Graph &g) override { return eliminateDeadCode(g); }
};
} // namespace

std::unique_ptr<Pass> createDCEPass() { return std::make_unique<DCEPass>(); }

} // namespace gradc
