//===- tests/ops/VectorMathTest.cpp - Accuracy of vectorized f32 math -----===//
//
// In vectorized loops, exp, log, sin and cos call glibc's vector math
// library (clang's -fveclib=libmvec), and f32 tanh and erf are the
// prelude's gc_tanhf and gc_erff; none of them is libm's (nearly)
// correctly rounded result. This measures, over many arguments and the
// special values, how far each is from a more precise libm value rounded
// to the type, in units in the last place: f32 against double libm, f64
// against long double libm.
//
//===----------------------------------------------------------------------===//
#include "tests/ops/OpCase.h"

#include "frontend/GraphBuilder.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

using namespace gradc;
using gradc::test::testCompiler;

namespace {

/// Position of a float on the number line in ulps (monotonic in the value;
/// -0 and +0 are one place).
int64_t ulpIndex(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i < 0 ? -static_cast<int64_t>(i & 0x7fffffff) : i;
}

struct Case {
  OpKind op;
  const char *name;
  double (*ref)(double);
  std::vector<float> args;
  int64_t maxUlps; ///< The bound asserted.
};

/// y = op(x) over `args`, compiled and run; the worst ulp distance from
/// (float)ref(x), with NaN required where the reference is NaN and the
/// exact value where it is infinite.
int64_t worstUlps(const Case &c, float *worstArg) {
  int64_t n = static_cast<int64_t>(c.args.size());
  GraphBuilder b(c.name);
  Node *x = b.addInput("x", {DType::F32, {n}}, false, {});
  b.addOp(c.op, {BuildOperand::of(x)}, {}, "y", false);
  b.addOutput("y");
  auto g = b.finish();
  auto cg = testCompiler().compile(*g);
  Session s(*cg);
  Tensor in(DType::F32, {n});
  std::memcpy(in.data(), c.args.data(), n * sizeof(float));
  s.setInput("x", in);
  s.runFused({}, false);
  const float *y = static_cast<const float *>(s.output("y").data());
  int64_t worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    float want = static_cast<float>(c.ref(c.args[i]));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(y[i])) << c.name << "(" << c.args[i] << ") = " << y[i];
      continue;
    }
    if (std::isinf(want)) {
      EXPECT_EQ(y[i], want) << c.name << "(" << c.args[i] << ")";
      continue;
    }
    int64_t d = std::llabs(ulpIndex(y[i]) - ulpIndex(want));
    if (d > worst) {
      worst = d;
      *worstArg = c.args[i];
    }
  }
  return worst;
}

std::vector<float> uniform(float lo, float hi, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float &f : v) f = d(rng);
  return v;
}

/// Magnitudes spread over the exponents from 2^lo to 2^hi, both signs.
std::vector<float> logSpread(int lo, int hi, int perOctave) {
  std::vector<float> v;
  for (int e = lo; e < hi; ++e)
    for (int k = 0; k < perOctave; ++k) {
      float m = std::ldexp(1.0f + static_cast<float>(k) / perOctave, e);
      v.push_back(m);
      v.push_back(-m);
    }
  return v;
}

std::vector<float> operator+(std::vector<float> a, const std::vector<float> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const std::vector<float> kSpecial = {0.0f, -0.0f, kInf, -kInf, kNaN, 1.0f, -1.0f,
                                     std::numeric_limits<float>::denorm_min(),
                                     std::numeric_limits<float>::max()};

double tanhRef(double x) { return std::tanh(x); }
double expRef(double x) { return std::exp(x); }
double logRef(double x) { return std::log(x); }
double sinRef(double x) { return std::sin(x); }
double cosRef(double x) { return std::cos(x); }
double erfRef(double x) { return std::erf(x); }

/// Every `stride`-th float from 0 up to `hi`, and its negation.
std::vector<float> everyNth(float hi, uint32_t stride) {
  std::vector<float> v;
  for (uint32_t bits = 0;; bits += stride) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (!(f <= hi)) break;
    v.push_back(f);
    v.push_back(-f);
  }
  return v;
}

