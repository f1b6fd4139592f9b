//===- tests/dsl/DslParserTest.cpp - Precedence and statement forms -------===//
//
// The expected IR of each expression is built directly with GraphBuilder
// from an S-expression ("(add a (mul b c))"), an oracle independent of the
// DSL parser; the comparison is on printGraph text.
//
//===----------------------------------------------------------------------===//
#include "DslTestUtil.h"

#include <cctype>
#include <cstdlib>

using namespace gradc;
using namespace gradc::dsltest;

namespace {

const char *kInputs = "a = ones(2, 2, requires_grad=True)\n"
                      "b = ones(2, 2)\n"
                      "c = ones(2, 2)\n"
                      "d = ones(2, 2)\n";

/// Builds an S-expression over inputs a..d through GraphBuilder, creating
/// nodes in the order the DSL must: operands left to right, then the op.
class SExpr {
public:
  SExpr(GraphBuilder &b, const std::string &s) : b_(b), s_(s) {}

  BuildOperand build(const std::string &rootName) {
    return parse(rootName);
  }

private:
  void skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  std::string word() {
    skip();
    size_t b = i_;
    while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '(' && s_[i_] != ')')
      ++i_;
    return s_.substr(b, i_ - b);
  }
  BuildOperand parse(const std::string &name) {
    skip();
    if (s_[i_] == '(') {
      ++i_;
      std::string op = word();
      std::vector<BuildOperand> args;
      while (skip(), s_[i_] != ')') args.push_back(parse(""));
      ++i_;
      return BuildOperand::of(
          b_.addOp(*lookupOp(op), args, {}, name, false));
    }
    std::string w = word();
    if (std::isalpha(static_cast<unsigned char>(w[0])))
      return BuildOperand::of(b_.lookup(w));
    return BuildOperand::number(std::strtod(w.c_str(), nullptr));
  }

  GraphBuilder &b_;
  std::string s_;
  size_t i_ = 0;
};

std::string expected(const std::string &sexpr) {
  GraphBuilder b("t");
  InputInit ones;
  ones.kind = InputInit::Ones;
  b.addInput("a", {DType::F32, {2, 2}}, true, ones);
  for (const char *n : {"b", "c", "d"})
    b.addInput(n, {DType::F32, {2, 2}}, false, ones);
  SExpr(b, sexpr).build("y");
  b.addOutput("y");
  return printGraph(*b.finish());
}

struct Case {
  const char *dsl;
  const char *tree;
};

TEST(DslParser, PrecedenceAndAssociativity) {
  const Case cases[] = {
      {"a + b * c", "(add a (mul b c))"},
      {"a * b + c", "(add (mul a b) c)"},
      {"a - b - c", "(sub (sub a b) c)"},
      {"a - (b - c)", "(sub a (sub b c))"},
      {"a / b / c", "(div (div a b) c)"},
      {"a / b * c", "(mul (div a b) c)"},
      {"a @ b * c", "(mul (matmul a b) c)"},
      {"a * b @ c", "(matmul (mul a b) c)"},
      {"(a + b) * c", "(mul (add a b) c)"},
      {"a ** b ** c", "(pow a (pow b c))"},
      {"(a ** b) ** c", "(pow (pow a b) c)"},
      {"-a ** 2", "(neg (pow a 2))"},
      {"a ** -2", "(pow a -2)"},
      {"a ** 2 ** -1", "(pow a 0.5)"},
      {"a * (1 / 4)", "(mul a 0.25)"},
      {"a * 2 * 3", "(mul (mul a 2) 3)"},
      {"a * (2 * 3)", "(mul a 6)"},
      {"a + -(2 + 3) ** 2", "(add a -25)"},
      {"add(2, 3)", "(add 2 3)"},
      {"-a * b", "(mul (neg a) b)"},
      {"- -a", "(neg (neg a))"},
      {"-(a + b)", "(neg (add a b))"},
      {"+a * 2", "(mul a 2)"},
      {"a * -1", "(mul a -1)"},
      {"a - -1.5", "(sub a -1.5)"},
      {"a * -(2)", "(mul a -2)"},
      {"2 * a", "(mul 2 a)"},
      {"a * -2 ** 2", "(mul a -4)"},
      {"(-2) ** a", "(pow -2 a)"},
      {"1e-3 * a", "(mul 0.001 a)"},
      {"2.5E+2 + a", "(add 250 a)"},
      {"a + b < c * d", "(lt (add a b) (mul c d))"},
      {"a <= b", "(le a b)"},
      {"a > -b", "(gt a (neg b))"},
      {"a >= b + 1", "(ge a (add b 1))"},
      {"a == b", "(eq a b)"},
      {"a != b", "(ne a b)"},
      {"(a < b) == (c < d)", "(eq (lt a b) (lt c d))"},
      {"-a.exp()", "(neg (exp a))"},
      {"2 * (a + 1)", "(mul 2 (add a 1))"},
      {"a * b * c + d", "(add (mul (mul a b) c) d)"},
  };
  for (const Case &c : cases) {
    std::string src = std::string(kInputs) + "y = " + c.dsl + "\nreturn y\n";
    EXPECT_EQ(ir(src), expected(c.tree)) << c.dsl;
  }
}

