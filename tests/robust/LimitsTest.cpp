//===- tests/robust/LimitsTest.cpp - Resource limits before allocation ----===//
//
// Element counts that overflow 64 bits, absurd ranks, tensors and session
// buffers above the memory cap, and integer conversions that overflow:
// each is a gradc::Error with a clear message, raised before anything is
// allocated.
//
//===----------------------------------------------------------------------===//
#include "frontend/GraphBuilder.h"
#include "frontend/DslParser.h"
#include "frontend/JsonLoader.h"
#include "ir/Parser.h"
#include "runtime/Compiler.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

using namespace gradc;

namespace {

/// Expects `f` to throw gradc::Error whose message contains `part`.
template <typename F> void expectError(F f, const std::string &part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing: " << part;
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
        << "message: " << e.what();
  }
}

/// Sets an environment variable for the lifetime of the object.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char *n, const char *v) : name(n) { setenv(n, v, 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

std::string oneInput(const std::string &shape, const std::string &dtype = "f32") {
  return R"({"inputs": [{"name": "x", "dtype": ")" + dtype +
         R"(", "shape": )" + shape +
         R"(}], "nodes": [{"name": "s", "op": "sum", "inputs": ["x"]}],
            "outputs": ["s"]})";
}

TEST(Limits, ElementCountOverflow) {
  int64_t big = int64_t(1) << 32;
  EXPECT_FALSE(numElementsChecked({big, big}));
  EXPECT_FALSE(numElementsChecked({std::numeric_limits<int64_t>::max(), 2}));
  EXPECT_EQ(numElementsChecked({big, 0}), 0);
  EXPECT_EQ(numElementsChecked({0, std::numeric_limits<int64_t>::max()}), 0);
  // Elements fit but bytes do not: 2^61 f64 elements are 2^64 bytes.
  EXPECT_TRUE(numElementsChecked({int64_t(1) << 61}));
  EXPECT_FALSE(tensorBytesChecked({DType::F64, {int64_t(1) << 61}}));
  expectError([] { checkTensorType({DType::F64, {int64_t(1) << 61}}, "x"); },
              "overflows 64 bits");
}

TEST(Limits, RankAndNegativeDims) {
  checkTensorType({DType::F32, Shape(kMaxRank, 1)}, "x");
  expectError([] { checkTensorType({DType::F32, Shape(kMaxRank + 1, 1)}, "x"); },
              "x has rank 65, more than the limit of 64 dimensions");
  expectError([] { checkTensorType({DType::F32, {2, -1}}, "x"); },
              "negative dimension");
}

TEST(Limits, ByteCounts) {
  EXPECT_EQ(parseByteCount("4096"), 4096u);
  EXPECT_EQ(parseByteCount("2K"), 2048u);
  EXPECT_EQ(parseByteCount("3MiB"), std::nullopt);
  EXPECT_EQ(parseByteCount("3MB"), 3u << 20);
  EXPECT_EQ(parseByteCount("8G"), uint64_t(8) << 30);
  EXPECT_EQ(parseByteCount("1t"), uint64_t(1) << 40);
  EXPECT_EQ(parseByteCount(""), std::nullopt);
  EXPECT_EQ(parseByteCount("-1"), std::nullopt);
  EXPECT_EQ(parseByteCount("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parseByteCount("17179869184T"), std::nullopt); // 2^74
  EXPECT_EQ(formatBytes(100), "100 bytes");
  EXPECT_EQ(formatBytes(uint64_t(3) << 30), "3.0 GiB");
}

TEST(Limits, DefaultCapIsSensible) {
  uint64_t cap = defaultMaxBytes();
  EXPECT_GT(cap, uint64_t(64) << 20);
  EXPECT_LE(cap, kDefaultMaxBytesCeiling);
  ScopedEnv env("GRADC_MAX_BYTES", "1M");
  EXPECT_EQ(defaultMaxBytes(), uint64_t(1) << 20);
}

TEST(Limits, MalformedEnvironmentIsAnError) {
  ScopedEnv env("GRADC_MAX_BYTES", "lots");
  expectError([] { defaultMaxBytes(); }, "GRADC_MAX_BYTES must be");
}

TEST(Limits, JsonShapesAreCheckedAtLoad) {
  expectError([] { loadJsonGraph(oneInput("[4294967296, 4294967296]"), "g.json"); },
              "has too many elements");
  expectError([] { loadJsonGraph(oneInput("[" + std::string(199, '1') + "]"), "g.json"); },
              "g.json");
  std::string rank100 = "[1";
  for (int i = 1; i < 100; ++i) rank100 += ",1";
  try {
    loadJsonGraph(oneInput(rank100 + "]"), "g.json");
    ADD_FAILURE() << "rank 100 accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("rank 100"), std::string::npos) << e.what();
  }
  // 1e12 f32 elements: 3.6 TiB, above any cap this machine allows.
  expectError([] { loadJsonGraph(oneInput("[1000000000000]"), "g.json"); },
              "more than the memory limit");
}

TEST(Limits, CapFromEnvironmentAppliesToResults) {
  ScopedEnv env("GRADC_MAX_BYTES", "64K");
  // The input fits (4 KiB), the broadcast result (4 MiB) does not.
  std::string text = R"({"inputs": [{"name": "a", "shape": [1024, 1]},
                                     {"name": "b", "shape": [1, 1024]}],
      "nodes": [{"name": "c", "op": "add", "inputs": ["a", "b"]}],
      "outputs": ["c"]})";
  expectError([&] { loadJsonGraph(text, "g.json"); },
              "nodes[0] (\"c\"): the result of 'add' of type f32[1024,1024] "
              "needs 4.0 MiB, more than the memory limit of 64.0 KiB");
}

