//===- tests/robust/BigGraphTest.cpp - 100k-node graphs, no deep recursion ===//
//
// Graphs far deeper than any native stack allows if a walk recursed once
// per node: every walk over ir/, frontend/ and the autodiff pass must be
// iterative, and name lookups must not make building them quadratic.
//
//===----------------------------------------------------------------------===//
#include "frontend/GraphBuilder.h"
#include "frontend/JsonLoader.h"
#include "frontend/JsonWriter.h"
#include "ir/Error.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/DeadCodeElimination.h"
#include "passes/RequiresGrad.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace gradc;

namespace {

constexpr int kNodes = 100000;

/// x -> neg -> neg -> ... -> sum, `n` nodes deep, every node named.
std::unique_ptr<Graph> chain(int n) {
  GraphBuilder b("chain");
  InputInit ones;
  ones.kind = InputInit::Ones;
  Node *prev = b.addInput("x", {DType::F32, {3}}, true, ones);
  for (int i = 0; i < n; ++i)
    prev = b.addOp(OpKind::Neg, {BuildOperand::of(prev)}, {},
                   "n" + std::to_string(i), false);
  b.addOp(OpKind::Sum, {BuildOperand::of(prev)}, {}, "out", false);
  b.addOutput("out");
  return b.finish();
}

TEST(BigGraph, BuildLookupAndDuplicateCheck) {
  auto g = chain(kNodes);
  EXPECT_EQ(g->nodes().size(), size_t(kNodes + 2));
  EXPECT_EQ(g->findNode("n77777")->name, "n77777");
  EXPECT_EQ(g->findNode("x")->op, OpKind::Input);
  EXPECT_EQ(g->findNode("nope"), nullptr);
  EXPECT_EQ(g->findNode(""), nullptr);
}

TEST(BigGraph, DuplicateNameIsStillFound) {
  GraphBuilder b("g");
  Node *x = b.addInput("x", {DType::F32, {}}, false, {});
  for (int i = 0; i < 1000; ++i)
    b.addOp(OpKind::Neg, {BuildOperand::of(x)}, {}, "v" + std::to_string(i),
            false);
  try {
    b.addOp(OpKind::Neg, {BuildOperand::of(x)}, {}, "v500", false);
    FAIL() << "duplicate accepted";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "the name 'v500' is already defined");
  }
}

TEST(BigGraph, IndexFollowsRemovalCloneAndLateNames) {
  Graph g("g");
  Node *x = g.addInput("x", {DType::F32, {2}});
  Node *a = g.addNode(OpKind::Neg, {x}, {}, "a");
  EXPECT_EQ(g.findNode("a"), a);
  // A name given right after creation (as the IR parser does) is found.
  Node *b = g.addNode(OpKind::Exp, {x});
  b->name = "b";
  EXPECT_EQ(g.findNode("b"), b);
  // An input added after other nodes goes before them and is indexed.
  Node *y = g.addInput("y", {DType::F32, {2}});
  EXPECT_EQ(g.nodes()[1].get(), y);
  EXPECT_EQ(g.findNode("y"), y);
  g.addOutput("b", b);
  g.removeNodesIf([&](const Node *n) { return n == a; });
  EXPECT_EQ(g.findNode("a"), nullptr);
  auto c = g.clone();
  ASSERT_NE(c->findNode("b"), nullptr);
  EXPECT_NE(c->findNode("b"), b);
  EXPECT_EQ(c->findNode("b")->op, OpKind::Exp);
}

TEST(BigGraph, WalksAreIterative) {
  auto g = chain(kNodes);
  verifyGraph(*g);
  auto c = g->clone();
  analyzeRequiresGrad(*c);
  ASSERT_TRUE(differentiate(*c));
  verifyGraph(*c);
  eliminateDeadCode(*c);
  EXPECT_GT(c->nodes().size(), size_t(2 * kNodes));
  std::string text = printGraph(*c);
  // The joint graph has more nodes than GRADC_MAX_NODES allows by default.
  setenv("GRADC_MAX_NODES", "1M", 1);
  auto back = parseGraph(text, "big.gir");
  unsetenv("GRADC_MAX_NODES");
  verifyGraph(*back);
  EXPECT_EQ(back->nodes().size(), c->nodes().size());
}

TEST(BigGraph, JsonRoundTripOfAChainWrittenBackwards) {
  // Nodes listed last-to-first: every reference is a forward reference,
  // so the loader's topological sort walks 100k levels.
  std::string nodes;
  for (int i = kNodes - 1; i >= 0; --i)
    nodes += std::string(nodes.empty() ? "" : ",") + R"({"name": "n)" +
             std::to_string(i) + R"(", "op": "neg", "inputs": [")" +
             (i ? "n" + std::to_string(i - 1) : std::string("x")) + "\"]}";
  std::string text = R"({"inputs": [{"name": "x", "shape": [2]}], "nodes": [)" +
                     nodes + R"(], "outputs": ["n)" + std::to_string(kNodes - 1) +
                     "\"]}";
  auto g = loadJsonGraph(text, "rev.json");
  EXPECT_EQ(g->nodes().size(), size_t(kNodes + 1));
  auto again = loadJsonGraph(writeJsonGraph(*g), "again.json");
  EXPECT_EQ(printGraph(*again), printGraph(*g));
}

TEST(BigGraph, LongCycleIsAnError) {
  std::string nodes;
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    nodes += std::string(i ? "," : "") + R"({"name": "c)" + std::to_string(i) +
             R"(", "op": "neg", "inputs": ["c)" + std::to_string((i + 1) % n) +
             "\"]}";
  std::string text = R"({"inputs": [{"name": "x", "shape": [2]}], "nodes": [)" +
                     nodes + R"(], "outputs": ["c0"]})";
  try {
    loadJsonGraph(text, "cycle.json");
    FAIL() << "cycle accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos);
  }
}

} // namespace
