//===- tests/ops/SemanticsTest.cpp - PyTorch's choices, value by value ----===//
//
// Where finite differences cannot decide (ties, NaN, ignored targets,
// non-differentiable points), the expected numbers are PyTorch 1.13's own
// outputs for the same inputs, noted beside each test.
//
//===----------------------------------------------------------------------===//
#include "OpCase.h"

#include "ir/Error.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gradc;
using namespace gradc::test;

namespace {

const double kNaN = std::nan("");

/// One input x (f32 or f64, requires grad) with `data`, one op applied to
/// it, out = sum(op(x)) as the scalar root. Returns x.grad.
std::vector<double> gradOfSum(DType dt, const Shape &shape,
                              const std::vector<double> &data, OpKind k,
                              AttrMap attrs, std::vector<double> *value = nullptr) {
  GraphBuilder b("g");
  Node *x = b.addInput("x", {dt, shape}, true, {});
  b.addOp(k, {V(x)}, attrs, "y", false);
  b.addOp(OpKind::Sum, {V(b.lookup("y"))}, {}, "out", false);
  b.addOutput("y");
  b.addOutput("out");
  auto cg = testCompiler().compile(*b.finish());
  Session s(*cg);
  s.setInput("x", Tensor::fromDoubles(dt, shape, data));
  s.runFused({{"out"}}, false);
  if (value) *value = s.output("y").toDoubles();
  return s.grad("x")->toDoubles();
}

void expectValues(const std::vector<double> &got, const std::vector<double> &want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": " << got[i];
    else
      EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
  }
}

const std::vector<double> kTies = {1, 3, 3, 2, 5, 5, 1, 5}; // shape [2, 4]

TEST(MaxMin, OneDimSendsGradientToTheReturnedIndex) {
  // x.max(1): values [3, 5], indices [1, 0] -> gradient at those indices.
  for (DType dt : {DType::F32, DType::F64}) {
    expectValues(gradOfSum(dt, {2, 4}, kTies, OpKind::Max, {{"dim", int64_t(1)}}),
                 {0, 1, 0, 0, 1, 0, 0, 0});
    // x.min(1): indices [0, 2].
    expectValues(gradOfSum(dt, {2, 4}, kTies, OpKind::Min, {{"dim", int64_t(-1)}}),
                 {1, 0, 0, 0, 0, 0, 1, 0});
    // x.max(0, keepdim=True): columns (1, 5), (3, 5), (3, 1), (2, 5).
    expectValues(gradOfSum(dt, {2, 4}, kTies, OpKind::Max,
                           {{"dim", int64_t(0)}, {"keepdim", true}}),
                 {0, 0, 1, 0, 1, 1, 0, 1});
    // Ties along dim 0: [[2, 7], [2, 7]].max(0) -> indices [0, 0].
    expectValues(gradOfSum(dt, {2, 2}, {2, 7, 2, 7}, OpKind::Max, {{"dim", int64_t(0)}}),
                 {1, 1, 0, 0});
  }
}

TEST(MaxMin, NoDimSpreadsOverTies) {
  // x.max(): 5 three times -> 1/3 each (evenly_distribute_backward).
  expectValues(gradOfSum(DType::F64, {2, 4}, kTies, OpKind::Max, {}),
               {0, 0, 0, 0, 1. / 3, 1. / 3, 0, 1. / 3});
  expectValues(gradOfSum(DType::F32, {2, 4}, kTies, OpKind::Min, {}),
               {0.5, 0, 0, 0, 0, 0, 0.5, 0});
}

TEST(MaxMin, DimListSpreadsOverTiesPerSlice) {
  // x.amax((0, 2)) of a [2, 2, 2] tensor:
  std::vector<double> v = {1, 2, 2, 2, 0, 2, 1, 1}; // [2, 2, 2]
  // Slices over (0, 2) for dim1 = 0: {1, 2, 0, 2} -> max 2 twice;
  // dim1 = 1: {2, 2, 1, 1} -> max 2 twice.
  expectValues(gradOfSum(DType::F64, {2, 2, 2}, v, OpKind::Max,
                         {{"dim", std::vector<int64_t>{0, 2}}}),
               {0, 0.5, 0.5, 0.5, 0, 0.5, 0, 0});
}

