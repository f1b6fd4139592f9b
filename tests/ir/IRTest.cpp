//===- tests/ir/IRTest.cpp - IR construction, printing, parsing -----------===//
#include "ir/Error.h"
#include "ir/GradFn.h"
#include "ir/Graph.h"
#include "ir/LoweringPlan.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

std::unique_ptr<Graph> seedGraph() {
  auto g = std::make_unique<Graph>("seed");
  Node *x = g->addInput("x", {DType::F32, {2, 2}},
                        {{"requires_grad", true}, {"init", std::string("ones")}});
  Node *two = g->addConstant({DType::F32, {}}, 2.0);
  Node *y = g->addNode(OpKind::Add, {x, two}, {}, "y");
  Node *t = g->addNode(OpKind::Mul, {y, y}, {}, "t");
  Node *three = g->addConstant({DType::F32, {}}, 3.0);
  Node *z = g->addNode(OpKind::Mul, {t, three}, {}, "z");
  Node *out = g->addNode(OpKind::Mean, {z}, {}, "out");
  Node *s = g->addNode(OpKind::Sum, {z}, {{"dim", std::vector<int64_t>{-1}},
                                          {"keepdim", true}}, "s");
  g->addOutput("out", out);
  g->addOutput("s", s);
  return g;
}

TEST(Types, Broadcast) {
  EXPECT_EQ(*broadcastShapes({2, 1, 3}, {4, 1}), (Shape{2, 4, 3}));
  EXPECT_EQ(*broadcastShapes({}, {5}), (Shape{5}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}).has_value());
  EXPECT_FALSE(numElementsChecked({1LL << 40, 1LL << 40}).has_value());
  EXPECT_EQ(rowMajorStrides({2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
}

TEST(OpTable, RowsMatchKinds) {
  for (const std::string &name : userOpNames()) {
    auto k = lookupOp(name);
    ASSERT_TRUE(k.has_value()) << name;
    EXPECT_EQ(opInfo(*k).kind, *k) << name;
    EXPECT_EQ(std::string(opInfo(*k).name), name);
  }
  EXPECT_EQ(*lookupOp("cat"), OpKind::Concat);
  EXPECT_FALSE(lookupOp("frobnicate").has_value());
}

TEST(Graph, ShapeRulesCanonicalizeDims) {
  auto g = seedGraph();
  Node *s = g->findNode("s");
  EXPECT_EQ(s->type.shape, (Shape{2, 1}));
  EXPECT_EQ(getInts(s->attrs, "dim", {}), (std::vector<int64_t>{1}));
  EXPECT_EQ(g->findNode("out")->type.shape, Shape{});
}

TEST(Graph, ShapeErrorsNameBothShapes) {
  Graph g;
  Node *a = g.addInput("a", {DType::F32, {2, 3}});
  Node *b = g.addInput("b", {DType::F32, {4}});
  try {
    g.addNode(OpKind::Add, {a, b});
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[4]"), std::string::npos);
  }
  Node *c = g.addInput("c", {DType::F64, {2, 3}});
  EXPECT_THROW(g.addNode(OpKind::Mul, {a, c}), Error);
  EXPECT_THROW(g.addNode(OpKind::Sum, {a}, {{"dim", int64_t(2)}}), Error);
  EXPECT_THROW(g.addNode(OpKind::Sum, {a}, {{"bogus", true}}), Error);
  EXPECT_THROW(g.addNode(OpKind::Neg, {a, a}), Error);
}

TEST(Printer, RoundTrips) {
  auto g = seedGraph();
  g->findNode("y")->requiresGrad = true;
  std::string text = printGraph(*g);
  EXPECT_NE(text.find("%y = add(%x, %0) : f32[2,2]  // grad_fn=<AddBackward0>"),
            std::string::npos)
      << text;
  auto g2 = parseGraph(text);
  verifyGraph(*g2);
  PrintOptions noComments;
  noComments.gradFnComments = false;
  EXPECT_EQ(printGraph(*g2, noComments), printGraph(*g, noComments));
}

TEST(Printer, HostileNamesRoundTrip) {
  Graph g("we\"ird\nname");
  Node *x = g.addInput("0", {DType::F64, {3}});
  Node *y = g.addNode(OpKind::Exp, {x}, {}, "a b\\c");
  g.addOutput("out \"1\"", y);
  std::string text = printGraph(g);
  auto g2 = parseGraph(text);
  EXPECT_EQ(g2->name(), g.name());
  EXPECT_EQ(g2->inputs()[0]->name, "0");
  EXPECT_EQ(g2->outputs()[0].name, "out \"1\"");
  EXPECT_EQ(printGraph(*g2), text);
}

TEST(Printer, FloatsRoundTripExactly) {
  Graph g;
  Node *x = g.addInput("x", {DType::F64, {}});
  Node *c = g.addConstant({DType::F64, {}}, 0.1);
  Node *d = g.addConstant({DType::F64, {2}}, 0, {1e-300, -2.5});
  g.addOutput("o", g.addNode(OpKind::Mul, {g.addNode(OpKind::Add, {x, c}), d}));
  auto g2 = parseGraph(printGraph(g));
  EXPECT_EQ(getFloat(g2->nodes()[1]->attrs, "value", 0), 0.1);
  EXPECT_EQ(getFloats(g2->nodes()[2]->attrs, "data")[0], 1e-300);
}

TEST(Parser, ErrorsCarryLineAndColumn) {
  const char *bad = "graph \"g\" {\n  %x = input() : f32[2]\n  %y = frob(%x) : f32[2]\n}\n";
  try {
    parseGraph(bad, "t.gir");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()).rfind("t.gir:3:8: error: unknown op 'frob'", 0), 0u)
        << e.what();
  }
  const char *badType = "graph \"g\" {\n  %x = input() : f32[2]\n  %y = exp(%x) : f32[3]\n}\n";
  EXPECT_THROW(parseGraph(badType), Error);
  const char *undef = "graph \"g\" {\n  %y = exp(%x) : f32[3]\n}\n";
  EXPECT_THROW(parseGraph(undef), Error);
  EXPECT_THROW(parseGraph("graph \"g\" {"), Error);
  EXPECT_THROW(parseGraph("graph \"g"), Error);
}

