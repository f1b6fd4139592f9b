//===- tests/ops/SoftmaxRowsTest.cpp - Long softmax rows, masked and not --===//
//
// The op cases use rows of at most five elements; the generated softmax
// takes its row maximum in lanes from 32 elements on and keeps exp's
// arguments below exp's underflow out of the vector call (a causal mask's
// -inf). These rows are long enough for both, with the maximum, NaN and
// the masked entries in the lanes and in the remainder, and along a
// strided dim; the results are compared with a double-precision softmax,
// and exact zeros, subnormals and NaN where they belong.
//
//===----------------------------------------------------------------------===//
#include "tests/ops/OpCase.h"

#include "frontend/GraphBuilder.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace gradc;
using gradc::test::testCompiler;

namespace {

/// y = softmax (or log_softmax) of x [rows, cols] over `dim`, compiled
/// and run in the element type T.
template <typename T>
std::vector<T> run(OpKind op, const std::vector<T> &x, int64_t rows, int64_t cols,
                   int64_t dim) {
  DType dt = sizeof(T) == 4 ? DType::F32 : DType::F64;
  GraphBuilder b("softmax_rows");
  Node *in = b.addInput("x", {dt, {rows, cols}}, false, {});
  b.addOp(op, {BuildOperand::of(in)}, {{"dim", dim}}, "y", false);
  b.addOutput("y");
  auto g = b.finish();
  auto cg = testCompiler().compile(*g);
  Session s(*cg);
  Tensor t(dt, {rows, cols});
  std::memcpy(t.data(), x.data(), x.size() * sizeof(T));
  s.setInput("x", t);
  s.runFused({}, false);
  const T *y = static_cast<const T *>(s.output("y").data());
  return std::vector<T>(y, y + x.size());
}

/// softmax or log_softmax of the `n` values x[i * stride] in double.
std::vector<double> reference(const double *x, int64_t n, int64_t stride, bool log) {
  double mx = -INFINITY;
  bool nan = false;
  for (int64_t k = 0; k < n; ++k) {
    nan |= std::isnan(x[k * stride]);
    mx = std::max(mx, x[k * stride]);
  }
  std::vector<double> r(n);
  if (nan) {
    std::fill(r.begin(), r.end(), NAN);
    return r;
  }
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += std::exp(x[k * stride] - mx);
  for (int64_t k = 0; k < n; ++k)
    r[k] = log ? x[k * stride] - mx - std::log(sum) : std::exp(x[k * stride] - mx) / sum;
  return r;
}

/// Checks y against the double reference: NaN where it is NaN, -inf and
/// exact zeros where it has them, otherwise within `tol` relative (an
/// absolute tolerance near zero would hide a wrong subnormal).
template <typename T>
void expectRow(const std::vector<T> &y, const std::vector<double> &x, int64_t first,
               int64_t n, int64_t stride, bool log, double tol, const std::string &what) {
  std::vector<double> ref = reference(x.data() + first, n, stride, log);
  for (int64_t k = 0; k < n; ++k) {
    T got = y[first + k * stride];
    double want = ref[k];
    // The reference as the type can hold it: 0 where exp underflows.
    T wantT = static_cast<T>(want);
    std::string at = what + " element " + std::to_string(k);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << at << ": " << got;
    } else if (std::isinf(want) || wantT == 0) {
      EXPECT_EQ(got, wantT) << at;
    } else if (std::fabs(want) < std::numeric_limits<T>::min()) {
      // A subnormal result: nonzero, and as close as its few bits allow.
      EXPECT_GT(got, 0) << at;
      EXPECT_NEAR(got, want, 2 * std::numeric_limits<T>::denorm_min() + 1e-3 * want) << at;
    } else {
      // log_softmax is x - (mx + log(sum)) in T: its error scales with x.
      double scale = std::fabs(want) + (log ? std::fabs(x[first + k * stride]) + 1 : 0);
      EXPECT_NEAR(got, want, tol * scale) << at;
    }
  }
}

/// Rows of 70 elements (four strips of 16 lanes, then six more): causal
/// masks, the maximum in the remainder, arguments below and above exp's
/// underflow, NaN in a strip and in the remainder, a row of -inf only,
/// signed zero maxima.
template <typename T> std::vector<double> testRows(int64_t cols, double under, double sub) {
  const double inf = INFINITY;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-3, 3);
  int64_t rows = 8;
  std::vector<double> x(rows * cols);
  for (double &v : x) v = static_cast<T>(u(rng));
  auto row = [&](int64_t r) { return x.data() + r * cols; };
  for (int64_t k = 40; k < cols; ++k) row(0)[k] = -inf; // a causal row
  for (int64_t k = 0; k < cols; k += 3) row(1)[k] = -inf;
  row(2)[67] = 10;                                // maximum in the remainder
  row(2)[3] = static_cast<T>(10 + sub);           // exp(sub): a subnormal
  row(2)[5] = static_cast<T>(10 + under);         // exp underflows to 0
  row(2)[69] = -1e30;
  row(3)[10] = NAN;                               // NaN in a strip
  row(4)[66] = NAN;                               // NaN in the remainder
  for (int64_t k = 0; k < cols; ++k) row(5)[k] = -inf; // PyTorch: NaN
  for (int64_t k = 0; k < cols; ++k) row(6)[k] = -std::fabs(row(6)[k]) - 1;
  row(6)[20] = -0.0, row(6)[68] = 0.0, row(6)[33] = -0.0; // zero maxima
  row(7)[0] = 50, row(7)[16] = 50.5;             // maximum at a strip start
  return x;
}

template <typename T> void checkSoftmaxRows(double under, double sub, double tol) {
  const int64_t rows = 8, cols = 70;
  std::vector<double> x = testRows<T>(cols, under, sub);
  std::vector<T> xt(x.begin(), x.end());
  for (bool log : {false, true}) {
    std::vector<T> y = run<T>(log ? OpKind::LogSoftmax : OpKind::Softmax, xt, rows, cols, 1);
    for (int64_t r = 0; r < rows; ++r)
      expectRow(y, x, r * cols, cols, 1, log, tol,
                std::string(log ? "log_softmax" : "softmax") + " row " + std::to_string(r));
  }
  // The same numbers as [70, 8] along dim 0: strided rows (the columns).
  std::vector<double> xc(x.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) xc[k * rows + r] = x[r * cols + k];
  std::vector<T> xct(xc.begin(), xc.end());
  std::vector<T> y = run<T>(OpKind::Softmax, xct, cols, rows, 0);
  for (int64_t r = 0; r < rows; ++r)
    expectRow(y, xc, r, cols, rows, false, tol, "softmax dim 0, column " + std::to_string(r));
}

TEST(SoftmaxRows, LongF32RowsMatchTheReference) {
  // exp(-110) underflows to 0 in f32, exp(-95) is a subnormal.
  checkSoftmaxRows<float>(-110, -95, 4e-6);
}

TEST(SoftmaxRows, LongF64RowsMatchTheReference) {
  // exp(-760) underflows to 0 in f64, exp(-740) is a subnormal.
  checkSoftmaxRows<double>(-760, -740, 1e-12);
}

} // namespace