TEST(MaxMin, NaNIsTheExtremum) {
  // y = [[1, nan, 3, nan]]: max(1) -> nan at index 1, gradient there;
  // max() -> even split over the NaNs; amax(1) -> NaN gradient.
  std::vector<double> v = {1, kNaN, 3, kNaN}, val;
  expectValues(gradOfSum(DType::F64, {1, 4}, v, OpKind::Max, {{"dim", int64_t(1)}}, &val),
               {0, 1, 0, 0});
  EXPECT_TRUE(std::isnan(val[0]));
  expectValues(gradOfSum(DType::F64, {1, 4}, v, OpKind::Max, {}), {0, 0.5, 0, 0.5});
  expectValues(gradOfSum(DType::F32, {1, 4}, v, OpKind::Min, {{"dim", int64_t(1)}}),
               {0, 1, 0, 0});
}

/// Gradients of out = sum(op(a, b)) for two inputs.
std::pair<std::vector<double>, std::vector<double>>
binaryGrads(OpKind k, const std::vector<double> &a, const std::vector<double> &b) {
  GraphBuilder gb("g");
  Shape s{static_cast<int64_t>(a.size())};
  Node *x = gb.addInput("a", {DType::F64, s}, true, {});
  Node *y = gb.addInput("b", {DType::F64, s}, true, {});
  Node *m = gb.addOp(k, {V(x), V(y)}, {}, "m", false);
  gb.addOp(OpKind::Sum, {V(m)}, {}, "out", false);
  gb.addOutput("out");
  auto cg = testCompiler().compile(*gb.finish());
  Session sess(*cg);
  sess.setInput("a", Tensor::fromDoubles(DType::F64, s, a));
  sess.setInput("b", Tensor::fromDoubles(DType::F64, s, b));
  sess.runFused({{"out"}}, false);
  return {sess.grad("a")->toDoubles(), sess.grad("b")->toDoubles()};
}

TEST(MaximumMinimum, TiesSplitAndNaNFeedsBoth) {
  // torch.maximum([2, 2, nan], [2, 1, 1]): grads [0.5, 1, 1], [0.5, 0, 1].
  auto g = binaryGrads(OpKind::Maximum, {2, 2, kNaN}, {2, 1, 1});
  expectValues(g.first, {0.5, 1, 1});
  expectValues(g.second, {0.5, 0, 1});
  g = binaryGrads(OpKind::Minimum, {2, 2, 0}, {2, 1, 1});
  expectValues(g.first, {0.5, 0, 1});
  expectValues(g.second, {0.5, 1, 0});
}

TEST(Elementwise, KinksAndNaNAsPyTorch) {
  std::vector<double> v = {kNaN, 0, -1, 2}, val;
  // relu: grad 1 at NaN (threshold_backward passes NaN results), 0 at 0.
  expectValues(gradOfSum(DType::F64, {4}, v, OpKind::Relu, {}), {1, 0, 0, 1});
  // abs: grad sign(x), sign(NaN) = 0.
  expectValues(gradOfSum(DType::F64, {4}, v, OpKind::Abs, {}), {0, 0, -1, 1});
  gradOfSum(DType::F32, {4}, v, OpKind::Sign, {}, &val);
  expectValues(val, {0, 0, -1, 1});
  // x ** 0 has gradient 0 everywhere, even at 0 and NaN.
  GraphBuilder b("p");
  Node *x = b.addInput("x", {DType::F64, {4}}, true, {});
  Node *e = b.addInput("e", {DType::F64, {4}}, true, {});
  b.addOp(OpKind::Pow, {V(x), V(e)}, {}, "y", false);
  b.addOp(OpKind::Sum, {V(b.lookup("y"))}, {}, "out", false);
  b.addOutput("out");
  auto cg = testCompiler().compile(*b.finish());
  Session s(*cg);
  s.setInput("x", Tensor::fromDoubles(DType::F64, {4}, {0, 0.5, 2, 0}));
  s.setInput("e", Tensor::fromDoubles(DType::F64, {4}, {0, -1, 2, 2}));
  s.runFused({{"out"}}, false);
  // torch: x.grad [0, -4, 4, 0]; e.grad [0 (0^0 masked), 0.5 log .5 * ...]
  expectValues(s.grad("x")->toDoubles(), {0, -4, 4, 0});
  expectValues(s.grad("e")->toDoubles(),
               {0, 2 * std::log(0.5), 4 * std::log(2.0), 0});
}

