//===- ir/LoweringPlan.h - The vocabulary of the lowering plan -*- C++ -*-===//
//
// The lowering passes (passes/Fusion, passes/BufferPlanning) record their
// decisions in node attributes, and codegen (codegen/Schedule) reads them
// back; passes/Lowering.h documents the attributes. This file is the one
// definition both sides share: the attribute names, the typed placement
// of a value (Place, ValuePlace) with its one parser and printer, the slot
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

/// Attribute names of the lowering decisions.
inline constexpr const char *kKernelAttr = "kernel";
inline constexpr const char *kBufAttr = "buf";
inline constexpr const char *kSplitBufAttr = "buf_split";

/// Alignment of every buffer slot in the workspace and the context.
inline constexpr uint64_t kSlotAlign = 64;

/// The bytes a value takes in the workspace or the context: its size
/// rounded up to kSlotAlign.
uint64_t slotBytes(const Node *n);

/// Where one copy of a value lives.
struct Place {
  enum Kind { None, Reg, Workspace, Context, Output, Grad };
  Kind kind = None;
  uint64_t offset = 0; ///< Workspace / Context: byte offset.
  int index = 0;       ///< Output / Grad: argument index.
  bool operator==(const Place &o) const {
    return kind == o.kind && offset == o.offset && index == o.index;
  }
  /// The attribute spelling: reg, ws+OFF, ctx+OFF, out#K, grad#J.
  std::string str() const;
};

/// A value's home (where readers find it) and the extra copies its kernel
/// stores (caller outputs, gradients).
struct ValuePlace {
  Place home;
  std::vector<Place> extras;
  /// The attribute spelling: the places separated by spaces, home first.
  std::string str() const;
};

/// The placement `attr` (kBufAttr or kSplitBufAttr) of `n`, or nullopt
/// when `n` has none. A malformed one is an InternalError: only the
/// buffer-plan pass writes these attributes (the IR parser drops them).
std::optional<ValuePlace> placeOf(const Node *n, const char *attr);

/// The kernel of `n`, or -1 without one. A malformed attribute is an
/// InternalError.
int kernelOf(const Node *n);

/// True for a node without code of its own that reads its operand's
/// storage: a reshape-like alias, or a node the fusion pass left without a
/// kernel (a transpose folded into a GEMM call).
bool isStorageView(const Node *n);

/// Follows storage views to the node that owns the storage.
const Node *storageRoot(const Node *n);

} // namespace gradc

#endif // GRADC_IR_LOWERINGPLAN_H
