//===- codegen/LoopSpace.h - The iteration space of a loop kernel -*- C++ -*-===//
//
// A loop kernel iterates over its domain shape. Dims of size 1 are dropped
// and neighbouring dims merged when every access (operand reads, reduced
// dims) treats them alike, so most kernels become one flat loop: the loop
// variables are i0, i1, ... over the collapsed dims.
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

  /// The pattern of an operand of shape `s` (aligned to the trailing dims):
  /// true where it has the domain's extent, false where it broadcasts.
  static DimPattern presentDims(const Shape &s, size_t domainRank);
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
