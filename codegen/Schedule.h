//===- codegen/Schedule.h - The lowering plan, read from the IR -*- C++ -*-===//
//
// The optimization pipeline records its lowering decisions in node
// attributes (passes/Lowering.h documents them): `kernel = K` (which loop
// nest or BLAS call computes the node), `buf` and `buf_split` (where each
// value lives in the fused entry point and in the forward/backward pair).
// This file reads them back into the structures the emitters walk, for
// each of the three entry points, and checks them enough that a bad plan
// is an error here, not memory corruption at run time.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_SCHEDULE_H
#define GRADC_CODEGEN_SCHEDULE_H

#include "ir/Graph.h"
#include "ir/LoweringPlan.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace gradc {

/// The three entry points.
enum class Entry { Fused, Forward, Backward };

/// One kernel of one entry point.
struct KernelPlan {
  enum Kind { Loop, Gemm, Opaque };
  Kind kind = Loop;
  int id = 0;                         ///< The `kernel` attribute.
  const Node *head = nullptr;         ///< Gemm: the matmul; Opaque: the node.
  std::vector<const Node *> loop;     ///< Loop part (elementwise/reductions).
  Shape domain;                       ///< Shape the loop part iterates over.
};

/// The lowering of one entry point.
struct EntryPlan {
  Entry entry = Entry::Fused;
  std::vector<KernelPlan> kernels;
  /// Computed nodes, seeds with a zero fallback, inputs saved in the context.
  std::unordered_map<const Node *, ValuePlace> places;
};

/// The lowering of a whole graph.
struct Schedule {
  EntryPlan fused, forward, backward;
  uint64_t fusedWorkspaceBytes = 0, contextBytes = 0, workspaceBytes = 0;
  /// Nodes that depend on a seed (computed by the backward entry point).
  std::unordered_map<const Node *, bool> isBackward;
};

/// Reads the plan of `g`. Throws gradc::Error if `g` has none (it did not
/// go through the fusion and buffer-plan passes) or if it is inconsistent.
Schedule readSchedule(const Graph &g);

} // namespace gradc

#endif // GRADC_CODEGEN_SCHEDULE_H
