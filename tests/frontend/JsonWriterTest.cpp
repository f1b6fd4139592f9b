//===- tests/frontend/JsonWriterTest.cpp - The JSON graph writer ----------===//
#include "frontend/GraphBuilder.h"
#include "frontend/JsonLoader.h"
#include "frontend/JsonWriter.h"
#include "ir/Error.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace gradc;

namespace {

/// Writes `g`, loads the text back, and checks the IR is the same; writing
/// the reloaded graph gives the same text. Returns the text.
std::string expectRoundTrip(const Graph &g) {
  std::string text = writeJsonGraph(g);
  std::unique_ptr<Graph> back;
  try {
    back = loadJsonGraph(text, "roundtrip.json");
  } catch (const Error &e) {
    ADD_FAILURE() << "reload failed: " << e.what() << "\n" << text;
    return text;
  }
  EXPECT_EQ(printGraph(*back), printGraph(g)) << text;
  EXPECT_EQ(writeJsonGraph(*back), text);
  return text;
}

std::unique_ptr<Graph> load(const std::string &text) {
  return loadJsonGraph(text, "g.json");
}

/// The message of the gradc::Error that writing `g` throws.
std::string writeError(const Graph &g) {
  try {
    writeJsonGraph(g);
  } catch (const Error &e) {
    return e.what();
  }
  return "<no error>";
}

} // namespace

TEST(JsonWriter, DesignExampleText) {
  auto g = load(R"({"name": "seed",
    "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 2], "requires_grad": true, "init": "ones"}],
    "nodes": [
      {"name": "y",   "op": "add",  "inputs": ["x", 2]},
      {"name": "t",   "op": "mul",  "inputs": ["y", "y"]},
      {"name": "z",   "op": "mul",  "inputs": ["t", 3]},
      {"name": "out", "op": "mean", "inputs": ["z"]},
      {"name": "s",   "op": "sum",  "inputs": ["z"], "attrs": {"dim": [1], "keepdim": true}},
      {"name": "w",   "op": "pow",  "inputs": ["x", 2], "no_grad": true}],
    "outputs": ["out", "z"]})");
  EXPECT_EQ(expectRoundTrip(*g), R"({
  "name": "seed",
  "inputs": [
    {"name": "x", "dtype": "f32", "shape": [2, 2], "requires_grad": true, "init": "ones"}
  ],
  "nodes": [
    {"name": "y", "op": "add", "inputs": ["x", 2]},
    {"name": "t", "op": "mul", "inputs": ["y", "y"]},
    {"name": "z", "op": "mul", "inputs": ["t", 3]},
    {"name": "out", "op": "mean", "inputs": ["z"]},
    {"name": "s", "op": "sum", "inputs": ["z"], "attrs": {"dim": [1], "keepdim": true}},
    {"name": "w", "op": "pow", "inputs": ["x", 2], "no_grad": true}
  ],
  "outputs": ["out", "z"]
}
)");
}

TEST(JsonWriter, InitForms) {
  auto g = load(R"({"name": "inits", "inputs": [
      {"name": "a", "shape": [2]},
      {"name": "b", "shape": [2], "init": "zeros"},
      {"name": "c", "dtype": "f64", "shape": [2], "init": "ones", "requires_grad": true},
      {"name": "d", "shape": [2, 2], "init": 0.1},
      {"name": "e", "shape": [], "init": -3},
      {"name": "f", "shape": [2, 3], "init": [[1, 2.5, -0.0], [1e-300, 5e-324, 1e22]]},
      {"name": "g", "shape": [2, 0, 3], "init": [[], []]},
      {"name": "h", "dtype": "i64", "shape": [3], "init": {"randn": 7}},
      {"name": "i", "shape": [3], "init": {"rand": -9223372036854775808}},
      {"name": "j", "dtype": "bool", "shape": [1], "init": [1]}],
    "outputs": ["a"]})");
  std::string text = expectRoundTrip(*g);
  EXPECT_NE(text.find(R"({"name": "f", "dtype": "f32", "shape": [2, 3], )"
                      R"("init": [[1, 2.5, -0.0], [1e-300, 5e-324, 1e+22]]})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("init": {"rand": -9223372036854775808})"),
            std::string::npos);
  EXPECT_NE(text.find(R"({"name": "g", "dtype": "f32", "shape": [2, 0, 3], )"
                      R"("init": [[], []]})"),
            std::string::npos);
  EXPECT_NE(text.find(R"("init": 0.1})"), std::string::npos);
}

