//===- passes/Recompute.h - Recompute or store backward values -*- C++ -*-===//
//
// After fusion, a value computed in one kernel and read by another must be
// written to memory and read back. For a cheap elementwise value that is
// only a register in its own kernel, recomputing it where it is needed can
// cost less: the reading kernel then loads the value's inputs instead. This
// is the classic rematerialization trade-off of reverse mode (the backward
// needs forward values), decided per value by a cost model in bytes moved:
//
//   store:      write v once, read it in each of the K reading kernels:
//               bytes(v) * (1 + K)
//   recompute:  each reading kernel loads the inputs of v's recomputed
//               chain that it does not load already; at most 8 ops per
//               kernel, from values that are in memory anyway.
//
// Recompute wins ties (no extra memory). The clones join the reading
// kernels; the original becomes a register (or dead).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_RECOMPUTE_H
#define GRADC_PASSES_RECOMPUTE_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Applies the decision to every candidate of a fused graph (one with
/// kernel attributes; others are left alone); true if anything changed.
bool rematerializeValues(Graph &g);

/// The transformation as a pass named "recompute".
std::unique_ptr<Pass> createRecomputePass();

} // namespace gradc

#endif // GRADC_PASSES_RECOMPUTE_H
