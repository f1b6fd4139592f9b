//===- tests/runtime/SymbolicSizesTest.cpp - One graph, any batch size ----===//
//
// A graph whose inputs declare a size variable B gives, at every bound B,
// the bits of the same graph written with that number (JSON and DSL, the
// seed example and an MLP), through GraphFamily and FamilySession; a
// FamilySession keeps parameters and their accumulating gradients across
// batches of different sizes; each distinct size is compiled once; and
// conflicting, negative, unbound or oversized bindings are errors before
// anything is compiled.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "runtime/FamilySession.h"
#include "runtime/GraphFamily.h"
#include "runtime/CodeTemplate.h"
#include <iostream>
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace gradc;

namespace {

const char *kSeed = R"({"name": "seed", "inputs": [
  {"name": "x", "shape": ["B", 2], "requires_grad": true, "init": "ones"}],
 "nodes": [
  {"name": "y", "op": "add", "inputs": ["x", 2]},
  {"name": "t", "op": "mul", "inputs": ["y", "y"]},
  {"name": "z", "op": "mul", "inputs": ["t", 3]},
  {"name": "out", "op": "mean", "inputs": ["z"]}],
 "outputs": ["y", "z", "out"]})";

const char *kMlpJson = R"({"name": "mlp", "inputs": [
  {"name": "x", "shape": ["B", 20], "init": {"randn": 3}},
  {"name": "t", "dtype": "i64", "shape": ["B"], "init": "zeros"},
  {"name": "w1", "shape": [20, 32], "requires_grad": true, "init": {"randn": 1}},
  {"name": "b1", "shape": [32], "requires_grad": true, "init": "zeros"},
  {"name": "w2", "shape": [32, 10], "requires_grad": true, "init": {"randn": 2}}],
 "nodes": [
  {"name": "h", "op": "matmul", "inputs": ["x", "w1"]},
  {"name": "hb", "op": "add", "inputs": ["h", "b1"]},
  {"name": "r", "op": "relu", "inputs": ["hb"]},
  {"name": "o", "op": "matmul", "inputs": ["r", "w2"]},
  {"name": "loss", "op": "cross_entropy", "inputs": ["o", "t"]}],
 "outputs": ["o", "loss"]})";

const char *kMlpDsl = R"(x = randn(B, 20, seed=3)
t = zeros(B, dtype=i64)
w1 = randn(20, 32, seed=1, requires_grad=True)
b1 = zeros(32, requires_grad=True)
w2 = randn(32, 10, seed=2, requires_grad=True)
o = relu(x @ w1 + b1) @ w2
loss = cross_entropy(o, t)
return o, loss
)";

/// `text` with every size variable "B" (JSON) or B (DSL) replaced by `n`.
std::string withNumber(std::string text, GraphFormat f, int64_t n) {
  const std::string from = f == GraphFormat::Json ? "\"B\"" : "B";
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at))
    text.replace(at, from.size(), std::to_string(n));
  return text;
}

/// Deterministic inputs at size `b`: x normal, t in [0, 10).
std::map<std::string, Tensor> batch(int64_t b, unsigned seed, bool withT) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd;
  std::map<std::string, Tensor> in;
  Tensor x(DType::F32, {b, 20});
  for (int64_t i = 0; i < x.numel(); ++i) x.set(i, nd(gen));
  in.emplace("x", std::move(x));
  if (withT) {
    Tensor t(DType::I64, {b});
    for (int64_t i = 0; i < b; ++i) t.set(i, static_cast<double>(gen() % 10));
    in.emplace("t", std::move(t));
  }
  return in;
}

bool sameBits(const Tensor &a, const Tensor &b) {
  return a.type() == b.type() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.type().bytes())) == 0;
}

/// Runs the family member and the static graph at size b on the same
/// inputs and expects the same bits in every output and gradient.
void expectSameAsStatic(const std::string &text, GraphFormat f, int64_t b,
                        const std::vector<std::string> &outputs,
                        const std::vector<std::string> &grads, bool mlp) {
  GraphFamily family(text, "family", f);
  ASSERT_TRUE(family.symbolic());
  FamilySession fs(family);
  auto in = mlp ? batch(b, 11, true) : std::map<std::string, Tensor>{};
  if (mlp) for (auto &kv : in) fs.setInput(kv.first, kv.second);
  else fs.setSize("B", b);
  std::vector<Root> roots{{outputs.back()}};
  fs.runFused(roots, false);
  EXPECT_EQ(fs.sizes().at("B"), b);

  Compiler c;
  auto g = parseGraphText(withNumber(text, f, b), "static", f);
  auto compiled = c.compile(*g);
  Session s(*compiled);
  for (auto &kv : in) s.setInput(kv.first, kv.second);
  s.runFused(roots, false);
  for (const std::string &o : outputs)
    EXPECT_TRUE(sameBits(fs.output(o), s.output(o))) << o << " at B=" << b;
  for (const std::string &gname : grads) {
    ASSERT_NE(fs.grad(gname), nullptr);
    EXPECT_TRUE(sameBits(*fs.grad(gname), *s.grad(gname))) << gname << " at B=" << b;
  }
}

} // namespace

