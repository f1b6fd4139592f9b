//===- tests/runtime/GradOfIndexingTest.cpp - Grad of grad through indexing ===//
//
// Gradient penalties (a `grad` node, then backward) whose gradient flows
// through the indexing backward ops (_gather_backward,
// _index_select_backward with embedding's padding_idx) and through
// _nll_loss_backward. These helpers once had no grad_fn, so a gradient
// made by them looked constant: the penalty was refused as a backward root
// ("does not require grad") although PyTorch differentiates it, and with
// another path to x its derivative would miss the indexed part. Every
// expected value is a closed form (the comments derive it) that PyTorch
// 1.13 gives too.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace gradc;

namespace {

const Compiler &compiler() {
  static Compiler c;
  return c;
}

/// x = [[.5, -1, 2], [.25, 1.5, -.75]] as a graph input.
const char *kX = R"({"name": "x", "dtype": "f64", "shape": [2, 3], "requires_grad": true,
                     "init": [[0.5, -1, 2], [0.25, 1.5, -0.75]]})";
const std::vector<double> kXv = {0.5, -1, 2, 0.25, 1.5, -0.75};

/// Compiles the graph and runs it with pen as the backward root.
void expectPenaltyGrad(const std::string &json, const char *wrt,
                       const std::vector<double> &want) {
  auto g = parseGraphText(json, "p.json", GraphFormat::Json);
  auto cg = compiler().compile(*g);
  Session s(*cg);
  s.runFused({{"pen"}}, false);
  const Tensor *d = s.grad(wrt);
  ASSERT_NE(d, nullptr) << wrt << " has no gradient";
  ASSERT_EQ(d->numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(d->get(static_cast<int64_t>(i)), want[i], 1e-12) << wrt << "[" << i << "]";
}

TEST(GradOfIndexing, GatherPenaltyAddsToTheOtherPath) {
  // Gather along dim 1 with [[0, 2], [1, 1]] reads x00 and x02 once
  // (m = 1), x11 twice (m = 2), the rest never (m = 0). With
  // hs = sum(gather(x)^3) + sum(x^2), gw = 3 m x^2 + 2 x per place and
  // pen = sum(gw^2): d pen / dx = 2 (3 m x^2 + 2 x)(6 m x + 2). The 2 x
  // path alone would give 8 x everywhere.
  std::string json = std::string(R"({"name": "p", "inputs": [)") + kX + R"(,
      {"name": "i", "dtype": "i64", "shape": [2, 2], "init": [[0, 2], [1, 1]]}],
    "nodes": [{"name": "a", "op": "gather", "inputs": ["x", "i"], "attrs": {"dim": 1}},
              {"name": "c", "op": "pow", "inputs": ["a", 3]},
              {"name": "sc", "op": "sum", "inputs": ["c"]},
              {"name": "q", "op": "mul", "inputs": ["x", "x"]},
              {"name": "sq", "op": "sum", "inputs": ["q"]},
              {"name": "hs", "op": "add", "inputs": ["sc", "sq"]},
              {"name": "gw", "op": "grad", "inputs": ["hs", "x"]},
              {"name": "g2", "op": "mul", "inputs": ["gw", "gw"]},
              {"name": "pen", "op": "sum", "inputs": ["g2"]}],
    "outputs": ["pen"]})";
  const int m[6] = {1, 0, 1, 0, 2, 0};
  std::vector<double> want;
  for (int k = 0; k < 6; ++k) {
    double x = kXv[k];
    want.push_back(2 * (3 * m[k] * x * x + 2 * x) * (6 * m[k] * x + 2));
  }
  expectPenaltyGrad(json, "x", want);
}

TEST(GradOfIndexing, IndexSelectPenalty) {
  // index_select along dim 1 with [2, 0, 2]: column 0 read once, column 2
  // twice, column 1 never. hs = sum(y^3), gw = 3 m x^2, pen = sum(gw^2):
  // d pen / dx = 36 m^2 x^3.
  std::string json = std::string(R"({"name": "p", "inputs": [)") + kX + R"(,
      {"name": "i", "dtype": "i32", "shape": [3], "init": [2, 0, 2]}],
    "nodes": [{"name": "a", "op": "index_select", "inputs": ["x", "i"], "attrs": {"dim": 1}},
              {"name": "c", "op": "pow", "inputs": ["a", 3]},
              {"name": "hs", "op": "sum", "inputs": ["c"]},
              {"name": "gw", "op": "grad", "inputs": ["hs", "x"]},
              {"name": "g2", "op": "mul", "inputs": ["gw", "gw"]},
              {"name": "pen", "op": "sum", "inputs": ["g2"]}],
    "outputs": ["pen"]})";
  std::vector<double> want;
  for (int k = 0; k < 6; ++k) {
    double x = kXv[k], mm = k % 3 == 0 ? 1 : k % 3 == 2 ? 2 : 0;
    want.push_back(36 * mm * mm * x * x * x);
  }
  expectPenaltyGrad(json, "x", want);
}

TEST(GradOfIndexing, EmbeddingPaddingRowGetsNothingBack) {
  // w = [[.5, -1], [2, .25], [1.5, -.75]], indices [0, 2, 2, 1],
  // padding_idx 2. hs = sum(embedding^3): gw = 3 w^2 on rows 0 and 1, 0 on
  // the padding row. pen = sum(gw) (so the adjoint of gw is 1 everywhere,
  // the padding row included): d pen / dw = 6 w on rows 0 and 1; the
  // padding row stays 0, as the scatter never wrote it.
  std::string json = R"({"name": "p",
    "inputs": [{"name": "w", "dtype": "f64", "shape": [3, 2], "requires_grad": true,
                "init": [[0.5, -1], [2, 0.25], [1.5, -0.75]]},
               {"name": "i", "dtype": "i64", "shape": [4], "init": [0, 2, 2, 1]}],
    "nodes": [{"name": "e", "op": "embedding", "inputs": ["i", "w"], "attrs": {"padding_idx": -1}},
              {"name": "c", "op": "pow", "inputs": ["e", 3]},
              {"name": "hs", "op": "sum", "inputs": ["c"]},
              {"name": "gw", "op": "grad", "inputs": ["hs", "w"]},
              {"name": "pen", "op": "sum", "inputs": ["gw"]}],
    "outputs": ["pen"]})";
  expectPenaltyGrad(json, "w", {3, -6, 12, 1.5, 0, 0});
}

TEST(GradOfIndexing, NllLossPenalty) {
  // l = nll_loss(x, [1, 2], reduction none) = [-x01, -x12]; hs = sum(l^2)
  // gives gw = 2 x at (0, 1) and (1, 2), 0 elsewhere; pen = sum(gw^2) =
  // 4 (x01^2 + x12^2), so d pen / dx = 8 x there.
  std::string json = std::string(R"({"name": "p", "inputs": [)") + kX + R"(,
      {"name": "t", "dtype": "i64", "shape": [2], "init": [1, 2]}],
    "nodes": [{"name": "l", "op": "nll_loss", "inputs": ["x", "t"], "attrs": {"reduction": "none"}},
              {"name": "l2", "op": "mul", "inputs": ["l", "l"]},
              {"name": "hs", "op": "sum", "inputs": ["l2"]},
              {"name": "gw", "op": "grad", "inputs": ["hs", "x"]},
              {"name": "g2", "op": "mul", "inputs": ["gw", "gw"]},
              {"name": "pen", "op": "sum", "inputs": ["g2"]}],
    "outputs": ["pen"]})";
  expectPenaltyGrad(json, "x", {0, -8, 0, 0, 0, -6});
}

} // namespace
