//===- codegen/LoopEmitter.h - One loop nest for a fused kernel -*- C++ -*-===//
//
// Emits the loop part of a kernel: every elementwise node and reduction of
// the kernel computed in one loop nest over the kernel's shape, with
// intermediate values in registers and only the planned results stored.
//
//   - Dimensions are dropped when 1 and merged when every access treats
//     them alike, so most kernels become one flat loop with constant trip
//     count that clang vectorizes.
//   - A reduction over trailing dimensions keeps 16 partial sums (lanes)
//     advanced by a strip-mined inner loop, so the loop vectorizes without
//     -ffast-math; the lanes are added in a fixed tree at the end. This is
//     the one place where the generated code reassociates floating-point
//     additions, always in the same order (results do not depend on the
//     thread count). f32 sums accumulate in double.
//   - Other reductions (e.g. over rows: a bias gradient) accumulate into
//     their result buffer, which vectorizes across the kept dimension.
//   - Seeds may be null (zeros): the loop is specialized for those cases
//     instead of testing in the inner loop. Gradient buffers may be null
//     (not wanted): the loop then writes a zeroed temporary. Tiny loops
//     substitute zeros and dummies up front instead.
//   - Large loops are split into fixed blocks run by gradc_parallel_for
//     when the runtime provides it (a full reduction keeps one partial sum
//     per block, added in block order).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_LOOPEMITTER_H
#define GRADC_CODEGEN_LOOPEMITTER_H

#include "codegen/KernelParams.h"
#include "codegen/Schedule.h"

#include <functional>
#include <string>

namespace gradc {

/// What the loop emitter asks its caller.
struct LoopEnv {
  /// The buffer holding storage owner `root` (a leaf, or a computed value
  /// in memory) for reading.
  std::function<BufferRef(const Node *root)> storage;
  /// The buffer of a placement, for a value of dtype `t`.
  std::function<BufferRef(const Place &p, DType t)> place;
  /// The placement of a node of the kernel.
  std::function<const ValuePlace &(const Node *)> placeOf;
  /// Seeds whose null pointer stands for zeros here (no zero buffer).
  std::function<bool(const Node *seed)> nullableSeed;
  /// May large loops use gradc_parallel_for?
  bool parallel = true;
  /// Unique prefix for helper definitions (e.g. "seed_k1").
  std::string prefix;
};

/// The code of one loop nest.
struct LoopCode {
  std::string helpers; ///< Definitions placed before the kernel function.
  std::string body;    ///< Statements inside the kernel function.
  bool usesFlags = false;
};

/// Emits the loop part of `k` (k.loop non-empty), registering the buffers
/// it touches in `params`.
LoopCode emitLoop(const KernelPlan &k, const LoopEnv &env, KernelParams &params);

} // namespace gradc

#endif // GRADC_CODEGEN_LOOPEMITTER_H