TEST(Limits, ResultShapesOverflowInTheGraph) {
  GraphBuilder b("g");
  Node *x = b.addInput("x", {DType::F32, {3}}, false, {});
  expectError(
      [&] {
        b.addOp(OpKind::Expand, {BuildOperand::of(x)},
                {{"shape", std::vector<int64_t>{int64_t(1) << 40,
                                                int64_t(1) << 40, 3}}},
                "e", false);
      },
      "expand");
}

TEST(Limits, CompilerAndSessionCheckTheCapBeforeAllocating) {
  // 1M f32 elements: 4 MiB per tensor; the session needs input + grad +
  // workspace, so a 6 MiB cap passes compile (each tensor fits) but not
  // the session, and a 2 MiB cap fails at compile.
  auto g = loadJsonGraph(R"({"inputs": [
      {"name": "x", "shape": [1048576], "requires_grad": true, "init": "ones"}],
      "nodes": [{"name": "e", "op": "exp", "inputs": ["x"]},
                {"name": "s", "op": "sum", "inputs": ["e"]}],
      "outputs": ["s"]})", "g.json");
  CompileOptions small;
  small.useCache = false;
  small.maxBytes = uint64_t(2) << 20;
  expectError([&] { Compiler(small).compile(*g); },
              "more than the memory limit of 2.0 MiB");
  CompileOptions mid = small;
  mid.maxBytes = uint64_t(6) << 20;
  auto cg = Compiler(mid).compile(*g);
  EXPECT_EQ(cg->maxBytes(), uint64_t(6) << 20);
  expectError([&] { Session s(*cg); }, "running the graph needs");
  CompileOptions big = small;
  big.maxBytes = uint64_t(64) << 20;
  auto ok = Compiler(big).compile(*g);
  Session s(*ok);
  s.runFused({{"s"}}, false);
  EXPECT_NEAR(s.output("s").get(0), 1048576 * 2.718281828, 4.0);
}

TEST(Limits, GeneratedSourceAboveTheJitLimitIsAnError) {
  auto g = loadJsonGraph(R"({"inputs": [{"name": "x", "shape": [2],
      "requires_grad": true, "init": "ones"}],
      "nodes": [{"name": "e", "op": "exp", "inputs": ["x"]},
                {"name": "s", "op": "sum", "inputs": ["e"]}],
      "outputs": ["s"]})", "g.json");
  CompileOptions opts;
  opts.useCache = false;
  opts.maxSourceBytes = 512;
  expectError([&] { Compiler(opts).compile(*g); },
              "more than the JIT limit of 512 bytes; set "
              "GRADC_MAX_SOURCE_BYTES to raise it");
  opts.maxSourceBytes = kDefaultMaxSourceBytes;
  EXPECT_NO_THROW(Compiler(opts).compile(*g));
  ScopedEnv env("GRADC_MAX_SOURCE_BYTES", "3K");
  EXPECT_EQ(defaultMaxSourceBytes(), 3072u);
}

TEST(Limits, GeneratedSourceIsBoundedBeforeCodegen) {
  // A chain of 200 exps: far more computed nodes (with the backward) than
  // 1 KiB of source can hold, so the compile stops before emitting code.
  std::string nodes;
  for (int i = 0; i < 200; ++i)
    nodes += std::string(i ? ", " : "") + R"({"name": "e)" +
             std::to_string(i) + R"(", "op": "exp", "inputs": [")" +
             (i ? "e" + std::to_string(i - 1) : std::string("x")) + "\"]}";
  auto g = loadJsonGraph(R"({"inputs": [{"name": "x", "shape": [2],
      "requires_grad": true, "init": "ones"}], "nodes": [)" + nodes +
      R"(, {"name": "s", "op": "sum", "inputs": ["e199"]}], "outputs": ["s"]})",
                         "g.json");
  CompileOptions opts;
  opts.useCache = false;
  opts.maxSourceBytes = 1024;
  opts.sourceName = "g.json";
  expectError([&] { Compiler(opts).compile(*g); },
              "g.json: the generated code for this graph would be at least");
}