TEST(JsonWriter, EveryOpAndAttributeKind) {
  auto g = load(R"({"name": "ops", "inputs": [
      {"name": "x", "shape": [2, 3], "requires_grad": true},
      {"name": "w", "dtype": "f64", "shape": [3, 3]},
      {"name": "l", "dtype": "i64", "shape": [2]}],
    "nodes": [
      {"name": "a", "op": "sum", "inputs": ["x"], "attrs": {"dim": -1, "keepdim": true}},
      {"name": "b", "op": "mean", "inputs": ["x"], "attrs": {"dim": []}},
      {"name": "c", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [-1]}},
      {"name": "d", "op": "expand", "inputs": ["a"], "attrs": {"shape": [4, 2, -1]}},
      {"name": "e", "op": "transpose", "inputs": ["x"]},
      {"name": "f", "op": "permute", "inputs": ["x"], "attrs": {"dims": [1, 0]}},
      {"name": "g", "op": "squeeze", "inputs": ["a"]},
      {"name": "h", "op": "unsqueeze", "inputs": ["x"], "attrs": {"dim": -1}},
      {"name": "i", "op": "cat", "inputs": ["x", "x", "x"], "attrs": {"dim": 1}},
      {"name": "j", "op": "slice", "inputs": ["x"], "attrs": {"dim": 1, "start": -2, "step": 2}},
      {"name": "k", "op": "softmax", "inputs": ["x"], "attrs": {"dim": 1}},
      {"name": "m", "op": "log_softmax", "inputs": ["x"], "attrs": {"dim": -1}},
      {"name": "n", "op": "cross_entropy", "inputs": ["x", "l"], "attrs": {"reduction": "none"}},
      {"name": "o", "op": "mse_loss", "inputs": ["x", 0.5]},
      {"name": "p", "op": "gt", "inputs": ["x", 0]},
      {"name": "q", "op": "where", "inputs": ["p", 1.5, "x"]},
      {"name": "r", "op": "maximum", "inputs": [-0.0, "q"], "no_grad": true},
      {"name": "s", "op": "matmul", "inputs": ["w", "w"], "attrs": {}}],
    "outputs": ["a", "n", "r"]})");
  expectRoundTrip(*g);
}

TEST(JsonWriter, LiteralsKeepEveryBit) {
  const std::vector<double> values = {
      0.1, -0.0, 1e-300, 5e-324, 1e22, 123456789012345678.0, 9007199254740993.0,
      -2, 1.0 / 3, std::numeric_limits<double>::max()};
  GraphBuilder b("lits");
  Node *x = b.addInput("x", {DType::F64, {2}}, false, {});
  for (size_t i = 0; i < values.size(); ++i)
    x = b.addOp(OpKind::Add, {BuildOperand::of(x), BuildOperand::number(values[i])},
                {}, "", false);
  b.addOutput("x");
  auto g = b.finish();
  std::string text = expectRoundTrip(*g);
  auto back = load(text);
  size_t k = 0;
  for (const auto &n : back->nodes())
    if (n->op == OpKind::Constant) {
      double v = getFloat(n->attrs, "value", 0);
      EXPECT_EQ(std::signbit(v), std::signbit(values[k]));
      EXPECT_EQ(v, values[k++]);
    }
  EXPECT_EQ(k, values.size());
}

TEST(JsonWriter, TemporariesUseTheIrDumpNumbers) {
  auto g = load(R"({"inputs": [{"name": "x", "shape": [2]}],
    "nodes": [{"name": "%0", "op": "mul", "inputs": ["x", 2]},
              {"name": "%1", "op": "exp", "inputs": ["%0"]},
              {"name": "y", "op": "add", "inputs": ["%1", "%0"]}],
    "outputs": ["y"]})");
  // In the IR the literal is %0, so the mul is %1 and the exp %2.
  EXPECT_EQ(printGraph(*g), R"(graph "g" {
  %x = input() : f32[2]
  %0 = constant() {value = 2.0} : f32[]
  %1 = mul(%x, %0) : f32[2]
  %2 = exp(%1) : f32[2]
  %y = add(%2, %1) : f32[2]
  output "y" = %y
}
)");
  std::string text = expectRoundTrip(*g);
  EXPECT_NE(text.find(R"({"name": "%1", "op": "mul", "inputs": ["x", 2]},)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"({"name": "%2", "op": "exp", "inputs": ["%1"]},)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"({"name": "y", "op": "add", "inputs": ["%2", "%1"]})"),
            std::string::npos) << text;
}