/// f64: y = op(x) against the long double function rounded to double.
int64_t worstUlps64(OpKind op, long double (*ref)(long double),
                    const std::vector<double> &args, double *worstArg) {
  int64_t n = static_cast<int64_t>(args.size());
  GraphBuilder b("f64");
  Node *x = b.addInput("x", {DType::F64, {n}}, false, {});
  b.addOp(op, {BuildOperand::of(x)}, {}, "y", false);
  b.addOutput("y");
  auto g = b.finish();
  auto cg = testCompiler().compile(*g);
  Session s(*cg);
  Tensor in(DType::F64, {n});
  std::memcpy(in.data(), args.data(), n * sizeof(double));
  s.setInput("x", in);
  s.runFused({}, false);
  const double *y = static_cast<const double *>(s.output("y").data());
  auto index = [](double d) {
    int64_t i;
    std::memcpy(&i, &d, sizeof i);
    return i < 0 ? -(i & 0x7fffffffffffffffLL) : i;
  };
  int64_t worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double want = static_cast<double>(ref(args[i]));
    int64_t d = std::llabs(index(y[i]) - index(want));
    if (d > worst) {
      worst = d;
      *worstArg = args[i];
    }
  }
  return worst;
}

long double expRefL(long double x) { return std::exp(x); }
long double logRefL(long double x) { return std::log(x); }
long double sinRefL(long double x) { return std::sin(x); }
long double cosRefL(long double x) { return std::cos(x); }

TEST(VectorMath, F64WithinAFewUlps) {
  std::mt19937_64 rng(11);
  auto draw = [&](double lo, double hi, int n) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<double> v(n);
    for (double &x : v) x = d(rng);
    return v;
  };
  struct C {
    OpKind op;
    const char *name;
    long double (*ref)(long double);
    std::vector<double> args;
  } cases[] = {{OpKind::Exp, "exp", expRefL, draw(-700, 700, 20000)},
               {OpKind::Log, "log", logRefL, draw(1e-300, 1e300, 10000)},
               {OpKind::Log, "log near 1", logRefL, draw(0.5, 2, 10000)},
               {OpKind::Sin, "sin", sinRefL, draw(-100, 100, 20000)},
               {OpKind::Cos, "cos", cosRefL, draw(-100, 100, 20000)}};
  for (const C &c : cases) {
    double at = 0;
    int64_t worst = worstUlps64(c.op, c.ref, c.args, &at);
    RecordProperty(std::string("f64_") + c.name + "_worst_ulps", std::to_string(worst));
    EXPECT_LE(worst, 4) << c.name << ": " << worst << " ulps at x = " << at;
  }
}

TEST(VectorMath, F32WithinAFewUlps) {
  std::vector<Case> cases = {
      {OpKind::Tanh, "tanh", tanhRef,
       uniform(-10, 10, 20000, 1) + uniform(-0.6f, 0.6f, 20000, 2) + logSpread(-130, 5, 16) +
           kSpecial,
       4},
      {OpKind::Exp, "exp", expRef,
       uniform(-87, 88, 20000, 3) + uniform(-1, 1, 10000, 4) + logSpread(-30, 7, 8) + kSpecial,
       4},
      {OpKind::Log, "log", logRef,
       logSpread(-149, 128, 16) + uniform(0.5f, 2.0f, 20000, 5) + kSpecial, 4},
      {OpKind::Sin, "sin", sinRef, uniform(-100, 100, 20000, 6) + logSpread(-30, 12, 8) + kSpecial,
       4},
      {OpKind::Cos, "cos", cosRef, uniform(-100, 100, 20000, 7) + logSpread(-30, 12, 8) + kSpecial,
       4},
      // The prelude's gc_erff: a dense walk over [-6, 6] (every 251st
      // float, 2.2 million of them, denser near 0 as floats are), both
      // sides of its switch at |x| = 1 and of the point where erf rounds
      // to 1, tiny and huge magnitudes.
      {OpKind::Erf, "erf", erfRef,
       everyNth(6, 251) + uniform(0.9f, 1.1f, 20000, 8) + uniform(3.8f, 4.2f, 20000, 9) +
           logSpread(-149, 128, 4) + kSpecial,
       3},
  };
  for (const Case &c : cases) {
    float at = 0;
    int64_t worst = worstUlps(c, &at);
    RecordProperty(std::string(c.name) + "_worst_ulps", std::to_string(worst));
    EXPECT_LE(worst, c.maxUlps) << c.name << ": " << worst << " ulps at x = " << at;
  }
}

} // namespace
