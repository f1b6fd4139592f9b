//===- tests/dsl/DslWriterTest.cpp - DSL -> IR -> DSL -> IR ---------------===//
#include "DslTestUtil.h"

#include "frontend/JsonLoader.h"

#include <cmath>
#include <limits>

using namespace gradc;
using namespace gradc::dsltest;

namespace {

/// Parses, writes, re-parses; the IR must not change. Returns the DSL the
/// writer produced.
std::string roundTrip(const std::string &src) {
  std::unique_ptr<Graph> g;
  try {
    g = parseDslGraph(src, "t.grad");
  } catch (const Error &e) {
    ADD_FAILURE() << "does not parse:\n" << src << "\n" << e.what();
    return "";
  }
  return expectRoundTrip(*g);
}

TEST(DslWriter, SeedIsIdiomatic) {
  std::string src = "graph seed\n"
                    "x = ones(2, 2, requires_grad=True)\n"
                    "y = x + 2\n"
                    "z = y * y * 3\n"
                    "out = z.mean()\n"
                    "s = z.sum(dim=1, keepdim=True)\n"
                    "with no_grad:\n"
                    "    w = x ** 2\n"
                    "return out, z\n";
  EXPECT_EQ(roundTrip(src), "graph seed\n"
                            "\n"
                            "x = ones(2, 2, requires_grad=True)\n"
                            "\n"
                            "y = x + 2\n"
                            "z = y * y * 3\n"
                            "out = z.mean()\n"
                            "s = z.sum(dim=1, keepdim=True)\n"
                            "with no_grad:\n"
                            "    w = x ** 2\n"
                            "return out, z\n");
}

TEST(DslWriter, SameIRAsJson) {
  const char *json = R"({
    "name": "seed",
    "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 2],
                "requires_grad": true, "init": "ones"}],
    "nodes": [
      {"name": "y",   "op": "add",  "inputs": ["x", 2]},
      {"name": "t",   "op": "mul",  "inputs": ["y", "y"]},
      {"name": "z",   "op": "mul",  "inputs": ["t", 3]},
      {"name": "out", "op": "mean", "inputs": ["z"]},
      {"name": "s",   "op": "sum",  "inputs": ["z"],
       "attrs": {"dim": [1], "keepdim": true}},
      {"name": "w",   "op": "pow",  "inputs": ["x", 2], "no_grad": true}
    ],
    "outputs": ["out", "z"]
  })";
  std::string dsl = "graph seed\n"
                    "x = ones(2, 2, requires_grad=True)\n"
                    "y = x + 2\n"
                    "t = y * y\n"
                    "z = t * 3\n"
                    "out = z.mean()\n"
                    "s = z.sum(dim=[1], keepdim=True)\n"
                    "with no_grad:\n"
                    "    w = x ** 2\n"
                    "return out, z\n";
  auto g = loadJsonGraph(json, "seed.json");
  EXPECT_EQ(printGraph(*g), ir(dsl));
  EXPECT_EQ(writeDslGraph(*g), "graph seed\n\n"
                               "x = ones(2, 2, requires_grad=True)\n\n"
                               "y = x + 2\n"
                               "t = y * y\n"
                               "z = t * 3\n"
                               "out = z.mean()\n"
                               "s = z.sum(dim=1, keepdim=True)\n"
                               "with no_grad:\n"
                               "    w = x ** 2\n"
                               "return out, z\n");
}

