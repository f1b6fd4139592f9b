//===- codegen/LoopSpace.h - The iteration space of a loop kernel -*- C++ -*-===//
//
// A loop kernel iterates over its domain shape. Neighbouring dims are
// merged when every access (operand reads, reduced dims) treats them alike,
// so most kernels become one flat loop: the loop variables are i0, i1, ...
// over the collapsed dims. A dim of size 1 is a loop like any other (of one
// trip, which clang folds away), and an operand of extent 1 there reads it
// like the domain does: so the code of a batch of 1 has the structure of
// every other batch size, and a graph with a symbolic batch shares it
// (docs/symbolic-sizes.md). A dim of size 1 that every access treats like
// its neighbour merges into it, as before.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_LOOPSPACE_H
#define GRADC_CODEGEN_LOOPSPACE_H

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace gradc {

/// Which dims of a domain an access uses: a per-dim flag (present for an
/// operand, reduced for a reduction), aligned to the domain's rank.
using DimPattern = std::vector<bool>;

/// The collapsed iteration space of a loop kernel.
class LoopSpace {
public:
  /// Collapses `domain` for accesses with the given patterns (each of the
  /// domain's rank).
  LoopSpace(const Shape &domain, const std::vector<DimPattern> &patterns);

  /// The pattern of an operand of shape `s` in `domain` (aligned to the
  /// trailing dims): true where it has the domain's extent, false where it
  /// broadcasts (extent 1 in a dim of the domain's that is larger).
  static DimPattern presentDims(const Shape &s, const Shape &domain);
  /// The pattern of the dims reduction `n` reduces (absent `dim`: all).
  static DimPattern reducedDims(const Node *n, size_t domainRank);

  /// A domain pattern mapped to the collapsed dims.
  DimPattern collapse(const DimPattern &orig) const;
  int rank() const { return static_cast<int>(dims_.size()); }
  const std::vector<int64_t> &dims() const { return dims_; }
  int64_t numel() const;
  /// The row-major offset, in loop variables, of the dims marked in `mask`.
  std::string offset(const DimPattern &mask) const;
  /// The offset of a full-shape value.
  std::string flat() const { return offset(DimPattern(dims_.size(), true)); }

private:
  std::vector<int64_t> dims_;
  std::vector<size_t> firstOf_; ///< Domain dim each collapsed dim starts at.
};

} // namespace gradc

#endif // GRADC_CODEGEN_LOOPSPACE_H