TEST(SymbolicSizes, SeedGivesTheStaticBitsAtEverySize) {
  for (int64_t b : {1, 7, 128, 1000})
    expectSameAsStatic(kSeed, GraphFormat::Json, b, {"y", "z", "out"}, {"x"}, false);
}

TEST(SymbolicSizes, MlpGivesTheStaticBitsAtEverySizeInJsonAndDsl) {
  for (int64_t b : {1, 7, 128, 1000}) {
    expectSameAsStatic(kMlpJson, GraphFormat::Json, b, {"o", "loss"},
                       {"w1", "b1", "w2"}, true);
    expectSameAsStatic(kMlpDsl, GraphFormat::Dsl, b, {"o", "loss"},
                       {"w1", "b1", "w2"}, true);
  }
}

TEST(SymbolicSizes, JsonAndDslDeclareTheSameSignature) {
  GraphFamily j(kMlpJson, "m.json", GraphFormat::Json);
  GraphFamily d(kMlpDsl, "m.grad", GraphFormat::Dsl);
  for (const GraphFamily *f : {&j, &d}) {
    EXPECT_EQ(f->signature().sizeNames(), std::vector<std::string>{"B"});
    EXPECT_EQ(f->signature().shapeOf("x"), "[B, 20]");
    EXPECT_EQ(f->signature().shapeOf("t"), "[B]");
    EXPECT_EQ(f->signature().shapeOf("w1"), "[20, 32]");
  }
}

// A short last batch: the weights and their accumulated gradients carry
// over to the member of the new size, which shares the first one's code.
TEST(SymbolicSizes, SessionCarriesGradientsAcrossSizes) {
  GraphFamily family(kMlpJson, "m.json", GraphFormat::Json);
  FamilySession fs(family);
  std::vector<Root> roots{{"loss"}};
  Compiler c;
  auto g5 = c.compile(*parseGraphText(withNumber(kMlpJson, GraphFormat::Json, 5), "s", GraphFormat::Json));
  auto g3 = c.compile(*parseGraphText(withNumber(kMlpJson, GraphFormat::Json, 3), "s", GraphFormat::Json));
  Session s5(*g5), s3(*g3);
  auto a = batch(5, 1, true), b = batch(3, 2, true);
  for (auto &kv : a) { fs.setInput(kv.first, kv.second); s5.setInput(kv.first, kv.second); }
  fs.runFused(roots, true);
  s5.runFused(roots, true);
  for (auto &kv : b) { fs.setInput(kv.first, kv.second); s3.setInput(kv.first, kv.second); }
  fs.runFused(roots, true);
  // The static reference: the second batch's run accumulating onto the
  // first's gradients.
  for (const char *p : {"w1", "b1", "w2"}) s3.setGrad(p, *s5.grad(p));
  s3.runFused(roots, true);
  for (const char *p : {"w1", "b1", "w2"}) {
    ASSERT_NE(fs.grad(p), nullptr);
    EXPECT_TRUE(sameBits(*fs.grad(p), *s3.grad(p))) << p;
  }
  EXPECT_EQ(fs.sizes().at("B"), 3);
  for (auto &kv : a) fs.setInput(kv.first, kv.second);
  fs.runFused(roots, false);
  EXPECT_TRUE(sameBits(fs.output("loss"), s5.output("loss")));
  // B = 5 compiled a template (from 5, 6 and 18), which B = 3 shares.
  EXPECT_EQ(family.compileCount(), 1u);
  EXPECT_EQ(family.instanceCount(), 2u);
}

