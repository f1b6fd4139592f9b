//===- tests/frontend/SizeVarWriterTest.cpp - convert keeps size variables ===//
//
// convertKeepingSizes: the converted text declares the same size variables,
// and at any binding loads to the IR of the original at that binding.
//
//===----------------------------------------------------------------------===//
#include "frontend/SizeVarWriter.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

#include <string>

namespace gradc {
namespace {

const char *kMlp = R"({"name": "mlp", "inputs": [
  {"name": "x", "shape": ["B", 6]},
  {"name": "t", "dtype": "i64", "shape": ["B"]},
  {"name": "w", "shape": [6, 3], "requires_grad": true, "init": {"randn": 1}}],
 "nodes": [{"name": "o", "op": "matmul", "inputs": ["x", "w"]},
           {"name": "r", "op": "reshape", "inputs": ["o"], "attrs": {"shape": [-1]}},
           {"name": "last", "op": "select", "inputs": ["o"], "attrs": {"dim": 0, "index": -1}},
           {"name": "loss", "op": "cross_entropy", "inputs": ["o", "t"]}],
 "outputs": ["loss", "r", "last"]})";

std::string irAt(const std::string &text, GraphFormat f, const SizeBinding &b) {
  return printGraph(*parseGraphText(text, "g", f, b));
}

TEST(SizeVarWriter, JsonToDslAndBackLoadsLikeTheOriginalAtEverySize) {
  std::string dsl = convertKeepingSizes(kMlp, "mlp.json", GraphFormat::Json, GraphFormat::Dsl);
  EXPECT_NE(dsl.find("x = input(B, 6)"), std::string::npos) << dsl;
  EXPECT_NE(dsl.find("t = input(B, dtype=i64)"), std::string::npos) << dsl;
  EXPECT_NE(dsl.find("o.reshape(-1)"), std::string::npos) << dsl;
  EXPECT_NE(dsl.find("o[-1]"), std::string::npos) << dsl;
  std::string json = convertKeepingSizes(dsl, "mlp.grad", GraphFormat::Dsl, GraphFormat::Json);
  EXPECT_NE(json.find("\"shape\": [\"B\", 6]"), std::string::npos) << json;
  for (int64_t b : {1, 7, 128, 1000}) {
    std::string want = irAt(kMlp, GraphFormat::Json, {{"B", b}});
    EXPECT_EQ(irAt(dsl, GraphFormat::Dsl, {{"B", b}}), want) << "B=" << b;
    EXPECT_EQ(irAt(json, GraphFormat::Json, {{"B", b}}), want) << "B=" << b;
  }
}

TEST(SizeVarWriter, TwoVariablesKeepTheirPlaces) {
  // [B, T] -> [T, B]: were B and T taken for one another, some binding
  // with B != T would give other shapes.
  const char *text = "graph two\n"
                     "x = input(B, T)\n"
                     "y = x.permute(1, 0)\n"
                     "f = y.reshape(-1)\n"
                     "s = y[:, -1]\n"
                     "return y, s, f\n";
  std::string json = convertKeepingSizes(text, "two.grad", GraphFormat::Dsl, GraphFormat::Json);
  EXPECT_NE(json.find("\"shape\": [\"B\", \"T\"]"), std::string::npos) << json;
  for (auto bt : {std::pair<int64_t, int64_t>{2, 5}, {5, 2}, {1, 9}})
    EXPECT_EQ(irAt(json, GraphFormat::Json, {{"B", bt.first}, {"T", bt.second}}),
              irAt(text, GraphFormat::Dsl, {{"B", bt.first}, {"T", bt.second}}));
}

TEST(SizeVarWriter, RefusesANumberComputedFromASize) {
  const char *text = "graph bn\n"
                     "x = input(B, 3)\n"
                     "rm = zeros(3)\n"
                     "rv = ones(3)\n"
                     "y = batch_norm(x, rm, rv, training=True)\n"
                     "return y\n";
  try {
    convertKeepingSizes(text, "bn.grad", GraphFormat::Dsl, GraphFormat::Json);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    std::string m = e.what();
    EXPECT_NE(m.find("bn.grad: cannot convert keeping the size variables"), std::string::npos) << m;
    EXPECT_NE(m.find("node y.running_var"), std::string::npos) << m;
    EXPECT_NE(m.find("depends on the sizes"), std::string::npos) << m;
  }
}

TEST(SizeVarWriter, RefusesAGraphThatDoesNotLoadAtTheProbes) {
  // A reshape to [-1, 7] needs B divisible by 7; the probes are 12 and 60.
  const char *text = "graph odd\nx = input(B)\ny = x.reshape(-1, 7)\nreturn y\n";
  try {
    convertKeepingSizes(text, "odd.grad", GraphFormat::Dsl, GraphFormat::Json);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("does not load at the probe sizes B=12"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(convertKeepingSizes("graph s\nx = input(2)\nreturn x\n", "s.grad",
                                   GraphFormat::Dsl, GraphFormat::Json),
               Error);
}

} // namespace
} // namespace gradc