TEST(JsonWriter, HostileNames) {
  GraphBuilder b("a \"graph\"\n\\");
  Node *q = b.addInput("quote\"back\\slash", {DType::F32, {2}}, true, {});
  Node *nl = b.addInput("new\nline\ttab\x01", {DType::F32, {2}}, false, {});
  Node *uni = b.addInput("\xc3\xa9\xe4\xb8\xad \xf0\x9f\x98\x80", {DType::F32, {2}},
                         false, {});
  // User names that look like temporaries, next to real temporaries.
  Node *t0 = b.addOp(OpKind::Neg, {BuildOperand::of(q)}, {}, "", false);
  Node *p0 = b.addOp(OpKind::Add, {BuildOperand::of(t0), BuildOperand::of(nl)},
                     {}, "%0", false);
  Node *pp = b.addOp(OpKind::Mul, {BuildOperand::of(p0), BuildOperand::of(uni)},
                     {}, "%%1", false);
  Node *pct = b.addOp(OpKind::Exp, {BuildOperand::of(pp)}, {}, "%", false);
  b.addOp(OpKind::Sin, {BuildOperand::of(pct)}, {}, std::string("\0z", 2), false);
  b.addOp(OpKind::Cos, {BuildOperand::of(pct)}, {}, " ", false);
  b.addOutput("%0");
  b.addOutput(std::string("\0z", 2));
  b.addOutput(" ");
  auto g = b.finish();
  std::string text = expectRoundTrip(*g);
  EXPECT_NE(text.find(R"({"name": "%0", "op": "neg", "inputs": ["quote\"back\\slash"]})"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"({"name": "%%0", "op": "add", "inputs": ["%0", "new\nline\ttab\u0001"]})"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"("name": "%%%1")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("outputs": ["%%0", "\u0000z", " "])"), std::string::npos)
      << text;
  auto back = load(text);
  EXPECT_EQ(back->findNode("%0")->op, OpKind::Add);
  EXPECT_EQ(back->findNode("%%1")->op, OpKind::Mul);
}

TEST(JsonWriter, GraphsFromTheIrParserRoundTrip) {
  auto g = parseGraph(R"(graph "parsed" {
  %x = input() {init = "data", init_data = [1.0, 2.0, 3.0, 4.0], requires_grad = true} : f32[2,2]
  %0 = constant() {value = 2.0} : f32[]
  %"%3" = add(%x, %0) : f32[2,2]
  %1 = sum(%"%3") {dim = [0]} : f32[2]
  %out = mean(%1) : f32[]
  output "out" = %out
}
)");
  std::string text = expectRoundTrip(*g);
  EXPECT_NE(text.find(R"("init": [[1, 2], [3, 4]])"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"name": "%%3", "op": "add", "inputs": ["x", 2]})"),
            std::string::npos) << text;
}

TEST(JsonWriter, LongChainRoundTrips) {
  GraphBuilder b("chain");
  Node *x = b.addInput("x", {DType::F32, {4}}, true, {});
  for (int i = 0; i < 10000; ++i)
    x = b.addOp(i % 2 ? OpKind::Mul : OpKind::Add,
                {BuildOperand::of(x), BuildOperand::number(i)}, {},
                i % 1000 ? "" : "n" + std::to_string(i), i % 3 == 0);
  b.addOutput("n9000");
  auto g = b.finish();
  std::string text = expectRoundTrip(*g);
  // One node per line.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10000 + 9);
}

//===--- What JSON cannot express --------------------------------------------===//

TEST(JsonWriter, RefusesPostAutodiffGraphs) {
  Graph g("g");
  Node *x = g.addInput("x", {DType::F32, {}}, {{"requires_grad", true}});
  Node *y = g.addNode(OpKind::Exp, {x}, {}, "y");
  g.addOutput("y", y);
  Node *s = g.addSeed("y", {DType::F32, {}});
  g.addGradient(x, g.addNode(OpKind::Mul, {s, y}));
  EXPECT_EQ(writeError(g), "cannot write the graph as JSON: it has seeds or "
                           "gradients (it is past autodiff); only source-level "
                           "graphs can be written");
}

