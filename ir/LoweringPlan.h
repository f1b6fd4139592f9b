//===- ir/LoweringPlan.h - The vocabulary of the lowering plan -*- C++ -*-===//
//
// The lowering passes (passes/Fusion, passes/BufferPlanning) record their
// decisions in Node::plan (ir/Place.h), and codegen (codegen/Schedule)
// reads them; passes/Lowering.h documents them. This file holds what both
// sides share beside that: the spelling of the plan in printed IR, the slot
// size of a value, a node's kernel and the storage a view reads. It lives
// in ir/ because passes and codegen both build on ir and not on each other.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_LOWERINGPLAN_H
#define GRADC_IR_LOWERINGPLAN_H

#include "ir/Graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradc {

/// How the IR printer spells the lowering decisions (Node::plan) as
/// attributes; the IR parser drops attributes of these names.
inline constexpr const char *kKernelAttr = "kernel";
inline constexpr const char *kBufAttr = "buf";
inline constexpr const char *kSplitBufAttr = "buf_split";

/// Alignment of every buffer slot in the workspace and the context.
inline constexpr uint64_t kSlotAlign = 64;

/// The bytes a value takes in the workspace or the context: its size
/// rounded up to kSlotAlign.
uint64_t slotBytes(const Node *n);

/// The kernel of `n` (Node::plan), or -1 without one.
inline int kernelOf(const Node *n) { return n->plan.kernel; }

/// True for a node without code of its own that reads its operand's
/// storage: a reshape-like alias, or a node the fusion pass left without a
/// kernel (a transpose folded into a GEMM call).
bool isStorageView(const Node *n);

/// Follows storage views to the node that owns the storage.
const Node *storageRoot(const Node *n);

} // namespace gradc

#endif // GRADC_IR_LOWERINGPLAN_H