TEST(SymbolicSizes, BadBindingsAreErrorsBeforeAnyCompile) {
  GraphFamily family(kMlpJson, "m.json", GraphFormat::Json);
  auto expectError = [&](auto &&f, const std::string &needle) {
    try {
      f();
      ADD_FAILURE() << "no error; expected: " << needle;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // Two sizes for one name.
  expectError([&] {
    FamilySession s(family);
    s.setInput("x", Tensor(DType::F32, {4, 20}));
    s.setInput("t", Tensor(DType::I64, {5}));
    s.runFused({{"loss"}}, false);
  }, "size 'B' is bound to two values: 4 by input 'x' (dim 0) and 5 by input 't' (dim 0)");
  // A negative size.
  expectError([&] { FamilySession(family).setSize("B", -3); },
              "size 'B' must not be negative, got -3");
  expectError([&] { parseSizeAssignment("B=-3"); }, "must not be negative");
  // A fixed dimension that does not match.
  expectError([&] {
    FamilySession s(family);
    s.setInput("x", Tensor(DType::F32, {4, 21}));
    s.runFused({{"loss"}}, false);
  }, "dimension 1 must be 20");
  // Nothing binds B.
  expectError([&] { FamilySession(family).runFused({{"loss"}}, false); },
              "size 'B' is not bound: supply 'x' or 't'");
  // A size whose buffers pass the memory cap.
  expectError([&] {
    FamilySession s(family);
    s.setSize("B", int64_t(1) << 40);
    s.runFused({{"loss"}}, false);
  }, "more than the memory limit");
  // Loading without a binding names the JSON path.
  expectError([&] { parseGraphText(kMlpJson, "m.json", GraphFormat::Json); },
              "m.json: inputs[0] (\"x\").shape[0]: size 'B' is not bound");
  expectError([&] { parseGraphText(kMlpDsl, "m.grad", GraphFormat::Dsl); },
              "m.grad:1:11: error: size 'B' is not bound");
  EXPECT_EQ(family.compileCount(), 0u);
}


// One family over a range of batch sizes: the bindings share compiled code
// (runtime/CodeTemplate.h), and each still gives the static graph's bits,
// through the fused entry point and through forward/backward.
TEST(SymbolicSizes, ARangeOfSizesSharesCompiledCodeAndKeepsTheStaticBits) {
  GraphFamily family(kMlpJson, "m.json", GraphFormat::Json);
  Compiler c;
  std::vector<Root> roots{{"loss"}};
  for (int64_t b = 1; b <= 64; ++b) {
    const CompiledGraph &m = family.member({{"B", b}});
    if (b != 1 && b != 2 && b != 7 && b != 33 && b != 64) continue;
    auto st = c.compile(*parseGraphText(withNumber(kMlpJson, GraphFormat::Json, b), "s",
                                        GraphFormat::Json));
    Session sm(m), ss(*st);
    auto in = batch(b, static_cast<unsigned>(b), true);
    for (auto &kv : in) sm.setInput(kv.first, kv.second), ss.setInput(kv.first, kv.second);
    sm.runFused(roots, false);
    ss.runFused(roots, false);
    for (const char *o : {"o", "loss"})
      EXPECT_TRUE(sameBits(sm.output(o), ss.output(o))) << o << " at B=" << b;
    for (const char *p : {"w1", "b1", "w2"})
      EXPECT_TRUE(sameBits(*sm.grad(p), *ss.grad(p))) << p << " at B=" << b;
    sm.clearGrads();
    ss.clearGrads();
    sm.forward();
    ss.forward();
    sm.backward(roots);
    ss.backward(roots);
    for (const char *p : {"w1", "b1", "w2"})
      EXPECT_TRUE(sameBits(*sm.grad(p), *ss.grad(p))) << p << " (pair) at B=" << b;
  }
  // Every binding links a template, B = 1 included (its loops keep the batch
  // dim). This MLP has an output seed that may be null, and a loop of at
  // most 256 elements stands a zero array in for it, so B = 26 starts a
  // second template.
  EXPECT_LE(family.compileCount(), 2u);
  EXPECT_EQ(family.instanceCount(), 64u)
      << family.compileCount() << " compiles, " << family.instanceCount() << " instances";
}

// The MLP 784-512-512-10 of bench/symbolic_sizes.py over B = 1..256 is one
// compiled template: B = 1 has the code structure of every other batch
// size, and the kernel that grows past the inlining threshold at B = 103
// (the last layer's bias gradient) has no reassociable loop, so its
// inlining and alignment hints do not count. The bits stay the static
// graph's on both sides of that threshold.
TEST(SymbolicSizes, MlpStepOverBatchesOneTo256IsOneCompile) {
  std::string json = R"({"name": "mlp", "inputs": [
    {"name": "x", "shape": ["B", 784]}, {"name": "t", "dtype": "i64", "shape": ["B"]})";
  const int sizes[] = {784, 512, 512, 10};
  std::string nodes, h = "x";
  for (int i = 0; i < 3; ++i) {
    std::string k = std::to_string(i);
    json += R"(, {"name": "w)" + k + R"(", "shape": [)" + std::to_string(sizes[i]) + ", " +
            std::to_string(sizes[i + 1]) +
            R"(], "requires_grad": true, "init": {"randn": )" + std::to_string(i + 1) +
            R"(}}, {"name": "b)" + k + R"(", "shape": [)" + std::to_string(sizes[i + 1]) +
            R"(], "requires_grad": true, "init": {"randn": )" + std::to_string(i + 7) + "}}";
    nodes += R"({"name": "m)" + k + R"(", "op": "matmul", "inputs": [")" + h + R"(", "w)" +
             k + R"("]}, {"name": "a)" + k + R"(", "op": "add", "inputs": ["m)" + k +
             R"(", "b)" + k + R"("]}, )";
    h = "a" + k;
    if (i < 2) {
      nodes += R"({"name": "r)" + k + R"(", "op": "relu", "inputs": ["a)" + k + R"("]}, )";
      h = "r" + k;
    }
  }
  json += R"(], "nodes": [)" + nodes +
          R"({"name": "loss", "op": "cross_entropy", "inputs": [")" + h +
          R"(", "t"]}], "outputs": ["loss"]})";

  GraphFamily family(json, "mlp.json", GraphFormat::Json);
  Compiler c;
  std::vector<Root> roots{{"loss"}};
  for (int64_t b = 1; b <= 256; ++b) {
    const CompiledGraph &m = family.member({{"B", b}});
    ASSERT_EQ(family.compileCount(), 1u) << "a second compile at B=" << b;
    if (b != 1 && b != 102 && b != 103 && b != 256) continue;
    auto st = c.compile(*parseGraphText(withNumber(json, GraphFormat::Json, b), "s",
                                        GraphFormat::Json));
    Session sm(m), ss(*st);
    std::mt19937 gen(static_cast<unsigned>(b));
    std::normal_distribution<float> nd;
    Tensor x(DType::F32, {b, 784}), t(DType::I64, {b});
    for (int64_t i = 0; i < x.numel(); ++i) x.set(i, nd(gen));
    for (int64_t i = 0; i < b; ++i) t.set(i, static_cast<double>(gen() % 10));
    for (Session *s : {&sm, &ss}) s->setInput("x", x), s->setInput("t", t), s->runFused(roots, false);
    EXPECT_TRUE(sameBits(sm.output("loss"), ss.output("loss"))) << "B=" << b;
    for (const char *p : {"w0", "b0", "w1", "b1", "w2", "b2"})
      EXPECT_TRUE(sameBits(*sm.grad(p), *ss.grad(p))) << p << " at B=" << b;
  }
  EXPECT_EQ(family.instanceCount(), 256u);
}

