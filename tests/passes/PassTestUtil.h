//===- tests/passes/PassTestUtil.h - Helpers of the pass tests -*- C++ -*-===//
#ifndef GRADC_TESTS_PASSES_PASSTESTUTIL_H
#define GRADC_TESTS_PASSES_PASSTESTUTIL_H

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Pipeline.h"
#include "passes/RequiresGrad.h"

#include <string>

namespace gradc::test {

/// Parses IR text (a forward graph or a joint one) and runs the
/// requires-grad analysis, as the pipeline does first.
inline std::unique_ptr<Graph> parseIR(const std::string &text) {
  auto g = parseGraph(text, "test.gir");
  analyzeRequiresGrad(*g);
  return g;
}

/// The joint graph of a forward graph (requires-grad + autodiff).
inline std::unique_ptr<Graph> jointOf(const std::string &text) {
  auto g = parseGraph(text, "test.gir");
  PassManager pm;
  buildPipeline(pm, PipelineStage::Grad);
  pm.run(*g);
  return g;
}

/// Runs the whole optimization pipeline on a forward graph.
inline std::unique_ptr<Graph> optimized(const std::string &text) {
  auto g = parseGraph(text, "test.gir");
  PassManagerOptions po;
  po.verifyEach = true;
  PassManager pm(po);
  buildPipeline(pm, PipelineStage::Opt);
  pm.run(*g);
  return g;
}

/// Number of nodes with op `k`.
inline int countOp(const Graph &g, OpKind k) {
  int n = 0;
  for (const auto &x : g.nodes()) n += x->op == k;
  return n;
}

/// The node computing output `name`.
inline const Node *output(const Graph &g, const std::string &name) {
  for (const auto &o : g.outputs())
    if (o.name == name) return o.node;
  return nullptr;
}

/// A string attribute of `n`, or "" without it; "buf" and "buf_split"
/// are the printed spelling of its lowering plan.
inline std::string attrText(const Node *n, const std::string &key) {
  // The lowering plan (Node::plan) in its printed spelling.
  if (key == "buf") return n->plan.fused ? n->plan.fused->str() : "";
  if (key == "buf_split") return n->plan.split ? n->plan.split->str() : "";
  return getString(n->attrs, key, "");
}

} // namespace gradc::test

#endif // GRADC_TESTS_PASSES_PASSTESTUTIL_H
