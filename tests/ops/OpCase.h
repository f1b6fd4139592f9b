//===- tests/ops/OpCase.h - Random test graphs over the op set -*- C++ -*-===//
//
// A Case builds one small graph with random shapes, attributes and input
// values drawn from a seeded generator, so that building it twice with the
// same seed (once in f64, once in f32) gives the same graph up to dtype and
// the same values (f32-representable, so both dtypes see identical inputs).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_TESTS_OPS_OPCASE_H
#define GRADC_TESTS_OPS_OPCASE_H

#include "frontend/GraphBuilder.h"
#include "runtime/Compiler.h"
#include "runtime/Tensor.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace gradc::test {

/// How an input's values are drawn.
enum class Dist {
  Normal,   ///< N(0, 1).
  Positive, ///< Uniform in [0.5, 2.5] (log, sqrt, pow bases).
  NonZero,  ///< +-Uniform[0.5, 2] (denominators).
  Labels,   ///< Integer classes in [0, classes), some equal to -100.
};

/// One random test graph under construction.
class Case {
public:
  Case(DType dtype, uint64_t seed) : b_("case"), dt_(dtype), rng_(seed) {}

  DType dtype() const { return dt_; }
  /// Uniform integer in [lo, hi].
  int64_t randInt(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool coin() { return randInt(0, 1) == 1; }
  /// A shape of rank in [minRank, maxRank] with dims in [1, maxDim].
  Shape shape(int minRank, int maxRank, int64_t maxDim = 4);
  /// A shape that broadcasts to `full`: some leading dims dropped, some
  /// dims set to 1.
  Shape broadcastable(const Shape &full);

  /// A float input (dtype of the case) that requires grad when `grad`.
  Node *input(const Shape &shape, Dist d = Dist::Normal, bool grad = true);
  /// An i64 (or i32) class-label input of `shape` with values < classes.
  Node *labels(const Shape &shape, int64_t classes, bool withIgnored,
               DType dtype = DType::I64);
  /// An op node (named, so it can be an output).
  Node *op(OpKind k, const std::vector<BuildOperand> &operands,
           AttrMap attrs = {}, bool noGrad = false);
  /// A call of the composite op `name` (frontend/Decompositions.h).
  Node *composite(const std::string &name,
                  const std::vector<BuildOperand> &operands,
                  AttrMap attrs = {});
  /// Declares `n` an output.
  void output(Node *n) { b_.addOutput(n->name); }

  std::unique_ptr<Graph> finish() { return b_.finish(); }
  /// Input values for the session, in the case's dtype.
  const std::map<std::string, Tensor> &inputs() const { return inputs_; }

private:
  GraphBuilder b_;
  DType dt_;
  std::mt19937_64 rng_;
  std::map<std::string, Tensor> inputs_;
  int names_ = 0;
};

/// Operand helpers.
inline BuildOperand V(Node *n) { return BuildOperand::of(n); }
inline BuildOperand L(double v) { return BuildOperand::number(v); }

/// One shared JIT for all tests of the binary.
const Compiler &testCompiler();

/// Builds `build` in f64, checks every gradient against finite
/// differences, then builds it in f32 and compares outputs and gradients
/// with the f64 run. Returns the worst FD relative error; records it for
/// the summary printed at the end of the test binary.
double checkCase(const std::string &label, uint64_t seed,
                 void (*build)(Case &), double fdTol = 1e-5,
                 double f32Tol = 2e-4);

} // namespace gradc::test

#endif // GRADC_TESTS_OPS_OPCASE_H