/// Both programs (with inputs a..d) must lower to the same IR.
void expectSame(const std::string &x, const std::string &y) {
  std::string px = std::string(kInputs) + x + "\nreturn y\n";
  std::string py = std::string(kInputs) + y + "\nreturn y\n";
  std::string ix = ir(px);
  EXPECT_EQ(ix.rfind("ERROR", 0), std::string::npos) << x << "\n" << ix;
  EXPECT_EQ(ix, ir(py)) << x << "  vs  " << y;
}

TEST(DslParser, CallFormsAreEquivalent) {
  expectSame("y = a.sum(1)", "y = sum(a, dim=1)");
  expectSame("y = a.sum(1, True)", "y = a.sum(dim=[1], keepdim=True)");
  expectSame("y = torch.sum(a, dim=(0, 1))", "y = a.sum([1, 0])");
  expectSame("y = a.mean(dim=None)", "y = a.mean()");
  expectSame("y = T.relu(a)", "y = a.relu()");
  expectSame("y = F.relu(a)", "y = relu(a)");
  expectSame("y = torch.nn.functional.softmax(a, dim=1)", "y = a.softmax(1)");
  expectSame("y = a.log_softmax(-1)", "y = log_softmax(a, dim=1)");
  expectSame("y = a.transpose(0, 1)", "y = transpose(a, dim0=0, dim1=1)");
  expectSame("y = a.t()", "y = a.transpose(0, 1)");
  expectSame("y = a.T", "y = a.permute(1, 0)");
  expectSame("y = a.permute([1, 0])", "y = permute(a, dims=[1, 0])");
  expectSame("y = a.reshape(4)", "y = a.reshape([4])");
  expectSame("y = a.view(-1, 1)", "y = reshape(a, shape=[4, 1])");
  expectSame("y = a.expand(3, 2, 2)", "y = a.expand([3, 2, 2])");
  expectSame("y = a.unsqueeze(0)", "y = unsqueeze(a, dim=0)");
  expectSame("y = a.reshape(1, 4).squeeze(0)",
             "y = squeeze(a.reshape(1, 4), dim=[0])");
  expectSame("y = cat([a, b], dim=1)", "y = concat((a, b), 1)");
  expectSame("y = torch.cat([a, b])", "y = concatenate([a, b], dim=0)");
  expectSame("y = a[:, 1:2]", "y = slice(a, 1, 1, 2)");
  expectSame("y = a[0:1, ::2]", "y = a[0:1][:, 0:2:2]");
  expectSame("y = a[-1:]", "y = slice(a, dim=0, start=-1)");
  expectSame("y = a.pow(2)", "y = a ** 2");
  expectSame("y = pow(a, 2)", "y = a ** 2");
  expectSame("y = torch.max(a, b)", "y = maximum(a, b)");
  expectSame("y = a.min(b)", "y = minimum(a, b)");
  expectSame("y = a.max(1)", "y = max(a, dim=1)");
  expectSame("y = a.matmul(b)", "y = a @ b");
  expectSame("y = torch.mm(a, b)", "y = a @ b");
  expectSame("y = a.add(b)", "y = a + b");
  expectSame("y = a.mul(2)", "y = a * 2");
  expectSame("y = where(a > b, a, 0)", "y = where(gt(a, b), a, 0)");
  expectSame("y = mse_loss(a, b, reduction='sum')",
             "y = F.mse_loss(a, b, reduction=\"sum\")");
  expectSame("y = a * float('inf')", "y = a * inf");
  expectSame("y = a * -float('inf')", "y = a * -inf");
  expectSame("y = a * math.pi", "y = a * 3.141592653589793");
  expectSame("y = a.neg()", "y = -a");
}

