//===- ir/Place.h - Where the lowering plan puts values --------*- C++ -*-===//
//
// The decisions of the lowering passes about one node, kept on the node as
// typed data (Node::plan): the kernel (loop nest) that computes it, and
// where its value lives in the fused entry point and in the
// forward/backward pair. passes/Fusion and passes/BufferPlanning write
// them; codegen reads them; the IR printer shows them as the attributes
// kernel, buf and buf_split, which the IR parser drops (a parsed graph is
// planned again).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_PLACE_H
#define GRADC_IR_PLACE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradc {

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
  bool operator==(const ValuePlace &o) const {
    return home == o.home && extras == o.extras;
  }
  bool operator!=(const ValuePlace &o) const { return !(*this == o); }
};

/// The lowering plan's decisions for one node.
struct NodePlan {
  int kernel = -1;                 ///< Its kernel, or -1 (no code of its own).
  std::optional<ValuePlace> fused; ///< Its places in the fused entry point.
  std::optional<ValuePlace> split; ///< Its places in forward/backward.
};

} // namespace gradc

#endif // GRADC_IR_PLACE_H