/// A chain of `n` nodes after input x, as JSON, DSL and IR text.
std::string chainJson(int n) {
  std::string nodes;
  for (int i = 0; i < n; ++i)
    nodes += std::string(i ? ", " : "") + R"({"name": "v)" +
             std::to_string(i) + R"(", "op": "neg", "inputs": [")" +
             (i ? "v" + std::to_string(i - 1) : std::string("x")) + "\"]}";
  return R"({"inputs": [{"name": "x", "shape": [2]}], "nodes": [)" + nodes +
         R"(], "outputs": ["v0"]})";
}

TEST(Limits, NodeCountIsCheckedWhileLoading) {
  ScopedEnv env("GRADC_MAX_NODES", "100");
  EXPECT_EQ(defaultMaxNodes(), 100u);
  // JSON: refused while the "nodes" array is parsed, before the graph.
  expectError([] { loadJsonGraph(chainJson(5000), "big.json"); },
              "big.json: nodes: the graph has more than 100 nodes, the limit "
              "(set GRADC_MAX_NODES to raise it)");
  // Within the array's bound, but literals add constant nodes.
  std::string lits = R"({"inputs": [{"name": "x", "shape": [2]}], "nodes": [)";
  for (int i = 0; i < 60; ++i)
    lits += std::string(i ? ", " : "") + R"({"name": "v)" + std::to_string(i) +
            R"(", "op": "add", "inputs": [")" +
            (i ? "v" + std::to_string(i - 1) : std::string("x")) + "\", 1]}";
  lits += R"(], "outputs": ["v59"]})";
  expectError([&] { loadJsonGraph(lits, "lits.json"); },
              "the graph has more than 100 nodes");
  EXPECT_NO_THROW(loadJsonGraph(chainJson(99), "ok.json"));

  // DSL: the lexer and parser stop past the limit; a file within it
  // but with more nodes (x + 1 adds a constant) fails while lowering.
  std::string dsl = "x0 = ones(2)\n";
  for (int i = 0; i < 5000; ++i)
    dsl += "x" + std::to_string(i + 1) + " = -x" + std::to_string(i) + "\n";
  expectError([&] { parseDslGraph(dsl + "return x5000\n", "big.grad"); },
              "big.grad:103:1: error: more than 100 statements, past the node "
              "limit of 100");
  std::string adds = "x = ones(2)\n";
  for (int i = 0; i < 60; ++i)
    adds += "x" + std::to_string(i + 1) + " = x" +
            (i ? std::to_string(i) : std::string()) + " + 1\n";
  expectError([&] { parseDslGraph(adds + "return x60\n", "adds.grad"); },
              "the graph has more than 100 nodes");
  // IR text: checked at each definition.
  std::string ir = "graph \"g\" {\n  %x = input() : f32[2]\n";
  for (int i = 0; i < 5000; ++i)
    ir += "  %v" + std::to_string(i) + " = neg(%" +
          (i ? "v" + std::to_string(i - 1) : std::string("x")) + ") : f32[2]\n";
  ir += "  output \"o\" = %v4999\n}\n";
  expectError([&] { parseGraph(ir, "big.gir"); },
              "the graph has more than 100 nodes");
}

TEST(Limits, DefaultNodeLimitRejectsAMillionNodesEarly) {
  // The default bound; a 1M-node file is refused after reading about
  // kDefaultMaxNodes of its nodes.
  unsetenv("GRADC_MAX_NODES");
  EXPECT_EQ(defaultMaxNodes(), kDefaultMaxNodes);
  ScopedEnv env("GRADC_MAX_NODES", "1K");
  expectError([] { loadJsonGraph(chainJson(1000000 / 50), "m.json"); },
              "more than 1024 nodes");
}

TEST(Limits, IntegerConversionsThatOverflowAreErrors) {
  // PyTorch: "value cannot be converted to type int32 without overflow".
  expectError([] { Tensor::fromDoubles(DType::I32, {1}, {3e9}); },
              "value 3e+09 cannot be converted to i32 without overflow");
  expectError([] { Tensor::fromDoubles(DType::I64, {1}, {1e19}); },
              "cannot be converted to i64");
  expectError([] { Tensor::fromDoubles(DType::I32, {1}, {std::nan("")}); },
              "cannot be converted to i32");
  Tensor t = Tensor::fromDoubles(DType::I32, {2}, {-2147483648.0, 2147483647.0});
  EXPECT_EQ(t.get(0), -2147483648.0);
  EXPECT_EQ(t.get(1), 2147483647.0);
  expectError([] { Tensor::fromDoubles(DType::I32, {1}, {2147483648.0}); },
              "without overflow");
}

TEST(Limits, HugeTensorsAreRefusedBeforeAllocation) {
  expectError([] { Tensor(DType::F32, {int64_t(1) << 40, int64_t(1) << 30}); },
              "overflows 64 bits");
  expectError([] { Tensor(DType::F64, {int64_t(1) << 50}); },
              "more than the memory limit");
}

} // namespace
