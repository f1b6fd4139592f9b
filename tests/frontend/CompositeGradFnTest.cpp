//===- tests/frontend/CompositeGradFnTest.cpp - Composite grad_fn names ---===//
//
// A composite op's result shows the grad_fn of PyTorch's one fused node
// (HuberLossBackward0 rather than the MeanBackward0 of the last
// primitive), and IR text keeps it across a print and parse. The names
// themselves are checked against PyTorch by tests/torch/losses.py.
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "ir/GradFn.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

/// The graph of one node `y` = op(inputs) {attrs} over f64 inputs x, t
/// ([4, 3], x requires grad) and w ([3]).
std::unique_ptr<Graph> oneNode(const std::string &op, const std::string &inputs,
                               const std::string &attrs = "{}") {
  std::string text = R"({"name": "g", "inputs": [
    {"name": "x", "dtype": "f64", "shape": [4, 3], "requires_grad": true, "init": "zeros"},
    {"name": "t", "dtype": "f64", "shape": [4, 3], "init": "zeros"},
    {"name": "w", "dtype": "f64", "shape": [3], "init": "ones"}],
    "nodes": [{"name": "y", "op": ")" + op + R"(", "inputs": )" + inputs +
                     R"(, "attrs": )" + attrs + R"(}], "outputs": ["y"]})";
  return loadJsonGraph(text, "g.json");
}

std::string outputGradFn(const Graph &g) {
  return gradFnName(*g.outputs().at(0).node);
}

struct Expect {
  const char *op, *inputs, *attrs, *gradFn;
};

TEST(CompositeGradFn, ResultCarriesPyTorchsName) {
  const Expect cases[] = {
      {"smooth_l1_loss", R"(["x", "t"])", "{}", "SmoothL1LossBackward0"},
      {"smooth_l1_loss", R"(["x", "t"])", R"({"beta": 0, "reduction": "none"})",
       "SmoothL1LossBackward0"},
      {"huber_loss", R"(["x", "t"])", R"({"reduction": "sum"})", "HuberLossBackward0"},
      {"binary_cross_entropy", R"(["x", "t", "w"])", R"({"reduction": "none"})",
       "BinaryCrossEntropyBackward0"},
      {"binary_cross_entropy_with_logits", R"(["x", "t", null, "w"])", "{}",
       "BinaryCrossEntropyWithLogitsBackward0"},
      {"batch_norm", R"(["x", null, null, "w", "w"])", R"({"training": true})",
       "NativeBatchNormBackward0"},
      {"batch_norm", R"(["x", "w", "w"])", "{}", "NativeBatchNormBackward0"},
      // Composites whose last primitive already is PyTorch's node.
      {"l1_loss", R"(["x", "t"])", "{}", "MeanBackward0"},
      {"l1_loss", R"(["x", "t"])", R"({"reduction": "none"})", "AbsBackward0"},
      {"square", R"(["x"])", "{}", "PowBackward0"},
  };
  for (const Expect &c : cases) {
    SCOPED_TRACE(std::string(c.op) + " " + c.inputs + " " + c.attrs);
    auto g = oneNode(c.op, c.inputs, c.attrs);
    EXPECT_EQ(outputGradFn(*g), c.gradFn);
    // Only the result: the temporaries keep their own names.
    for (const auto &n : g->nodes())
      if (n.get() != g->outputs()[0].node) EXPECT_EQ(n->gradFn, "");
  }
}

TEST(CompositeGradFn, IRTextKeepsIt) {
  auto g = oneNode("huber_loss", R"(["x", "t"])");
  std::string printed = printGraph(*g);
  EXPECT_NE(printed.find(R"({grad_fn = "HuberLossBackward0"})"), std::string::npos)
      << printed;
  auto back = parseGraph(printed, "g.gir");
  EXPECT_EQ(outputGradFn(*back), "HuberLossBackward0");
  EXPECT_EQ(printGraph(*back), printed);
  EXPECT_EQ(outputGradFn(*g->clone()), "HuberLossBackward0");
}

TEST(CompositeGradFn, BadPseudoAttributeIsLocated) {
  try {
    parseGraph("graph \"g\" {\n  %x = input() {requires_grad = true} : f32[2]\n"
               "  %y = neg(%x) {grad_fn = 3} : f32[2]\n  output \"y\" = %y\n}\n",
               "g.gir");
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("g.gir:3:"), std::string::npos) << e.what();
  }
}

} // namespace
