//===- tests/runtime/IndexStatusTest.cpp - Bad indices are errors --------===//
//
// An index out of range in embedding, gather, index_select, one_hot or a
// class target of cross_entropy stops the run with an error naming the
// node and the value (through the status of the entry points), from the
// fused entry point and from forward(); a later run with good indices
// works. The values: one past the end, -1, and one beyond the 48 bits a
// status carries (reported saturated).
//
//===----------------------------------------------------------------------===//
#include "codegen/EntryStatus.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

/// Every op that reads an index from the data, each with its own index
/// input, all summed into one loss.
const char *kGraph = R"({"name": "ix", "inputs": [
  {"name": "idx", "dtype": "i64", "shape": [3], "init": [0, 4, 2]},
  {"name": "w", "shape": [5, 2], "requires_grad": true, "init": {"randn": 1}},
  {"name": "x", "shape": [3, 4], "requires_grad": true, "init": {"randn": 2}},
  {"name": "gi", "dtype": "i32", "shape": [3, 2], "init": [[0, 3], [1, 1], [2, 0]]},
  {"name": "si", "dtype": "i64", "shape": [2], "init": [2, 0]},
  {"name": "ci", "dtype": "i64", "shape": [3], "init": [3, 0, 1]},
  {"name": "t", "dtype": "i64", "shape": [3], "init": [1, -100, 3]}
 ],
 "nodes": [
  {"name": "emb", "op": "embedding", "inputs": ["idx", "w"]},
  {"name": "gat", "op": "gather", "inputs": ["x", "gi"], "attrs": {"dim": 1}},
  {"name": "sel", "op": "index_select", "inputs": ["x", "si"]},
  {"name": "oh", "op": "one_hot", "inputs": ["ci"], "attrs": {"num_classes": 4}},
  {"name": "ce", "op": "cross_entropy", "inputs": ["x", "t"]},
  {"name": "a", "op": "sum", "inputs": ["emb"]},
  {"name": "b", "op": "sum", "inputs": ["gat"]},
  {"name": "c", "op": "sum", "inputs": ["sel"]},
  {"name": "ab", "op": "add", "inputs": ["a", "b"]},
  {"name": "abc", "op": "add", "inputs": ["ab", "c"]},
  {"name": "loss", "op": "add", "inputs": ["abc", "ce"]}
 ],
 "outputs": ["loss", "oh"]})";

struct BadCase {
  const char *input;
  DType dtype;
  Shape shape;
  std::vector<double> values;
  std::string message;
};

std::vector<BadCase> badCases() {
  return {
      {"idx", DType::I64, {3}, {0, 5, 2}, "index 5 out of range [0, 5) in node 'emb'"},
      {"idx", DType::I64, {3}, {-1, 0, 2}, "index -1 out of range [0, 5) in node 'emb'"},
      {"idx", DType::I64, {3}, {0, 1e15, 2},
       "index >= 140737488355327 out of range [0, 5) in node 'emb'"},
      {"gi", DType::I32, {3, 2}, {0, 3, 1, 4, 2, 0}, "index 4 out of range [0, 4) in node 'gat'"},
      {"gi", DType::I32, {3, 2}, {0, 3, 1, 1, -7, 0}, "index -7 out of range [0, 4) in node 'gat'"},
      {"si", DType::I64, {2}, {2, 3}, "index 3 out of range [0, 3) in node 'sel'"},
      {"ci", DType::I64, {3}, {3, 4, 1}, "class 4 out of range [0, 4) in node 'oh'"},
      {"t", DType::I64, {3}, {1, 4, 3}, "target 4 out of range [0, 4) in node 'ce'"},
      {"t", DType::I64, {3}, {1, -1, 3}, "target -1 out of range [0, 4) in node 'ce'"},
  };
}

const CompiledGraph &compiled() {
  static Compiler compiler;
  static auto g = loadJsonGraph(kGraph, "ix.json");
  static auto cg = compiler.compile(*g);
  return *cg;
}

std::string fusedError(Session &s) {
  try {
    s.runFused({{"loss"}}, false);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

TEST(IndexStatus, GoodIndicesRun) {
  Session s(compiled());
  s.runFused({{"loss"}}, false);
  // one_hot of [3, 0, 1] with 4 classes.
  const Tensor &oh = s.output("oh");
  std::vector<double> want = {0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0};
  ASSERT_EQ(oh.numel(), 12);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(oh.get(i), want[i]) << i;
  ASSERT_NE(s.grad("w"), nullptr);
  // Rows 0, 4, 2 of w were used once each: their gradient is 1.
  std::vector<double> gw = {1, 1, 0, 0, 1, 1, 0, 0, 1, 1};
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(s.grad("w")->get(i), gw[i]) << i;
}

TEST(IndexStatus, EachBadIndexNamesTheNodeAndTheValue) {
  for (const BadCase &c : badCases()) {
    SCOPED_TRACE(c.message);
    Session s(compiled());
    s.setInput(c.input, Tensor::fromDoubles(c.dtype, c.shape, c.values));
    EXPECT_EQ(fusedError(s), c.message);
    // The retain-graph entry point reports it too, and leaves no context.
    try {
      s.forward();
      ADD_FAILURE() << "forward() accepted the bad index";
    } catch (const Error &e) {
      EXPECT_EQ(std::string(e.what()), c.message);
    }
    EXPECT_THROW(s.backward({{"loss"}}), Error);
  }
}

TEST(IndexStatus, AGoodRunAfterABadOne) {
  Session s(compiled());
  s.setInput("idx", Tensor::fromDoubles(DType::I64, {3}, {0, 7, 2}));
  EXPECT_NE(fusedError(s), "");
  s.setInput("idx", Tensor::fromDoubles(DType::I64, {3}, {0, 4, 2}));
  EXPECT_EQ(fusedError(s), "");
  s.forward();
  s.backward({{"loss"}});
  EXPECT_NE(s.grad("x"), nullptr);
}

TEST(IndexStatus, StatusEncodingRoundTrips) {
  for (int64_t v : {int64_t(0), int64_t(12), int64_t(-1), int64_t(-100),
                    (int64_t(1) << 47) - 1, -(int64_t(1) << 47)}) {
    uint64_t st = encodeStatus(3, v);
    EXPECT_EQ(statusSite(st), 3u);
    EXPECT_EQ(statusValue(st), v);
  }
  EXPECT_EQ(statusValue(encodeStatus(1, int64_t(1) << 60)), (int64_t(1) << 47) - 1);
  ModuleInfo info;
  info.statusSites.push_back({"e\"m", "index", 10});
  EXPECT_EQ(describeStatus(info, encodeStatus(1, 12)),
            "index 12 out of range [0, 10) in node 'e\"m'");
  EXPECT_NE(describeStatus(info, encodeStatus(2, 12)).find("unknown"), std::string::npos);
}

} // namespace
