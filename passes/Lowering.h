//===- passes/Lowering.h - How nodes map to loops and buffers --*- C++ -*-===//
//
// The vocabulary shared by the lowering passes (fusion, recompute,
// buffer-plan). Their decisions are recorded in the IR itself, in each
// node's typed plan (Node::plan, ir/Place.h), which IR dumps show as these
// attributes and codegen follows:
//
//   kernel = K      the node is computed by kernel K (kernels are numbered
//                   in execution order; a kernel's nodes are contiguous).
//                   Nodes without it are leaves or views (reshape-like ops
//                   and transposes folded into GEMM calls): no code.
//   buf = "..."     where the value lives in the fused NAME_fwd_bwd entry
//                   point: a space-separated list whose first entry is the
//                   home readers use and the rest are extra copies stored
//                   by the same kernel:
//                     reg          kept in registers inside its kernel
//                     ws+OFF       workspace bytes [OFF, OFF + size)
//                     ctx+OFF      context bytes (forward/backward only)
//                     out#K        the caller's output buffer K
//                     grad#J       the caller's gradient buffer J (added
//                                  to when accumulating; skipped if null)
//                   On a seed, "ws+OFF" is where zeros stand in for a null
//                   seed pointer.
//   buf_split = ".." the same for the separate NAME_forward/NAME_backward
//                   entry points, where values the backward reads are
//                   saved in the context.
//
// codegen/Schedule reads the plans; it is the other half of this contract,
// and ir/LoweringPlan.h holds what both halves share beside the plan
// (kernelOf, slot sizes, storageRoot, the printed attribute names). The IR
// parser drops the printed attributes: a parsed graph is planned again by
// the pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_LOWERING_H
#define GRADC_PASSES_LOWERING_H

#include "ir/Graph.h"
#include "ir/LoweringPlan.h"

#include <unordered_map>
#include <vector>

namespace gradc {

/// The most nodes one kernel may hold. clang's optimization time grows
/// faster than linearly with the size of a loop body; past a few dozen ops
/// another pass over memory costs less than the compile.
inline constexpr size_t kMaxKernelNodes = 64;

/// How a node is computed.
enum class LoweringRole {
  Leaf,        ///< input, constant, seed: storage provided
  View,        ///< reshape-like: the operand's storage, reinterpreted
  Elementwise, ///< one value per element of its shape (incl. expand)
  Reduction,   ///< sum/mean/max/min over some dims of its operand
  Gemm,        ///< a matmul done by a BLAS call
  Opaque,      ///< anything else: its own loop nest from codegen/OpEmitter
};

/// The role of `n` by its op alone (a transpose is Opaque here; the fusion
/// pass folds some into GEMM calls, which then have no kernel).
LoweringRole loweringRole(const Node *n);

/// True for matmul and for the internal _gemm (a matmul whose operands may
/// be read transposed, per its trans_a / trans_b attributes).
inline bool isMatmulLike(const Node *n) { return isMatmulLike(n->op); }

/// The iteration space of a loop-fusible node: its shape (elementwise,
/// GEMM) or its operand's shape (reduction).
const Shape &loopDomain(const Node *n);

/// A node with a kernel that reads some storage.
struct StorageReader {
  const Node *node;
  bool direct; ///< Only as a direct operand, never through a view.
};

/// For every node that owns storage: the nodes with a kernel that read it,
/// directly or through views (each reader once, in graph order). Linear in
/// the number of operands, however many a node has.
std::unordered_map<const Node *, std::vector<StorageReader>>
storageReaders(const Graph &g);

} // namespace gradc

#endif // GRADC_PASSES_LOWERING_H