// Large batches run their loops as parallel blocks with per-block partial
// sums (the bias gradient); a batch that fills its last block and one that
// does not, and block counts of their own, still share one template and
// give the static bits.
TEST(SymbolicSizes, ParallelBlocksShareATemplateAndKeepTheStaticBits) {
  GraphFamily family(kMlpJson, "m.json", GraphFormat::Json);
  Compiler c;
  std::vector<Root> roots{{"loss"}};
  for (int64_t b : {8193, 8192, 9000, 12288}) {
    const CompiledGraph &m = family.member({{"B", b}});
    auto st = c.compile(*parseGraphText(withNumber(kMlpJson, GraphFormat::Json, b), "s",
                                        GraphFormat::Json));
    EXPECT_NE(st->cppSource().find("gradc_parallel_for(mlp_k"), std::string::npos)
        << "B=" << b << " should run parallel blocks";
    Session sm(m), ss(*st);
    auto in = batch(b, static_cast<unsigned>(b), true);
    for (auto &kv : in) sm.setInput(kv.first, kv.second), ss.setInput(kv.first, kv.second);
    sm.runFused(roots, false);
    ss.runFused(roots, false);
    EXPECT_TRUE(sameBits(sm.output("loss"), ss.output("loss"))) << "B=" << b;
    for (const char *p : {"w1", "b1", "w2"})
      EXPECT_TRUE(sameBits(*sm.grad(p), *ss.grad(p))) << p << " at B=" << b;
  }
  EXPECT_EQ(family.compileCount(), 1u);
  EXPECT_EQ(family.instanceCount(), 4u);
}
