//===- passes/DeadCodeElimination.h - Removes unused nodes -----*- C++ -*-===//
//
// Keeps what outputs and gradients need, plus every input and seed (one
// argument slot each in the ABI); removes the rest.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_DEADCODEELIMINATION_H
#define GRADC_PASSES_DEADCODEELIMINATION_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Removes nodes no output or gradient depends on; true if any was removed.
bool eliminateDeadCode(Graph &g);

/// The transformation as a pass named "dce".
std::unique_ptr<Pass> createDCEPass();

} // namespace gradc

#endif // GRADC_PASSES_DEADCODEELIMINATION_H
