//===- tests/passes/LoweringTest.cpp - fusion, recompute, buffer-plan -----===//
#include "passes/BufferPlanning.h"
#include "passes/Fusion.h"
#include "passes/Lowering.h"
#include "passes/Recompute.h"
#include "tests/passes/PassTestUtil.h"

#include "codegen/CppEmitter.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace gradc {
namespace {

using test::attrText;
using test::optimized;
using test::output;

const char *kSeed =
    "graph \"seed\" {\n"
    "  %x = input() {requires_grad = true} : f32[2,2]\n"
    "  %0 = constant() {value = 2.0} : f32[]\n  %y = add(%x, %0) : f32[2,2]\n"
    "  %t = mul(%y, %y) : f32[2,2]\n  %1 = constant() {value = 3.0} : f32[]\n"
    "  %z = mul(%t, %1) : f32[2,2]\n  %out = mean(%z) : f32[]\n"
    "  output \"y\" = %y\n  output \"z\" = %z\n  output \"out\" = %out\n}\n";

/// Kernel id -> its nodes.
std::map<int, std::vector<const Node *>> kernels(const Graph &g) {
  std::map<int, std::vector<const Node *>> k;
  for (const auto &n : g.nodes())
    if (kernelOf(n.get()) >= 0) k[kernelOf(n.get())].push_back(n.get());
  return k;
}

/// Every kernel's nodes are contiguous and kernels appear in id order.
void expectContiguousKernels(const Graph &g) {
  int last = -1;
  std::set<int> done;
  for (const auto &n : g.nodes()) {
    int k = kernelOf(n.get());
    if (k < 0) continue;
    if (k != last) {
      EXPECT_FALSE(done.count(k)) << "kernel " << k << " is split";
      EXPECT_GT(k, last);
      done.insert(k);
      last = k;
    }
  }
}

TEST(Fusion, SeedForwardAndBackwardShareOneLoop) {
  auto g = optimized(kSeed);
  expectContiguousKernels(*g);
  auto k = kernels(*g);
  // seed/4 (a scalar) is one kernel; everything over [2,2] is the other:
  // y, t, z, the mean, and the backward elementwise chain.
  ASSERT_EQ(k.size(), 2u);
  int big = kernelOf(g->findNode("y"));
  EXPECT_EQ(kernelOf(g->findNode("z")), big);
  EXPECT_EQ(kernelOf(g->findNode("out")), big);
  EXPECT_EQ(kernelOf(g->gradients()[0].value), big);
  // t only feeds the loop: a register. Outputs go straight to the caller.
  EXPECT_EQ(attrText(g->findNode("t"), "buf"), "reg");
  EXPECT_EQ(attrText(g->findNode("y"), "buf"), "out#0");
  EXPECT_EQ(attrText(g->gradients()[0].value, "buf"), "reg grad#0");
}

TEST(Fusion, NothingReadsAReductionInItsOwnLoop) {
  // p = e / sum(e): the division needs the whole sum first.
  auto g = optimized("graph \"t\" {\n  %x = input() {requires_grad = true} : f32[64]\n"
                     "  %e = exp(%x) : f32[64]\n  %s = sum(%e) : f32[]\n"
                     "  %p = div(%e, %s) : f32[64]\n  %l = sum(%p) : f32[]\n"
                     "  output \"l\" = %l\n}\n");
  expectContiguousKernels(*g);
  EXPECT_NE(kernelOf(g->findNode("s")), kernelOf(g->findNode("p")));
  EXPECT_EQ(kernelOf(g->findNode("e")), kernelOf(g->findNode("s")));
}

TEST(Fusion, MergingNeverCreatesACycle) {
  // r = p + softmax(p): putting r in p's loop would need the softmax,
  // which needs p's loop first.
  auto g = optimized("graph \"t\" {\n  %x = input() : f32[4,8]\n"
                     "  %p = exp(%x) : f32[4,8]\n"
                     "  %q = softmax(%p) {dim = 1} : f32[4,8]\n"
                     "  %r = add(%p, %q) : f32[4,8]\n  output \"r\" = %r\n}\n");
  expectContiguousKernels(*g);
  int kp = kernelOf(g->findNode("p")), kq = kernelOf(g->findNode("q")),
      kr = kernelOf(output(*g, "r"));
  EXPECT_LT(kp, kq);
  EXPECT_LT(kq, kr);
}

TEST(Fusion, GemmEpiloguesAndFoldedTransposes) {
  auto g = optimized("graph \"t\" {\n  %x = input() : f32[8,16]\n"
                     "  %w = input() {requires_grad = true} : f32[16,4]\n"
                     "  %b = input() {requires_grad = true} : f32[4]\n"
                     "  %z = matmul(%x, %w) : f32[8,4]\n  %a = add(%z, %b) : f32[8,4]\n"
                     "  %h = relu(%a) : f32[8,4]\n  %l = sum(%h) : f32[]\n"
                     "  output \"l\" = %l\n}\n");
  expectContiguousKernels(*g);
  // matmul, bias, relu, the loss and the relu backward: one kernel (a BLAS
  // call and its epilogue loop); h stays in registers, and the backward's
  // where() takes over the GEMM's buffer in place (read for the weight
  // gradient's GEMM next).
  const Node *z = g->findNode("z"), *h = g->findNode("h");
  EXPECT_EQ(kernelOf(g->findNode("a")), kernelOf(z));
  EXPECT_EQ(kernelOf(h), kernelOf(z));
  EXPECT_EQ(attrText(h, "buf"), "reg");
  for (const auto &n : g->nodes())
    if (n->op == OpKind::Where) {
      EXPECT_EQ(kernelOf(n.get()), kernelOf(z));
      EXPECT_EQ(attrText(n.get(), "buf"), attrText(z, "buf"));
    }
  // The weight gradient x^T g is a GEMM written straight into the
  // gradient buffer (beta = accumulate), its transposed operand folded in.
  bool direct = false;
  for (const auto &r : g->gradients())
    if (r.input->name == "w") {
      const Node *v = storageRoot(r.value);
      direct = attrText(v, "buf") == "grad#0";
      EXPECT_TRUE(isMatmulLike(v));
    }
  EXPECT_TRUE(direct);
  for (const auto &n : g->nodes()) {
    if (n->op == OpKind::Transpose) {
      EXPECT_LT(kernelOf(n.get()), 0);
    }
  }
}

TEST(Recompute, RecomputesACheapValueInsteadOfStoringIt) {
  // The backward needs e = exp(x) after the reduction s: storing e moves
  // 2 x 4 KiB; recomputing it from x (in memory anyway) moves 4 KiB.
  auto g = optimized("graph \"t\" {\n  %x = input() {requires_grad = true} : f32[1000]\n"
                     "  %e = exp(%x) : f32[1000]\n  %s = sum(%e) : f32[]\n"
                     "  %p = div(%e, %s) : f32[1000]\n  %l = sum(%p) : f32[]\n"
                     "  output \"l\" = %l\n}\n");
  EXPECT_EQ(attrText(g->findNode("e"), "buf"), "reg");
  int exps = test::countOp(*g, OpKind::Exp);
  EXPECT_GE(exps, 2);
  for (const auto &n : g->nodes()) {
    if (n->op == OpKind::Exp) {
      EXPECT_EQ(attrText(n.get(), "buf"), "reg");
    }
  }
}

TEST(Recompute, StoresWhenRecomputingWouldReadMore) {
  // mask = h <= 0 (1 byte per element) vs h (4 bytes): keep the mask.
  std::unique_ptr<Graph> g = test::jointOf(
      "graph \"t\" {\n  %x = input() {requires_grad = true} : f32[64,64]\n"
      "  %w = input() : f32[64,64]\n  %h = relu(%x) : f32[64,64]\n"
      "  %m = matmul(%h, %w) : f32[64,64]\n  %l = sum(%m) : f32[]\n"
      "  output \"l\" = %l\n}\n");
  fuseKernels(*g);
  std::string before = printGraph(*g);
  rematerializeValues(*g);
  EXPECT_EQ(printGraph(*g), before);
}

TEST(BufferPlan, ReusesWorkspaceAcrossLifetimes) {
  // A chain of reductions and broadcasts: every value crosses kernels, but
  // few are alive at once.
  const char *text = "graph \"t\" {\n  %x = input() {requires_grad = true} : f32[64,64]\n"
                     "  %a = sum(%x) {dim = [1], keepdim = true} : f32[64,1]\n"
                     "  %b = sub(%x, %a) : f32[64,64]\n"
                     "  %c = sum(%b) {dim = [0], keepdim = true} : f32[1,64]\n"
                     "  %d = mul(%b, %c) : f32[64,64]\n"
                     "  %e = sum(%d) {dim = [1], keepdim = true} : f32[64,1]\n"
                     "  %f = mul(%d, %e) : f32[64,64]\n  %l = mean(%f) : f32[]\n"
                     "  output \"l\" = %l\n}\n";
  auto opt = optimized(text);
  auto ref = test::jointOf(text);
  PassManager pm;
  buildReferencePipeline(pm, true);
  pm.run(*ref);
  BufferPlanSizes o = bufferPlanSizes(*opt), r = bufferPlanSizes(*ref);
  EXPECT_GT(o.fusedWorkspace, 0u);
  EXPECT_LT(o.fusedWorkspace, r.fusedWorkspace);
  // The module reports what the dump says.
  GeneratedModule m = emitCpp(*opt);
  EXPECT_EQ(m.info.fusedWorkspaceBytes, o.fusedWorkspace);
  EXPECT_EQ(m.info.contextBytes, o.context);
  EXPECT_EQ(m.info.workspaceBytes, o.workspace);
  EXPECT_NE(describeBufferPlan(*opt).find("fwd_bwd workspace " +
                                          std::to_string(o.fusedWorkspace) + " bytes"),
            std::string::npos);
}

TEST(BufferPlan, TheForwardBackwardPairSavesWhatTheBackwardReads) {
  auto g = optimized(kSeed);
  // y is an output the backward reads: in the context between the calls.
  EXPECT_EQ(attrText(g->findNode("y"), "buf_split"), "ctx+0 out#0");
  EXPECT_EQ(bufferPlanSizes(*g).context, 64u);
}

TEST(BufferPlan, PlannedGraphsStillParse) {
  auto g = optimized(kSeed);
  auto again = parseGraph(printGraph(*g), "opt.gir");
  for (const auto &n : again->nodes()) {
    EXPECT_EQ(n->plan.kernel, -1);
    EXPECT_FALSE(n->plan.fused);
  }
}

} // namespace
} // namespace gradc
