//===- codegen/ReductionCode.h - Code of the reductions of a loop -*- C++ -*-===//
//
// The pieces of C++ a loop kernel's reductions need. A reduction over the
// loop's trailing dims keeps kReductionLanes partial results: each strip of
// operands is staged in an array, read back as a vector (the GCC/clang
// vector extension) and combined with the lanes as a whole vector, which
// clang turns into SIMD without -ffast-math; at the end the lanes are combined in a fixed tree.
// Other reductions accumulate into their result buffer in place.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_REDUCTIONCODE_H
#define GRADC_CODEGEN_REDUCTIONCODE_H

#include "codegen/LoopSpace.h"

#include <string>
#include <vector>

namespace gradc {

/// Partial results per lane-reduced value.
constexpr int kReductionLanes = 16;

/// A memory destination of a value computed by a loop.
struct Sink {
  std::string name;  ///< Kernel parameter.
  bool grad = false; ///< A gradient buffer: added to, skipped when null.
};

/// One reduction of a loop kernel.
struct Reduction {
  const Node *node = nullptr;
  DimPattern reduced;    ///< Per collapsed dim.
  int suffix = -1;       ///< First dim of a trailing reduced run, or -1.
  /// First dim of the trailing run of reduced dims (rank when the last dim
  /// is kept); equal to suffix whenever suffix >= 0. A reduction with suffix < 0 and tail < rank also reduces
  /// dims before a kept one: it sums each trailing run in lanes, then adds
  /// the run's total into its result in place.
  int tail = -1;
  std::string acc, init; ///< Accumulator type and initial value.
  std::string home;      ///< Result buffer (parameter name).
  std::vector<Sink> extras;
  int64_t count = 1;     ///< Elements reduced into each result.
};

/// Sets r.acc and r.init for r.node: double (f32/f64 sums) or long long
/// accumulators; max/min keep the element type and start at -inf/+inf.
void setAccumulator(Reduction &r);

/// The C++ element type of the reduced operand.
std::string reductionOperandType(const Reduction &r);
/// The name of the 16-element vector type of `elem`.
std::string laneVectorType(const std::string &elem);
/// Typedefs of the vector types `reds` use.
std::string laneTypedefs(const std::vector<Reduction> &reds);

/// Declares the accumulator a<id> (a vector of lanes, or one element).
std::string declareAccumulator(const Reduction &r, int lanes);
/// Declares the staging array z<id> of a strip.
std::string stageVector(const Reduction &r);
/// Combines a strip's staged values, read as one vector, into the lanes.
std::string addStaged(const Reduction &r);
/// a<id>[lane] updated with `x`, one element (remainders, lanes == 1).
std::string accumulateLane(const Reduction &r, const std::string &lane,
                           const std::string &x);

/// `x` and `y` combined (sum or max/min with NaN propagation).
std::string combineValues(const Reduction &r, const std::string &x,
                          const std::string &y);
/// Lanes [lo, hi) of `a` combined pairwise: a fixed order.
std::string laneTree(const Reduction &r, const std::string &a, int lo, int hi);
/// The reduction's value from its combined accumulator `x` (mean divides).
std::string reductionResult(const Reduction &r, const std::string &x);
/// Stores `val` at `idx` of the result and of its extra copies.
std::string storeResult(const Reduction &r, const std::string &idx,
                        const std::string &val);
/// Stores `val` at `idx` of the extra copies only.
std::string storeExtras(const Reduction &r, const std::string &idx,
                        const std::string &val);

/// Results of a reduction accumulated in place (product of the kept dims).
int64_t keptCount(const Reduction &r, const LoopSpace &space);
/// Sets the results of an in-place reduction to the initial value.
std::string initInPlace(const Reduction &r, const LoopSpace &space);
/// Divides (mean) and copies the results of an in-place reduction.
std::string finishInPlace(const Reduction &r, const LoopSpace &space);
/// Combines the per-block partials part<id>[0, blocks) in order and stores.
std::string finishPartials(const Reduction &r, int64_t blocks);

} // namespace gradc

#endif // GRADC_CODEGEN_REDUCTIONCODE_H