/// cross_entropy(x, t) with its gradient, by the textbook formula.
TEST(CrossEntropy, ValuesIgnoreIndexAndReductions) {
  const std::vector<double> x = {0.1, -1.2, 2.0, 0.5, 0.3, 0.3, -0.7, 1.5, 0.0};
  const std::vector<double> t = {2, -100, 0};
  auto lse = [&](int r) {
    double m = -INFINITY, s = 0;
    for (int k = 0; k < 3; ++k) m = std::max(m, x[r * 3 + k]);
    for (int k = 0; k < 3; ++k) s += std::exp(x[r * 3 + k] - m);
    return m + std::log(s);
  };
  double l0 = lse(0) - x[2], l2 = lse(2) - x[6];
  for (const char *red : {"mean", "sum", "none"}) {
    for (DType tdt : {DType::I64, DType::I32}) {
      GraphBuilder b("ce");
      Node *xi = b.addInput("x", {DType::F64, {3, 3}}, true, {});
      Node *ti = b.addInput("t", {tdt, {3}}, false, {});
      b.addOp(OpKind::CrossEntropy, {V(xi), V(ti)}, {{"reduction", std::string(red)}},
              "l", false);
      b.addOp(OpKind::Sum, {V(b.lookup("l"))}, {}, "out", false);
      b.addOutput("l");
      b.addOutput("out");
      auto cg = testCompiler().compile(*b.finish());
      Session s(*cg);
      s.setInput("x", Tensor::fromDoubles(DType::F64, {3, 3}, x));
      s.setInput("t", Tensor::fromDoubles(tdt, {3}, t));
      s.runFused({{"out"}}, false);
      std::string r = red;
      double scale = r == "mean" ? 0.5 : 1.0; // two rows count
      if (r == "none")
        expectValues(s.output("l").toDoubles(), {l0, 0, l2});
      else
        expectValues(s.output("l").toDoubles(), {(l0 + l2) * scale});
      std::vector<double> g(9, 0);
      for (int row : {0, 2}) {
        int tgt = static_cast<int>(t[row]);
        for (int k = 0; k < 3; ++k)
          g[row * 3 + k] =
              (std::exp(x[row * 3 + k] - lse(row)) - (k == tgt ? 1 : 0)) * scale;
      }
      expectValues(s.grad("x")->toDoubles(), g);
    }
  }
}

