//===- passes/Fusion.h - Groups nodes into kernels -------------*- C++ -*-===//
//
// Decides which nodes share one loop nest (a "kernel"), over the whole
// joint graph: forward and backward nodes fuse alike, so the seed chain's
// forward mean and its backward gradient run in one pass over x.
//
//   - Elementwise nodes and reductions fuse along producer -> consumer edges
//     when both iterate over the same shape; the producer's value then stays
//     in a register. A reduction ends a chain: its result is complete only
//     after the loop, so nothing in the same kernel may read it.
//   - A matmul becomes a BLAS call heading a kernel; elementwise consumers
//     of its result (bias, activation, the relu mask of the backward, the
//     column sums of a bias gradient) form its epilogue loop.
//   - A transpose of the last two dims read only by matmuls is folded into
//     the BLAS call (a transposed operand) and computes nothing.
//   - Everything else is a kernel of its own (softmax, cross_entropy, ...).
//
// Merging two kernels is legal only if no path leaves one and re-enters
// the other (the kernel graph stays acyclic), and a kernel holds at most
// 64 nodes (compile time grows faster than the loop body). Nodes are reordered so each
// kernel's nodes are contiguous and kernels appear in execution order; each
// computed node gets a `kernel` attribute (see passes/Lowering.h).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_FUSION_H
#define GRADC_PASSES_FUSION_H

#include "passes/Pass.h"

#include <memory>

namespace gradc {

/// Assigns kernels (replacing earlier lowering decisions); true if the
/// graph changed. With `fuse` false every computed node gets a kernel of
/// its own (the unoptimized lowering; transposes still fold into GEMMs).
bool fuseKernels(Graph &g, bool fuse = true);

/// The transformation as a pass named "fusion".
std::unique_ptr<Pass> createFusionPass();

} // namespace gradc

#endif // GRADC_PASSES_FUSION_H
