//===- tests/frontend/NullOperandTest.cpp - Absent optional tensors -------===//
//
// JSON `null` and the DSL's `None` (or a keyword left out) leave an
// optional tensor out: both frontends build the same IR, primitives take
// it only in trailing optional places, and composites (batch_norm, the
// losses) take it anywhere their signature allows.
//
//===----------------------------------------------------------------------===//
#include "frontend/DslParser.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

const char *kInputs = R"(
  {"name": "x", "dtype": "f64", "shape": [4, 3, 2], "requires_grad": true, "init": "zeros"},
  {"name": "rm", "dtype": "f64", "shape": [3], "init": "zeros"},
  {"name": "rv", "dtype": "f64", "shape": [3], "init": "zeros"},
  {"name": "w", "dtype": "f64", "shape": [3], "requires_grad": true, "init": "zeros"},
  {"name": "b", "dtype": "f64", "shape": [3], "requires_grad": true, "init": "zeros"})";

std::string jsonWith(const std::string &node, const std::string &outputs) {
  return std::string(R"({"name": "g", "inputs": [)") + kInputs +
         "], \"nodes\": [" + node + "], \"outputs\": [" + outputs + "]}";
}

const char *kDslInputs = "x = zeros(4, 3, 2, dtype=float64, requires_grad=True)\n"
                         "rm = zeros(3, dtype=float64)\n"
                         "rv = zeros(3, dtype=float64)\n"
                         "w = zeros(3, dtype=float64, requires_grad=True)\n"
                         "b = zeros(3, dtype=float64, requires_grad=True)\n";

std::string ir(const std::string &json) {
  return printGraph(*loadJsonGraph(json, "g.json"));
}
std::string irDsl(const std::string &body) {
  return printGraph(*parseDslGraph(std::string("graph g\n") + kDslInputs + body, "g.grad"));
}

TEST(NullOperand, BatchNormSkipsRunningStatistics) {
  std::string j = ir(jsonWith(
      R"({"name": "y", "op": "batch_norm", "inputs": ["x", null, null, "w", "b"],
          "attrs": {"training": true}})", R"("y")"));
  EXPECT_EQ(j, irDsl("y = F.batch_norm(x, None, None, w, b, training=True)\nreturn y\n"));
  EXPECT_EQ(j, irDsl("y = batch_norm(x, None, None, weight=w, bias=b, training=True)\nreturn y\n"));
  EXPECT_EQ(j.find("running_mean"), std::string::npos) << j;
}

TEST(NullOperand, RunningStatisticsAreNamedOutputs) {
  std::string j = ir(jsonWith(
      R"({"name": "bn", "op": "batch_norm", "inputs": ["x", "rm", "rv", null, "b"],
          "attrs": {"training": true, "momentum": 0.2}})",
      R"("bn", "bn.running_mean", "bn.running_var")"));
  EXPECT_NE(j.find("output \"bn.running_var\""), std::string::npos) << j;
  EXPECT_EQ(j, irDsl("bn = batch_norm(x, rm, rv, None, b, True, 0.2)\n"
                     "return bn, `bn.running_mean`, `bn.running_var`\n"));
}

TEST(NullOperand, TrailingNullOfAPrimitiveIsLeftOut) {
  // layer_norm(x, w, null) is layer_norm(x, w).
  std::string a = ir(jsonWith(
      R"({"name": "y", "op": "layer_norm", "inputs": ["x", null],
          "attrs": {"normalized_shape": [3, 2]}})", R"("y")"));
  std::string b = ir(jsonWith(
      R"({"name": "y", "op": "layer_norm", "inputs": ["x"],
          "attrs": {"normalized_shape": [3, 2]}})", R"("y")"));
  EXPECT_EQ(a, b);
}

TEST(NullOperand, NullWhereATensorIsRequiredIsAnError) {
  auto fails = [](const std::string &json, const std::string &want) {
    try {
      loadJsonGraph(json, "g.json");
      ADD_FAILURE() << "no error for " << json;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  fails(jsonWith(R"({"name": "y", "op": "add", "inputs": ["x", null]})", R"("y")"),
        "nodes[0] (\"y\"): add does not accept None (null) as operand 1");
  fails(jsonWith(R"({"name": "y", "op": "batch_norm", "inputs": [null, "rm", "rv"]})",
                 R"("y")"),
        "batch_norm: 'input' (operand 0) is required");
  fails(jsonWith(R"({"name": "y", "op": "l1_loss", "inputs": ["x", null]})", R"("y")"),
        "l1_loss: 'target' (operand 1) is required");
}

TEST(NullOperand, DslKeywordsBindCompositeTensors) {
  std::string a = irDsl("y = binary_cross_entropy_with_logits(x, x, None, w.reshape(3, 1))\nreturn y\n");
  std::string b = irDsl("y = F.binary_cross_entropy_with_logits(x, x, pos_weight=w.reshape(3, 1))\nreturn y\n");
  EXPECT_EQ(a, b);
  try {
    irDsl("y = l1_loss(x, x, weight=w)\nreturn y\n");
    ADD_FAILURE() << "l1_loss took a weight";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("has no argument 'weight'"), std::string::npos)
        << e.what();
  }
}

} // namespace