TEST(DslParser, StatementForms) {
  std::string src = "# comment\n"
                    "import torch as T\n"
                    "from torch import nn\n"
                    "graph named\n"
                    "\n"
                    "x = ones(2, 2, requires_grad=True)  # trailing\n"
                    "y = x + 2; z = y * y\n"
                    "with no_grad:\n"
                    "    w = x * 2\n"
                    "\n"
                    "    with enable_grad():\n"
                    "        e = w + x\n"
                    "    v = (x +\n"
                    "         1)\n"
                    "with torch.no_grad(): u = x - 1\n"
                    "$t = x * 5\n"
                    "q = $t + $t\n"
                    "pass\n"
                    "return (z, w, e, v, u, q)\n";
  std::string out = ir(src);
  EXPECT_NE(out.find("graph \"named\""), std::string::npos) << out;
  EXPECT_NE(out.find("%w = mul(%x, %1) {no_grad = true}"), std::string::npos)
      << out;
  EXPECT_NE(out.find("%e = add(%w, %x) : f32[2,2]"), std::string::npos) << out;
  EXPECT_NE(out.find("%v = add(%x, %2) {no_grad = true}"), std::string::npos)
      << out;
  EXPECT_NE(out.find("%u = sub(%x, %3) {no_grad = true}"), std::string::npos)
      << out;
  // $t stays an unnamed temporary, used twice.
  EXPECT_NE(out.find("%5 = mul(%x, %4)"), std::string::npos) << out;
  EXPECT_NE(out.find("%q = add(%5, %5)"), std::string::npos) << out;
  EXPECT_NE(out.find("output \"q\" = %q"), std::string::npos) << out;
}

TEST(DslParser, GraphNameDefaultsToFileStem) {
  EXPECT_EQ(ir("x = ones(1)\ny = -x\nreturn y\n", "dir/my.model.grad")
                .substr(0, 18),
            "graph \"my.model\" {");
  EXPECT_EQ(dslDefaultGraphName("a/b/seed.grad"), "seed");
  EXPECT_EQ(dslDefaultGraphName(".grad"), ".grad");
  EXPECT_EQ(dslDefaultGraphName("dir/"), "graph");
  EXPECT_NE(ir("graph `my graph`\nx = ones(1)\ny = -x\nreturn y\n")
                .find("graph \"my graph\""),
            std::string::npos);
}