TEST(JsonWriter, RefusesConstantsThatAreNotLiterals) {
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F32, {2}}, 1.0);
    g.addOutput("y", g.addNode(OpKind::Add, {x, c}, {}, "y"));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: node 'y' (add) "
                             "has the constant operand '%0', which cannot be "
                             "written as a number literal: it is not a scalar");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F32, {}}, 1.0);
    g.addNode(OpKind::Add, {x, c}, {}, "y");
    g.addOutput("z", g.addNode(OpKind::Mul, {x, c}, {}, "z"));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: node 'y' (add) "
                             "has the constant operand '%0', which cannot be "
                             "written as a number literal: it is used more "
                             "than once");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F32, {}}, 1.0);
    Node *y = g.addNode(OpKind::Neg, {x}, {}, "y");
    g.addOutput("z", g.addNode(OpKind::Mul, {y, c}, {}, "z"));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: node 'z' (mul) "
                             "has the constant operand '%0', which cannot be "
                             "written as a number literal: it is not placed "
                             "right before its user");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F64, {}}, 1.0);
    Node *y = g.addNode(OpKind::Gt, {x, x}, {}, "y");
    g.addOutput("z", g.addNode(OpKind::Where, {y, x, x}, {}, "z"));
    (void)c;
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: the constant "
                             "'%0' is not an operand that can be written as a "
                             "number literal");
  }
  {
    // A literal is typed like the first tensor operand: an i64 scalar
    // target next to f32 logits cannot have come from a literal.
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {3}});
    Node *c = g.addConstant({DType::I64, {}}, 1.0);
    g.addOutput("z", g.addNode(OpKind::CrossEntropy, {x, c}, {}, "z"));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: node 'z' "
                             "(cross_entropy) has the constant operand '%0', "
                             "which cannot be written as a number literal: it "
                             "is i64 but a literal here would be f32");
  }
}

TEST(JsonWriter, RefusesNumbersJsonCannotSpell) {
  GraphBuilder b("g");
  Node *x = b.addInput("x", {DType::F32, {2}}, false, {});
  b.addOp(OpKind::Add, {BuildOperand::of(x), BuildOperand::number(NAN)}, {}, "y",
          false);
  b.addOutput("y");
  auto g = b.finish();
  EXPECT_EQ(writeError(*g), "cannot write the graph as JSON: a constant "
                            "operand of node 'y' (add) is nan, which a JSON "
                            "number cannot express");

  GraphBuilder b2("g");
  InputInit inf;
  inf.kind = InputInit::Value;
  inf.value = -INFINITY;
  b2.addInput("x", {DType::F32, {2}}, false, inf);
  b2.addOutput("x");
  EXPECT_EQ(writeError(*b2.finish()),
            "cannot write the graph as JSON: the init of node 'x' (input) is "
            "-inf, which a JSON number cannot express");
}

TEST(JsonWriter, RefusesOtherInexpressibleThings) {
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    g.addOutput("out", g.addNode(OpKind::Neg, {x}, {}, "y"));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: output 'out' "
                             "refers to the value 'y'; JSON outputs must name "
                             "a value of the same name");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    g.addOutput("out", g.addNode(OpKind::Neg, {x}));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: output 'out' "
                             "refers to an unnamed value; JSON outputs must "
                             "name a value of the same name");
  }
  {
    Graph g("g");
    Node *x = g.addInput("bad\xff", {DType::F32, {2}});
    g.addOutput("bad\xff", x);
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: the string "
                             "\"bad\\xff\" is not valid UTF-8");
  }
  {
    Graph g("g");
    g.addOutput("x", g.addInput("x", {DType::F32, {}},
                                {{"init", std::string("data")},
                                 {"init_data", std::vector<double>{1.0}}}));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: the init of "
                             "node 'x' (input) is dense data of a scalar, "
                             "which loads back as a value");
  }
  {
    Graph g("g");
    g.addOutput("x", g.addInput("x", {DType::F32, {}},
                                {{"requires_grad", false}}));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: node 'x' "
                             "(input) has attributes the JSON format cannot "
                             "express");
  }
  {
    Graph g("g");
    g.addOutput("x", g.addInput("x", {DType::I32, {}},
                                {{"requires_grad", true}}));
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: node 'x' "
                             "(input): only floating-point inputs can require "
                             "gradients (input 'x' is i32)");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    g.addOutput("y", g.addNode(OpKind::Sum, {x}, {{"dim", std::vector<double>{}},
                                                  {"keepdim", true}},
                               "y"));
    g.nodes().back()->attrs["keepdim"] = std::numeric_limits<double>::infinity();
    EXPECT_EQ(writeError(g), "cannot write the graph as JSON: attribute "
                             "'keepdim' of node 'y' (sum) is inf, which a JSON "
                             "number cannot express");
  }
}