TEST(DslWriter, SameIRAsJsonWithAttributes) {
  const char *json = R"({
    "name": "mlp",
    "inputs": [
      {"name": "x", "shape": [4, 3], "init": {"randn": 1}},
      {"name": "w", "shape": [3, 2], "requires_grad": true, "init": 0.5},
      {"name": "t", "dtype": "i64", "shape": [4], "init": [0, 1, 1, 0]}
    ],
    "nodes": [
      {"name": "%0", "op": "matmul", "inputs": ["x", "w"]},
      {"name": "h", "op": "relu", "inputs": ["%0"]},
      {"name": "ht", "op": "transpose", "inputs": ["h"],
       "attrs": {"dim0": 0, "dim1": 1}},
      {"name": "r", "op": "reshape", "inputs": ["ht"], "attrs": {"shape": [-1]}},
      {"name": "c", "op": "concat", "inputs": ["r", "r"], "attrs": {"dim": 0}},
      {"name": "s", "op": "slice", "inputs": ["c"],
       "attrs": {"dim": 0, "start": 1, "end": -1, "step": 2}},
      {"name": "loss", "op": "cross_entropy", "inputs": ["h", "t"],
       "attrs": {"reduction": "sum"}},
      {"name": "m", "op": "maximum", "inputs": [0, "h"], "no_grad": true}
    ],
    "outputs": ["loss", "s", "m"]
  })";
  std::string dsl = "graph mlp\n"
                    "x = randn(4, 3, seed=1)\n"
                    "w = full([3, 2], 0.5, requires_grad=True)\n"
                    "t = tensor([0, 1, 1, 0])\n"
                    "h = relu(x @ w)\n"
                    "ht = h.transpose(0, 1)\n"
                    "r = ht.reshape(-1)\n"
                    "c = cat([r, r])\n"
                    "s = c[1:-1:2]\n"
                    "loss = F.cross_entropy(h, t, reduction='sum')\n"
                    "with torch.no_grad():\n"
                    "    m = maximum(0, h)\n"
                    "return loss, s, m\n";
  auto g = loadJsonGraph(json, "mlp.json");
  EXPECT_EQ(printGraph(*g), ir(dsl));
  EXPECT_EQ(expectRoundTrip(*g), "graph mlp\n\n"
                                 "x = randn(4, 3, seed=1)\n"
                                 "w = full([3, 2], 0.5, requires_grad=True)\n"
                                 "t = tensor([0, 1, 1, 0])\n\n"
                                 "h = relu(x @ w)\n"
                                 "ht = h.transpose(0, 1)\n"
                                 "r = ht.reshape(8)\n"
                                 "c = cat([r, r], dim=0)\n"
                                 "s = c[1:15:2]\n"
                                 "loss = cross_entropy(h, t, "
                                 "reduction=\"sum\")\n"
                                 "with no_grad:\n"
                                 "    m = maximum(0, h)\n"
                                 "return loss, s, m\n");
}

// torch.full(...) (and full(...) inside an expression) is the op full; a
// bare full(...) on a line of its own declares an input. JSON -> DSL -> IR
// gives the JSON's IR, with a module prefix no value shadows.
TEST(DslWriter, FullOpRoundTripsAsTorchFull) {
  const char *json = R"({
    "name": "f",
    "inputs": [{"name": "x", "shape": [2, 3], "requires_grad": true, "init": 0.5}],
    "nodes": [
      {"name": "m", "op": "full", "attrs": {"size": [2, 3], "fill_value": 2.0}},
      {"name": "i", "op": "full", "attrs": {"size": 3, "fill_value": 7}},
      {"name": "b", "op": "full", "attrs": {"size": [], "fill_value": true}},
      {"name": "d", "op": "full", "attrs": {"size": [1], "fill_value": 1.5, "dtype": "f64"}},
      {"name": "%0", "op": "full", "attrs": {"size": [2, 3], "fill_value": -1.0}},
      {"name": "y", "op": "mul", "inputs": ["x", "%0"]}
    ],
    "outputs": ["y", "m", "i", "b", "d"]
  })";
  auto g = loadJsonGraph(json, "f.json");
  EXPECT_EQ(expectRoundTrip(*g), "graph f\n\n"
                                 "x = full([2, 3], 0.5, requires_grad=True)\n\n"
                                 "m = torch.full([2, 3], 2.0)\n"
                                 "i = torch.full([3], 7)\n"
                                 "b = torch.full([], True)\n"
                                 "d = torch.full([1], 1.5, dtype=\"f64\")\n"
                                 "y = x * torch.full([2, 3], -1.0)\n"
                                 "return y, m, i, b, d\n");
  // As PyTorch writes it; the bare full on its own line stays an input.
  EXPECT_EQ(printGraph(*g), ir("graph f\n"
                               "x = full((2, 3), 0.5, requires_grad=True)\n"
                               "m = torch.full((2, 3), 2.0)\n"
                               "i = T.full(3, 7)\n"
                               "b = torch.full((), True)\n"
                               "d = torch.full(size=[1], fill_value=1.5, dtype=torch.float64)\n"
                               "y = x * full((2, 3), -1.0)\n"
                               "return y, m, i, b, d\n"));
  // A value named torch: the writer takes the next module prefix.
  const char *shadow = R"({
    "name": "s",
    "inputs": [{"name": "torch", "shape": [2], "init": "ones"}],
    "nodes": [{"name": "%0", "op": "full", "attrs": {"size": [2], "fill_value": 3.0}},
              {"name": "y", "op": "add", "inputs": ["torch", "%0"]}],
    "outputs": ["y"]
  })";
  std::string text = expectRoundTrip(*loadJsonGraph(shadow, "s.json"));
  EXPECT_NE(text.find("T.full([2], 3.0)"), std::string::npos) << text;
}

