//===- runtime/InputInit.h - Values of inputs from their init --*- C++ -*-===//
//
// Materializes an input's `init` (zeros, ones, a number, literal data,
// randn/rand with a seed). randn and rand use gradc's own generator
// (SplitMix64, Box-Muller for normals), so a seed gives the same values on
// every machine; they are not PyTorch's values for the same seed.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_INPUTINIT_H
#define GRADC_RUNTIME_INPUTINIT_H

#include "ir/Graph.h"
#include "runtime/Tensor.h"

namespace gradc {

/// True if the input declares an init.
bool hasInit(const Node &input);
/// The input's initial value. Throws gradc::Error if it declares no init.
Tensor materializeInit(const Node &input);

} // namespace gradc

#endif // GRADC_RUNTIME_INPUTINIT_H