TEST(Verifier, RejectsBadGradient) {
  auto g = seedGraph();
  g->addGradient(g->findNode("x"), g->findNode("out"));
  EXPECT_THROW(verifyGraph(*g), Error);
}

TEST(GradFn, PyTorchOverloadNames) {
  Graph g;
  Node *x = g.addInput("x", {DType::F32, {2}});
  Node *two = g.addConstant({DType::F32, {}}, 2);
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Pow, {x, two})), "PowBackward0");
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Pow, {x, x})), "PowBackward1");
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Sub, {two, x})), "RsubBackward1");
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Sum, {x})), "SumBackward0");
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Sum, {x}, {{"dim", int64_t(0)}})),
            "SumBackward1");
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Mean, {x})), "MeanBackward0");
  EXPECT_EQ(gradFnName(*g.addNode(OpKind::Detach, {x})), "");
}

} // namespace

namespace {
TEST(OpTable, ScalarReductionWithDimIsAFixedPoint) {
  Graph g;
  Node *x = g.addInput("x", {DType::F32, {}});
  Node *s = g.addNode(OpKind::Sum, {x}, {{"dim", int64_t(0)}});
  g.addOutput("s", s);
  std::string once = printGraph(g);
  auto g2 = parseGraph(once);
  EXPECT_EQ(printGraph(*g2), once);
  EXPECT_EQ(s->type.shape, Shape{});
  // logsumexp requires dim, and on a scalar its canonical form has none:
  // the verifier's re-inference must accept that form.
  Node *l = g.addNode(OpKind::Logsumexp, {x}, {{"dim", int64_t(0)}});
  g.addOutput("l", l);
  EXPECT_NO_THROW(verifyGraph(g));
  once = printGraph(g);
  EXPECT_EQ(printGraph(*parseGraph(once)), once);
}
} // namespace

TEST(Errors, InternalErrorsAreNotUserErrors) {
  // A handler of user errors must not swallow a broken invariant.
  bool asUser = false, asInternal = false;
  try {
    try {
      throw InternalError("cse", "a node lost its operand");
    } catch (const Error &) {
      asUser = true;
    }
  } catch (const InternalError &e) {
    asInternal = true;
    EXPECT_EQ(e.stage(), "cse");
    EXPECT_STREQ(e.what(), "internal error in cse: a node lost its operand");
  }
  EXPECT_FALSE(asUser);
  EXPECT_TRUE(asInternal);
}

TEST(Errors, LocatedIsAFlagNotText) {
  EXPECT_FALSE(Error("a: error: b").isLocated());
  Error e = Error::located("f.gir:1:2: error: bad");
  EXPECT_TRUE(e.isLocated());
  Error copy = e; // rethrown copies keep it
  EXPECT_TRUE(copy.isLocated());
}

TEST(LoweringPlan, PlansAreTypedAndPrintAsAttributes) {
  Graph g;
  Node *x = g.addInput("x", {DType::F32, {3}});
  Node *y = g.addNode(OpKind::Exp, {x});
  ValuePlace v{{Place::Workspace, 128, 0},
               {{Place::Output, 0, 2}, {Place::Grad, 0, 1}}};
  EXPECT_EQ(v.str(), "ws+128 out#2 grad#1");
  EXPECT_EQ((ValuePlace{{Place::Context, 64, 0}, {}}).str(), "ctx+64");
  EXPECT_EQ((ValuePlace{{Place::Reg, 0, 0}, {}}).str(), "reg");
  EXPECT_EQ(slotBytes(y), 64u); // 12 bytes, one aligned slot
  // Without a kernel, a computed node reads its operand's storage.
  EXPECT_EQ(kernelOf(y), -1);
  EXPECT_TRUE(isStorageView(y));
  EXPECT_EQ(storageRoot(y), x);
  y->plan.kernel = 0;
  y->plan.fused = v;
  y->plan.split = ValuePlace{{Place::Context, 64, 0}, {}};
  EXPECT_EQ(storageRoot(y), y);
  // The printer shows the plan as attributes; the parser drops them (a
  // parsed graph is planned again) and clones keep them.
  g.addOutput("y", y);
  std::string text = printGraph(g);
  EXPECT_NE(text.find("{buf = \"ws+128 out#2 grad#1\", buf_split = \"ctx+64\", kernel = 0}"),
            std::string::npos) << text;
  auto parsed = parseGraph(text, "plan.gir");
  for (const auto &n : parsed->nodes()) {
    EXPECT_EQ(n->plan.kernel, -1);
    EXPECT_FALSE(n->plan.fused);
    EXPECT_TRUE(n->attrs.empty()) << n->displayName();
  }
  auto copy = g.clone();
  EXPECT_EQ(copy->nodes().back()->plan.fused, v);
}