TEST(CrossEntropy, AllIgnoredMeanIsNaNAndABadTargetIsAnError) {
  // Every row ignored: mean over no rows is 0/0 = NaN, as in PyTorch. A
  // target outside [0, C) that is not ignore_index stops the run with an
  // error naming the node and the target (PyTorch raises one too).
  for (double bad : {-100.0, 7.0}) {
    GraphBuilder b("ce");
    Node *x = b.addInput("x", {DType::F32, {2, 3}}, true, {});
    Node *t = b.addInput("t", {DType::I64, {2}}, false, {});
    b.addOp(OpKind::CrossEntropy, {V(x), V(t)}, {}, "l", false);
    b.addOutput("l");
    auto cg = testCompiler().compile(*b.finish());
    Session s(*cg);
    s.setInput("x", Tensor::fromDoubles(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
    s.setInput("t", Tensor::fromDoubles(DType::I64, {2}, {bad, bad}));
    if (bad == -100.0) {
      s.runFused({{"l"}}, false);
      EXPECT_TRUE(std::isnan(s.output("l").get(0)));
    } else {
      try {
        s.runFused({{"l"}}, false);
        ADD_FAILURE() << "target 7 of 3 classes was accepted";
      } catch (const Error &e) {
        EXPECT_EQ(std::string(e.what()), "target 7 out of range [0, 3) in node 'l'");
      }
    }
  }
}

TEST(DTypes, MixedFloatDTypesAreAnErrorNotAPromotion) {
  GraphBuilder b("mixed");
  Node *x = b.addInput("x", {DType::F32, {2}}, true, {});
  Node *y = b.addInput("y", {DType::F64, {2}}, true, {});
  try {
    b.addOp(OpKind::Add, {V(x), V(y)}, {}, "z", false);
    FAIL() << "f32 + f64 was accepted";
  } catch (const Error &e) {
    std::string m = e.what();
    EXPECT_NE(m.find("different dtypes"), std::string::npos) << m;
    EXPECT_NE(m.find("f32[2] and f64[2]"), std::string::npos) << m;
    EXPECT_NE(m.find("does not promote"), std::string::npos) << m;
  }
  for (OpKind k : {OpKind::Matmul, OpKind::MseLoss, OpKind::Maximum, OpKind::Lt})
    EXPECT_THROW(b.addOp(k, {V(x), V(y)}, {}, "", false), Error) << opInfo(k).name;
  Node *c = b.addOp(OpKind::Gt, {V(x), L(0)}, {}, "c", false);
  EXPECT_THROW(b.addOp(OpKind::Where, {V(c), V(x), V(y)}, {}, "", false), Error);
  EXPECT_THROW(b.addOp(OpKind::Concat, {V(x), V(y)}, {}, "", false), Error);
}

TEST(DTypes, CrossEntropyTargetsMustBeIntegerClasses) {
  GraphBuilder b("ce");
  Node *x = b.addInput("x", {DType::F32, {2, 3}}, true, {});
  Node *tf = b.addInput("tf", {DType::F32, {2}}, false, {});
  Node *tl = b.addInput("tl", {DType::I64, {3}}, false, {});
  Node *ti = b.addInput("ti", {DType::I32, {2}}, false, {});
  EXPECT_THROW(b.addOp(OpKind::CrossEntropy, {V(x), V(tf)}, {}, "", false), Error);
  EXPECT_THROW(b.addOp(OpKind::CrossEntropy, {V(x), V(tl)}, {}, "", false), Error);
  EXPECT_NO_THROW(b.addOp(OpKind::CrossEntropy, {V(x), V(ti)}, {}, "", false));
  EXPECT_THROW(b.addOp(OpKind::CrossEntropy, {V(x), V(ti)},
                       {{"reduction", std::string("avg")}}, "", false),
               Error);
}

TEST(OpTable, RowsInEnumOrderAndInternalOpsHidden) {
  EXPECT_EQ(kNumOps, static_cast<size_t>(OpKind::GroupNormXhat) + 1);
  EXPECT_LT(static_cast<size_t>(OpKind::Conv1d), static_cast<size_t>(OpKind::Gemm));
  for (size_t k = 0; k < kNumOps; ++k) {
    const OpInfo &row = opInfo(static_cast<OpKind>(k));
    EXPECT_EQ(static_cast<size_t>(row.kind), k) << row.name;
    EXPECT_EQ(lookupOp(row.name), row.kind) << row.name;
  }
  std::vector<std::string> user = userOpNames();
  for (OpKind k : {OpKind::ArgmaxMask, OpKind::ArgminMask, OpKind::SliceBackward,
                   OpKind::CrossEntropyBackward, OpKind::Gemm,
                   OpKind::Conv2dInputBackward, OpKind::Conv2dWeightBackward,
                   OpKind::MaxPool2dBackward, OpKind::AvgPool2dBackward,
                   OpKind::AdaptiveAvgPool2dBackward, OpKind::LayerNormBackward,
                   OpKind::LayerNormXhat, OpKind::GroupNormBackward,
                   OpKind::GroupNormXhat}) {
    EXPECT_TRUE(opInfo(k).internal);
    EXPECT_EQ(opInfo(k).name[0], '_');
    EXPECT_EQ(std::find(user.begin(), user.end(), opInfo(k).name), user.end());
  }
  EXPECT_NE(std::find(user.begin(), user.end(), "cross_entropy"), user.end());
}

TEST(OpTable, PropertySetsFollowTheColumns) {
  // The sets passes and codegen ask, spot-checked against the op list.
  EXPECT_TRUE(isView(OpKind::Slice));
  EXPECT_TRUE(isView(OpKind::Detach));
  EXPECT_FALSE(isView(OpKind::Concat));
  EXPECT_TRUE(isReshape(OpKind::Squeeze));
  EXPECT_FALSE(isReshape(OpKind::Detach));
  EXPECT_TRUE(isAlias(OpKind::Detach));
  EXPECT_TRUE(isAlias(OpKind::Reshape));
  EXPECT_FALSE(isAlias(OpKind::Transpose));
  EXPECT_TRUE(isElementwise(OpKind::Expand));
  EXPECT_TRUE(isElementwise(OpKind::Where));
  EXPECT_FALSE(isElementwise(OpKind::Detach));
  EXPECT_TRUE(isCommutative(OpKind::Add));
  EXPECT_FALSE(isCommutative(OpKind::Maximum)); // NaN and -0 pick a side
  EXPECT_TRUE(isReduction(OpKind::Mean));
  EXPECT_TRUE(isMatmulLike(OpKind::Gemm));
  EXPECT_TRUE(isMatmulLike(OpKind::Matmul));
  // The DSL signature column: x.reshape(2, 3) gathers its integers.
  EXPECT_TRUE(opInfo(OpKind::Reshape).dslVarargs);
  EXPECT_EQ(opInfo(OpKind::Transpose).dslArgs,
            (std::vector<std::string>{"dim0", "dim1"}));
  EXPECT_EQ(opInfo(OpKind::Sum).attrs,
            (std::vector<std::string>{"dim", "keepdim"}));
  for (size_t k = 0; k < kNumOps; ++k) {
    const OpInfo &row = opInfo(static_cast<OpKind>(k));
    // Internal ops and only they carry the flag and the underscore.
    EXPECT_EQ(row.internal, row.name[0] == '_') << row.name;
    // A leaf and only a leaf has no lowering.
    EXPECT_EQ(row.lower == LowerKind::None, row.cls == OpClass::Leaf)
        << row.name;
  }
}

TEST(Broadcasting, ShapesFollowNumPyRules) {
  Graph g;
  Node *a = g.addInput("a", {DType::F32, {3, 1, 5}});
  Node *b = g.addInput("b", {DType::F32, {4, 1}});
  Node *c = g.addInput("c", {DType::F32, {}});
  EXPECT_EQ(g.addNode(OpKind::Mul, {a, b})->type.shape, (Shape{3, 4, 5}));
  EXPECT_EQ(g.addNode(OpKind::Sub, {c, a})->type.shape, (Shape{3, 1, 5}));
  EXPECT_EQ(g.addNode(OpKind::Lt, {b, a})->type, (TensorType{DType::Bool, {3, 4, 5}}));
  Node *m = g.addNode(OpKind::Gt, {b, c});
  EXPECT_EQ(g.addNode(OpKind::Where, {m, a, c})->type.shape, (Shape{3, 4, 5}));
  EXPECT_EQ(g.addNode(OpKind::Add, {a, g.addInput("d", {DType::F32, {2, 5}})})->type.shape,
            (Shape{3, 2, 5}));
  Node *bad = g.addInput("bad", {DType::F32, {2, 4}});
  EXPECT_THROW(g.addNode(OpKind::Add, {a, bad}), Error);
}

TEST(Reductions, KeepdimAndNegativeDimsCanonicalize) {
  Graph g;
  Node *x = g.addInput("x", {DType::F64, {2, 3, 4}});
  Node *s = g.addNode(OpKind::Sum, {x}, {{"dim", std::vector<int64_t>{-1, 0}}, {"keepdim", true}});
  EXPECT_EQ(s->type.shape, (Shape{1, 3, 1}));
  EXPECT_EQ(getInts(s->attrs, "dim", {}), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(g.addNode(OpKind::Max, {x}, {{"dim", int64_t(-2)}})->type.shape, (Shape{2, 4}));
  EXPECT_EQ(g.addNode(OpKind::Mean, {x})->type.shape, Shape{});
  EXPECT_THROW(g.addNode(OpKind::Sum, {x}, {{"dim", std::vector<int64_t>{1, -2}}}), Error);
  EXPECT_THROW(g.addNode(OpKind::Sum, {x}, {{"dim", int64_t(3)}}), Error);
}

} // namespace