TEST(DslWriter, ManyPrograms) {
  const char *inputs = "a = ones(2, 2, requires_grad=True)\n"
                       "b = randn(2, 2, seed=7, dtype=f64)\n"
                       "c = tensor([[1.5, -2.0], [1e-300, 5e-324]])\n"
                       "k = tensor([0, 1], dtype=i64)\n"
                       "i = tensor([[1, 2], [3, 4]], dtype=i32)\n"
                       "s = full([], 0.25)\n"
                       "e = input(2, 0, 3)\n"
                       "m = tensor([True, False])\n"
                       "f = full([2], 3, dtype=f64)\n"
                       "g = full([1], 2.5, dtype=i64)\n"
                       "h = full([1], -0.0)\n";
  const char *bodies[] = {
      "y = a + 2",
      "y = -a ** 2 * -1 + (a - -1.5) @ a.T",
      "y = (a + 1) * (a - 1) / (a * a)",
      "y = a - (a - a)",
      "y = a ** a ** a",
      "y = (a ** a) ** a",
      "y = (-a) ** 2",
      "y = 2 ** -a",
      "y = (-2) ** a",
      "y = -(-a)",
      "y = neg(2) + a",
      "y = neg(-2) * a",
      "y = -(a + 1)",
      "y = exp(2)",
      "y = add(2, 3) * sub(2, 3) / mul(2, 3) - div(2, 3) + pow(2, 3)",
      "y = a * (1 / 3) + 2 ** 0.5",
      "y = a * inf - -inf + nan",
      "y = a * 1e20 + 1e-7 + 0.1 + 123456789012345678",
      "y = a * -0.0",
      "y = where(a > 0, a, 0.5 * a)",
      "y = (a < a) == (a >= a)",
      "y = maximum(a, 0) + minimum(0, a)",
      "y = relu(tanh(sigmoid(abs(sqrt(exp(log(a)))))))",
      "y = sin(a) * cos(a) + sign(a)",
      "y = a.detach() * 2",
      "y = a.sum()",
      "y = a.sum(0).sum(0)",
      "y = a.sum(dim=(0, 1), keepdim=True)",
      "y = a.mean(1, keepdim=False)",
      "y = a.max(dim=0) - a.min(dim=1)",
      "y = s.sum(0)",
      "y = s.mean(dim=[])",
      "y = a.reshape(4).reshape(2, 2).reshape([1, 2, 2]).reshape(-1)",
      "y = a.sum().reshape([]) + a.sum().reshape(1, 1).sum()",
      "y = a.expand(3, 2, 2).permute(2, 0, 1).transpose(0, 2)",
      "y = a.unsqueeze(0).squeeze(0).squeeze()",
      "y = cat([a, a * 2, a], dim=1)",
      "y = a[:, 1:2] + a[0:1, :][:, ::2]",
      "y = a[1:]",
      "y = softmax(a, dim=1) + log_softmax(a, dim=0)",
      "y = cross_entropy(a, k) + cross_entropy(a, k, reduction=\"sum\")",
      "y = mse_loss(a, a * 2, reduction='none')",
      "y = b @ b + 1",
      "y = i + i * 3",
      "y = e.sum(2)",
      "y = where(m, c.sum(0), 1)",
      "$t = a * 2\ny = $t + $t",
      "$t = a * 2\nwith no_grad:\n    y = $t + 1",
      "with no_grad:\n    $t = a * 2\ny = $t + 1",
      "y = (a + 1).sum() + (a @ a).mean()",
      "y = a.sum().exp()",
      "z = g * 2\nw = -h\ny = f * 2",
  };
  for (const char *body : bodies)
    roundTrip(std::string(inputs) + body + "\nreturn y\n");
}

TEST(DslWriter, HostileNames) {
  std::string longName(300, 'n');
  std::string src = "graph `my graph\\n`\n"
                    "`my name` = ones(2)\n"
                    "`return` = `my name` * 2\n"
                    "`123` = -`return`\n"
                    "`a\\`b\\n\\x01` = `123` + 1\n"
                    "`ünï` = `a\\`b\\n\\x01`.exp()\n"
                    "`$t` = `ünï` + 1\n"
                    "`x.y` = -`$t`\n"
                    "`inf` = `x.y` * inf\n"
                    "`T` = `inf` + 1\n"
                    "torch = T.sum()\n"
                    "F = -T\n"
                    "graph = -F\n"
                    "`%0` = -graph\n"
                    "`\\\\` = -`%0`\n"
                    "`\\xff` = -`\\\\`\n" +
                    longName + " = -`\\xff`\n"
                    "return `ünï`, " + longName + ", torch, `\\xff`\n";
  std::string w = roundTrip(src);
  EXPECT_NE(w.find("graph `my graph\\n`\n"), std::string::npos) << w;
  EXPECT_NE(w.find("`return` = `my name` * 2\n"), std::string::npos) << w;
  EXPECT_NE(w.find("\nT = `inf` + 1\n"), std::string::npos) << w;
  EXPECT_NE(w.find("torch = T.sum()\n"), std::string::npos) << w;
  EXPECT_NE(w.find("`\\xff` = -`\\\\`\n"), std::string::npos) << w;
}

