//===- passes/BufferPlanning.h - Static buffer assignment ------*- C++ -*-===//
//
// Decides where every value of a fused graph lives (passes/Lowering.h has
// the attribute syntax), once for the fused entry point (`buf`) and once
// for the forward/backward pair (`buf_split`):
//
//   - values used only inside their kernel stay in registers;
//   - outputs are computed straight into the caller's output buffers, and
//     gradients straight into the caller's gradient buffers (a GEMM whose
//     result is only a gradient writes it with beta = accumulate);
//   - everything else gets workspace, planned by liveness over the kernel
//     sequence: buffers whose lifetimes do not overlap share bytes (greedy
//     by size, lowest free offset first), and an elementwise result may
//     take over the buffer of an operand that dies in the same kernel when
//     every access is at the same index (in place);
//   - in the forward/backward pair, values the backward reads (including
//     inputs) are saved in the context instead.
//
// The module reports the resulting sizes (codegen/ModuleInfo.h); dumps show
// them after the graph.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_BUFFERPLANNING_H
#define GRADC_PASSES_BUFFERPLANNING_H

#include "passes/Pass.h"

#include <cstdint>
#include <memory>
#include <string>

namespace gradc {

/// Byte sizes a buffer plan implies.
struct BufferPlanSizes {
  uint64_t fusedWorkspace = 0; ///< NAME_fwd_bwd's workspace
  uint64_t context = 0;        ///< kept from NAME_forward to NAME_backward
  uint64_t workspace = 0;      ///< scratch of NAME_forward / NAME_backward
  int kernels = 0;
};

/// Plans the buffers of `g` (running fusion without merging first if no
/// node has a kernel yet); true if any attribute changed. With `reuse`
/// false every workspace value gets bytes of its own (a reference plan).
bool planBuffers(Graph &g, bool reuse = true);

/// The sizes a planned graph needs (all zero when it carries no plan).
BufferPlanSizes bufferPlanSizes(const Graph &g);

/// A one-line comment describing the plan (empty without a plan), printed
/// after the IR in dumps.
std::string describeBufferPlan(const Graph &g);

/// The transformation as a pass named "buffer-plan".
std::unique_ptr<Pass> createBufferPlanningPass(bool reuse = true);

} // namespace gradc

#endif // GRADC_PASSES_BUFFERPLANNING_H