TEST(DslParser, Inputs) {
  std::string src =
      "a = ones(2, 3)\n"
      "b = zeros([2, 3], dtype=torch.float64)\n"
      "c = full((2, 3), 0.5, requires_grad=True)\n"
      "d = full([3], 7)\n"
      "e = randn(3, 4, seed=1)\n"
      "f = rand(size=(2,), seed=2, dtype=f64)\n"
      "g = tensor([[0.1, 1.0], [1.0, 1.0]], dtype=T.float)\n"
      "h = tensor([1, 0, 3])\n"
      "i = tensor(2.5)\n"
      "j = input(784, 128, dtype=f64, requires_grad=True)\n"
      "k = empty(2, dtype=\"i32\")\n"
      "l = tensor([True, False])\n"
      "m = ones()\n"
      "n = tensor([[], []])\n"
      "y = a * 1\n"
      "return y\n";
  std::string out = ir(src);
  const char *want[] = {
      "%a = input() {init = \"ones\"} : f32[2,3]",
      "%b = input() {init = \"zeros\"} : f64[2,3]",
      "%c = input() {init = \"value\", init_value = 0.5, requires_grad = "
      "true} : f32[2,3]",
      "%d = input() {init = \"value\", init_value = 7.0} : i64[3]",
      "%e = input() {init = \"randn\", init_seed = 1} : f32[3,4]",
      "%f = input() {init = \"rand\", init_seed = 2} : f64[2]",
      "%g = input() {init = \"data\", init_data = [0.1, 1.0, 1.0, 1.0]} : "
      "f32[2,2]",
      "%h = input() {init = \"data\", init_data = [1.0, 0.0, 3.0]} : i64[3]",
      "%i = input() {init = \"data\", init_data = [2.5]} : f32[]",
      "%j = input() {requires_grad = true} : f64[784,128]",
      "%k = input() : i32[2]",
      "%l = input() {init = \"data\", init_data = [1.0, 0.0]} : bool[2]",
      "%m = input() {init = \"ones\"} : f32[]",
      "%n = input() {init = \"data\", init_data = []} : f32[2,0]",
  };
  for (const char *w : want) EXPECT_NE(out.find(w), std::string::npos) << w
                                                                        << out;
}

TEST(DslParser, SeedProgram) {
  // The seed document's example, pasted almost verbatim.
  std::string src = "import torch as T\n"
                    "\n"
                    "x = T.ones(2, 2, requires_grad=True)\n"
                    "y = x + 2\n"
                    "z = y * y * 3\n"
                    "out = z.mean()\n"
                    "with T.no_grad():\n"
                    "    w = x ** 2\n"
                    "return out, z\n";
  GraphBuilder b("seed");
  InputInit ones;
  ones.kind = InputInit::Ones;
  Node *x = b.addInput("x", {DType::F32, {2, 2}}, true, ones);
  Node *y = b.addOp(OpKind::Add, {BuildOperand::of(x), BuildOperand::number(2)},
                    {}, "y", false);
  Node *t = b.addOp(OpKind::Mul, {BuildOperand::of(y), BuildOperand::of(y)},
                    {}, "", false);
  Node *z = b.addOp(OpKind::Mul, {BuildOperand::of(t), BuildOperand::number(3)},
                    {}, "z", false);
  b.addOp(OpKind::Mean, {BuildOperand::of(z)}, {}, "out", false);
  b.addOp(OpKind::Pow, {BuildOperand::of(x), BuildOperand::number(2)}, {}, "w",
          true);
  b.addOutput("out");
  b.addOutput("z");
  EXPECT_EQ(ir(src, "seed.grad"), printGraph(*b.finish()));
}

TEST(DslParser, HostileNames) {
  std::string name(10000, 'n');
  std::string src = "`my name` = ones(2)\n"
                    "`return` = `my name` * 2\n"
                    "`123` = -`return`\n"
                    "`a\\`b\\n` = `123` + 1\n"
                    "`ünï` = `a\\`b\\n`.exp()\n" +
                    name + " = `ünï` + 1\n"
                    "return `ünï`, " + name + "\n";
  std::string out = ir(src);
  EXPECT_NE(out.find("%\"my name\" = input()"), std::string::npos) << out;
  EXPECT_NE(out.find("%return = mul(%\"my name\", %0)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("%\"a`b\\x0a\" = add(%\"123\", %1)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("%" + name + " = add"), std::string::npos);
}

TEST(DslParser, DeepButLegalNesting) {
  std::string e = "a";
  for (int i = 0; i < 100; ++i) e = "(" + e + " + 1)";
  EXPECT_EQ(ir(std::string(kInputs) + "y = " + e + "\nreturn y\n").find(
                "ERROR"),
            std::string::npos);
  std::string chain = "a";
  for (int i = 0; i < 200; ++i) chain += " * 2";
  EXPECT_EQ(ir(std::string(kInputs) + "y = " + chain + "\nreturn y\n")
                .find("ERROR"),
            std::string::npos);
}

} // namespace
