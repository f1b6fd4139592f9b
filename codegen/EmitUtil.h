//===- codegen/EmitUtil.h - Small helpers of the C++ emitter ---*- C++ -*-===//
#ifndef GRADC_CODEGEN_EMITUTIL_H
#define GRADC_CODEGEN_EMITUTIL_H

#include "ir/Types.h"

#include <string>
#include <vector>

namespace gradc {

/// How generated code reads a value: through a pointer (or static array)
/// named `ptr`, or as the inline `literal` of a splat constant.
struct ValueRef {
  std::string ptr;
  std::string literal;
  bool isSplat() const { return ptr.empty(); }
};

/// Spellings every emitter shares, brought in with `using emit::num;`.
namespace emit {
/// An index or extent as a 64-bit literal ("12LL"): generated index
/// arithmetic is done in long long, so no product of extents overflows int.
inline std::string num(int64_t v) { return std::to_string(v) + "LL"; }
/// Linear offset of the multi-index `vars` (aligned to the trailing dims
/// of `space`) into a row-major tensor of shape `shape` that broadcasts to
/// `space`: broadcast dims contribute nothing. A dim of extent 1 in both
/// is indexed like any other (its index is 0), and every term has its
/// stride, 1 included: the expression at a size of 1 is then that of every
/// other size but its numbers (runtime/CodeTemplate.h).
std::string offsetExpr(const Shape &shape, const Shape &space,
                       const std::vector<std::string> &vars);
/// `for (long long v = from; v < to; ++v)`: a loop header.
inline std::string forLoop(const std::string &v, const std::string &from,
                           const std::string &to) {
  return "for (long long " + v + " = " + from + "; " + v + " < " + to + "; ++" + v + ")";
}
/// Loops of at most this many iterations (constant) that an emitter wants
/// unrolled in full get unrollPragma(): gradc compiles at -O1, where a loop
/// of a few iterations stays a loop, and only unrolled does the code around
/// it vectorize.
inline constexpr int64_t kUnrollFull = 16;
/// The line to put before such a loop. `GCC unroll`, not `clang loop
/// unroll(full)`: clang reads both, and the AOT output may be compiled by
/// GCC, which rejects the clang spelling (an unknown pragma) under -Werror.
/// A count of at least the trip count unrolls in full.
inline std::string unrollPragma() {
  return "#pragma GCC unroll " + std::to_string(kUnrollFull);
}
/// `ref` read at the index expression `idx` (a splat ignores the index).
inline std::string at(const ValueRef &ref, const std::string &idx) {
  return ref.isSplat() ? ref.literal : ref.ptr + "[" + idx + "]";
}
/// The libm function `base` for `t`: "expf" for f32, "exp" for f64.
inline std::string mathFn(const char *base, DType t) {
  return std::string(base) + (t == DType::F32 ? "f" : "");
}
/// A line to put before a loop that folds floating-point values into one
/// (a sum, a dot product): it lets the vectorizer reassociate the fold
/// into vector lanes, which clang otherwise keeps in source order, one
/// element at a time (a serial chain of dependent adds). The prelude
/// defines the macro as clang's loop hint, and as nothing for GCC, which
/// would warn about the unknown pragma when it compiles AOT output.
inline const char *reassociableLoop() { return "GC_REASSOCIABLE_LOOP\n"; }
/// The statement C = op(A) op(B) + beta C as a row-major CBLAS call
/// (cblas_sgemm for f32, else cblas_dgemm; 101 is CblasRowMajor, 111/112
/// NoTrans/Trans), alpha 1; sizes, leading dimensions and pointers are C++
/// expressions.
std::string gemmCall(bool f32, bool transA, bool transB, const std::string &m,
                     const std::string &n, const std::string &k, const std::string &a,
                     const std::string &lda, const std::string &b, const std::string &ldb,
                     const std::string &beta, const std::string &c, const std::string &ldc);
} // namespace emit

/// Whether a product of this size runs on the calling thread inside
/// OpenBLAS: it threads only when M N K exceeds 4 * 65536 (its default
/// GEMM_MULTITHREAD_THRESHOLD times SMP_THRESHOLD_MIN). A batch of such
/// products (attention's per-head GEMMs) is spread over gradc's thread
/// pool instead, or one core would do them all while the others wait.
inline bool blasRunsSerially(int64_t m, int64_t n, int64_t k) {
  return static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) <= 262144.0;
}

/// Whether `rows` independent rows of `cols` elements each (a softmax, a
/// layer norm) are worth running in blocks on the thread pool: at least
/// two rows and 32768 elements, below which handing them to another
/// thread costs about what it saves.
inline bool rowsOnThreadPool(int64_t rows, int64_t cols) {
  return rows > 1 && rows * cols >= 32768;
}

/// Declarations of the row-major indices q0, q1, ... of the element
/// numbered `flat` of `batch` (the last index varies fastest), e.g.
/// "const long long q1 = bi % 4LL, q0 = bi / 4LL % 16LL;".
std::string batchIndices(const Shape &batch, const std::string &flat);

/// A C++ literal of `dtype` with value `v` (inf/nan through builtins).
std::string literal(double v, DType dtype);

/// The generated prelude: typedef-free declarations of the C math and
/// CBLAS functions generated code may call.
extern const char *const kPrelude;

} // namespace gradc

#endif // GRADC_CODEGEN_EMITUTIL_H
