//===- codegen/OpEmitter.h - Loop nests for each op ------------*- C++ -*-===//
//
// Emits the C++ statements computing one node into its buffer: elementwise
// loops (flat when no operand broadcasts, nested otherwise), reductions,
// data movement, GEMM calls, softmax rows. All trip counts and strides are
// compile-time constants so that clang can vectorize the loops.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_OPEMITTER_H
#define GRADC_CODEGEN_OPEMITTER_H

#include "codegen/EmitUtil.h"
#include "ir/Graph.h"

#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace gradc {

/// The C++ expression of one element of an elementwise node (unary, binary,
/// comparison, where, expand, detach), given its operands' expressions.
/// Shared by the plain loops here and by fused loop nests.
std::string elementwiseExpr(const Node *n, const std::vector<std::string> &a);

/// Emits per-node code. `valueOf` tells how to read (and, for the node
/// being computed, write) a value.
class OpEmitter {
public:
  OpEmitter(std::ostringstream &constants,
            std::function<ValueRef(const Node *)> valueOf)
      : constants_(constants), valueOf_(std::move(valueOf)) {}

  /// Writes a dense constant as a static const array (splats need nothing).
  void declareConstant(const Node *n);
  /// Statements computing `n`, indented by `indent` spaces.
  std::string emit(const Node *n, int indent);
  /// Expression reading element `var` of `n` in row-major order.
  std::string flatAccess(const Node *n, const std::string &var);
  /// True once emit() has written a CBLAS call (the module then needs BLAS
  /// loaded), as recorded by the emitter rather than found in the text.
  bool callsBlas() const { return callsBlas_; }

  /// Registers check sites: called with the node, what is checked and the
  /// bound, it returns the site's 1-based number (codegen/EntryStatus.h).
  using SiteFn = std::function<int(const Node *, const std::string &, int64_t)>;
  void setStatusSites(SiteFn fn) { siteOf_ = std::move(fn); }
  /// True once emit() has written a check: the kernel then takes the
  /// status slot `st` (an unsigned long long *) and its caller returns the
  /// status when it is set.
  bool usesStatus() const { return usesStatus_; }

  /// The one helper an op's template calls to check data-dependent values
  /// (docs/architecture.md, "Adding an op"). It returns the statements
  /// that, run after a loop which set the bool `flag` when some value was
  /// out of [0, bound), find the first such value (re-reading it with
  /// `valueAt(i)`, i < count) and record it in the status slot. The loop
  /// itself must keep its reads and writes in bounds (clamp or skip).
  /// `exempt`, if given, is a condition on `v` that is no error (a
  /// target equal to ignore_index).
  std::string reportBadIndex(const Node *n, const std::string &what,
                             int64_t bound, const std::string &flag,
                             int64_t count,
                             const std::function<std::string(const std::string &)> &valueAt,
                             const std::string &exempt = "");

private:
  std::string elementwise(const Node *n);
  std::string reduce(const Node *n);
  std::string permuteLike(const Node *n, const std::vector<int64_t> &perm);
  std::string concat(const Node *n);
  std::string slice(const Node *n);
  std::string matmul(const Node *n);
  /// matmul and _gemm: BLAS per batch element, with transposed reads.
  std::string gemm(const Node *n, bool transA, bool transB);
  std::string softmax(const Node *n, bool log);
  std::string mseLoss(const Node *n);
  std::string crossEntropy(const Node *n);
  std::string crossEntropyBackward(const Node *n);
  /// The row loop shared by cross_entropy and its backward: defines ti,
  /// ignored, valid, mx and s for row i, then runs `body`.
  std::string crossEntropyRows(const Node *n, const Node *x, const Node *t,
                               const std::string &body);
  std::string argMask(const Node *n);
  std::string sliceBackward(const Node *n);
  /// logsumexp, var, std, norm, argmax, argmin: one loop over the result's
  /// elements, one or two passes over the reduced ones
  /// (codegen/StatReductionEmitter.cpp).
  std::string statReduction(const Node *n);
  /// triu and tril: the operand where the column index minus the row
  /// index is >= (triu) or <= (tril) `diagonal`, else 0
  /// (codegen/MaskEmitter.cpp).
  std::string triangle(const Node *n);
  /// nll_loss and _nll_loss_backward: loops over the (sample, position)
  /// pairs reading or writing the target class only
  /// (codegen/NllLossEmitter.cpp).
  std::string nllLoss(const Node *n);
  std::string nllLossBackward(const Node *n);
  /// dropout: the operand kept (and scaled by 1 / (1 - p)) where a
  /// Philox 4x32-10 draw for the element's index passes p, else 0
  /// (codegen/DropoutEmitter.cpp).
  std::string dropout(const Node *n);
  /// cumsum: a running double sum along `dim` per line
  /// (codegen/ScanEmitter.cpp).
  std::string cumsum(const Node *n);

  /// Indexing ops and their backward scatter-adds
  /// (codegen/IndexEmitter.cpp).
  std::string embedding(const Node *n);
  std::string indexSelect(const Node *n);
  std::string indexSelectBackward(const Node *n);
  std::string gather(const Node *n);
  std::string gatherBackward(const Node *n);
  std::string select(const Node *n);
  std::string oneHot(const Node *n);

  /// arange, full, zeros_like, ones_like (codegen/FactoryEmitter.cpp).
  std::string factory(const Node *n);

  /// Reads operand `x` at the multi-index `vars` of an iteration space of
  /// shape `space` (x broadcasts to it), or at `flat` when x has that shape.
  std::string at(const Node *x, const Shape &space,
                 const std::vector<std::string> &vars, const std::string &flat);
  std::string ptrOf(const Node *n) { return valueOf_(n).ptr; }
  /// The code `body(true)` writes for `n`, run in blocks of n's outermost
  /// dim, on the thread pool when n is large enough (the same test as
  /// softmax rows; the code has the same form either way), or body(false)
  /// as it is for a scalar or an empty outer dim. A blocked body's
  /// outermost loop runs over [b0, b1) (LoopNest's `blocked`); the buffers
  /// it names through valueOf_ are then the block function's parameters.
  /// For data movement (permutes, slices), which a single thread would
  /// otherwise do while the others wait.
  std::string inOuterBlocks(const Node *n, const std::function<std::string(bool)> &body);

  std::ostringstream &constants_;
  bool callsBlas_ = false;
  bool usesStatus_ = false;
  SiteFn siteOf_;
  std::function<ValueRef(const Node *)> valueOf_;
};

} // namespace gradc

#endif // GRADC_CODEGEN_OPEMITTER_H