Node *in(GraphBuilder &b, const std::string &name, Shape s = {2}) {
  InputInit none;
  return b.addInput(name, {DType::F32, std::move(s)}, true, none);
}
BuildOperand op(Node *n) { return BuildOperand::of(n); }
BuildOperand num(double v) { return BuildOperand::number(v); }

TEST(DslWriter, TemporariesKeepNodeOrder) {
  GraphBuilder b("g");
  Node *x = in(b, "x");
  // An unnamed value used twice, and one created out of evaluation order.
  Node *t = b.addOp(OpKind::Exp, {op(x)}, {}, "", false);
  Node *u = b.addOp(OpKind::Neg, {op(x)}, {}, "", false);
  b.addOp(OpKind::Add, {op(t), op(t)}, {}, "y", false);
  // z = u * (x + 1): u was created before x + 1, so it cannot be inlined
  // on the left of a later operand.
  Node *v = b.addOp(OpKind::Add, {op(x), num(1)}, {}, "", false);
  b.addOp(OpKind::Mul, {op(u), op(v)}, {}, "z", false);
  b.addOutput("y");
  b.addOutput("z");
  auto g = b.finish();
  EXPECT_EQ(expectRoundTrip(*g), "graph g\n\n"
                                 "x = input(2, requires_grad=True)\n\n"
                                 "$0 = exp(x)\n"
                                 "$1 = -x\n"
                                 "y = $0 + $0\n"
                                 "z = $1 * (x + 1)\n"
                                 "return y, z\n");
}

TEST(DslWriter, DeepChainsGetTemporaries) {
  GraphBuilder b("g");
  Node *n = in(b, "x");
  for (int i = 0; i < 1000; ++i)
    n = b.addOp(i % 2 ? OpKind::Exp : OpKind::Add,
                i % 2 ? std::vector<BuildOperand>{op(n)}
                      : std::vector<BuildOperand>{num(1), op(n)},
                {}, i == 999 ? "y" : "", false);
  b.addOutput("y");
  auto g = b.finish();
  std::string w = expectRoundTrip(*g);
  EXPECT_NE(w.find("$0 = "), std::string::npos);
}

TEST(DslWriter, DataOfTheHighestRank) {
  auto program = [](int rank) {
    std::string d = "-1.5";
    for (int i = 0; i < rank; ++i) d = "[" + d + "]";
    return "x = tensor(" + d + ")\ny = -x\nreturn y\n";
  };
  roundTrip(program(64)); // kMaxRank (ir/Limits.h)
  EXPECT_NE(errors(program(65)).find("more than the limit of 64 dimensions"),
            std::string::npos);
}

TEST(DslWriter, Inexpressible) {
  auto expectThrow = [](const Graph &g, const std::string &msg) {
    try {
      writeDslGraph(g);
      ADD_FAILURE() << "no error, wanted: " << msg;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(msg), std::string::npos)
          << e.what();
    }
  };
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F32, {2}}, 0, {1, 2});
    g.addOutput("y", g.addNode(OpKind::Add, {x, c}, {}, "y"));
    expectThrow(g, "only scalar constants are expressible");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F32, {}}, 2);
    Node *y = g.addNode(OpKind::Add, {x, c}, {}, "y");
    g.addOutput("z", g.addNode(OpKind::Mul, {y, c}, {}, "z"));
    expectThrow(g, "a literal constant must have exactly one use");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    Node *c = g.addConstant({DType::F32, {}}, 2);
    Node *y = g.addNode(OpKind::Neg, {x}, {}, "y");
    g.addOutput("z", g.addNode(OpKind::Mul, {y, c}, {}, "z"));
    expectThrow(g, "a constant must come right before its user");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {3}});
    Node *c = g.addConstant({DType::I64, {}}, 2);
    g.addOutput("y", g.addNode(OpKind::CrossEntropy, {x, c}, {}, "y"));
    expectThrow(g, "would be f32, not i64");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}});
    g.addOutput("out", g.addNode(OpKind::Neg, {x}, {}, "y"));
    expectThrow(g, "output 'out' must be the node of the same name");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {2}}, {{"init", std::string("?")}});
    g.addOutput("y", g.addNode(OpKind::Neg, {x}, {}, "y"));
    expectThrow(g, "attributes the DSL cannot express");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {}});
    Node *y = g.addNode(OpKind::Neg, {x}, {}, "y");
    g.addOutput("y", y);
    g.addSeed("y", y->type);
    expectThrow(g, "seeds exist only after autodiff");
  }
  {
    Graph g("g");
    Node *x = g.addInput("x", {DType::F32, {0, 2}},
                         {{"init", std::string("data")},
                          {"init_data", std::vector<double>{}}});
    g.addOutput("y", g.addNode(OpKind::Neg, {x}, {}, "y"));
    expectThrow(g, "cannot be written as nested lists");
  }
}

} // namespace
