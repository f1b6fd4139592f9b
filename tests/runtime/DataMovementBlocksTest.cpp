//===- tests/runtime/DataMovementBlocksTest.cpp - Copies in thread blocks -===//
//
// Large permutes, slices and slice gradients run in blocks of their
// outermost dim on the thread pool (OpEmitter::inOuterBlocks). The
// attention heads of a transformer, split from a fused q/k/v projection
// and merged back, are checked here element by element against the input
// they copy, with one, two and three threads: a copy is exact, so every
// element must be the very value it copies (or an exact zero).
//
//===----------------------------------------------------------------------===//
#include "frontend/GraphBuilder.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"
#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

constexpr int64_t B = 16, T = 64, H = 4, HD = 32, D = H * HD;

InputInit randn(int64_t seed) {
  InputInit i;
  i.kind = InputInit::Randn;
  i.seed = seed;
  return i;
}

std::vector<int64_t> dims(std::vector<int64_t> v) { return v; }

/// x [B, T, 3D] split as attention splits q, k, v: q = slice 0 as
/// [B, H, T, HD], k = slice 1 as [B, H, HD, T]; m merges q's heads back
/// into [B, T, D]; out = sum(q * wq) + sum(k * wk), so x's gradient is wq
/// and wk moved back into slices 0 and 1, and zeros in slice 2.
std::unique_ptr<Graph> headsGraph() {
  GraphBuilder b("heads");
  Node *x = b.addInput("x", {DType::F32, {B, T, 3 * D}}, true, randn(11));
  Node *wq = b.addInput("wq", {DType::F32, {B, H, T, HD}}, false, randn(12));
  Node *wk = b.addInput("wk", {DType::F32, {B, H, HD, T}}, false, randn(13));
  auto op = [&](OpKind k, std::vector<Node *> in, AttrMap attrs, const std::string &name) {
    std::vector<BuildOperand> ops;
    for (Node *n : in) ops.push_back(BuildOperand::of(n));
    return b.addOp(k, ops, std::move(attrs), name, false);
  };
  auto head = [&](int64_t part, std::vector<int64_t> perm, const std::string &name) {
    Node *s = op(OpKind::Slice, {x},
                 {{"dim", int64_t(2)}, {"start", part * D}, {"end", (part + 1) * D}}, "");
    Node *r = op(OpKind::Reshape, {s}, {{"shape", dims({B, T, H, HD})}}, "");
    return op(OpKind::Permute, {r}, {{"dims", perm}}, name);
  };
  Node *q = head(0, {0, 2, 1, 3}, "q"), *k = head(1, {0, 2, 3, 1}, "k");
  Node *m = op(OpKind::Permute, {q}, {{"dims", dims({0, 2, 1, 3})}}, "");
  op(OpKind::Reshape, {m}, {{"shape", dims({B, T, D})}}, "m");
  Node *sq = op(OpKind::Sum, {op(OpKind::Mul, {q, wq}, {}, "")}, {}, "");
  Node *sk = op(OpKind::Sum, {op(OpKind::Mul, {k, wk}, {}, "")}, {}, "");
  op(OpKind::Add, {sq, sk}, {}, "out");
  for (const char *o : {"out", "q", "k", "m"}) b.addOutput(o);
  return b.finish();
}

TEST(DataMovementBlocks, AttentionHeadsSplitMergeAndGradientAreExactCopies) {
  auto g = headsGraph();
  Compiler compiler;
  auto cg = compiler.compile(*g);
  const int before = numThreads();
  for (int threads : {1, 2, 3}) {
    setNumThreads(threads);
    Session s(*cg);
    s.runFused({{"out"}}, false);
    const Tensor &x = s.input("x"), &wq = s.input("wq"), &wk = s.input("wk");
    const Tensor &q = s.output("q"), &k = s.output("k"), &m = s.output("m");
    const Tensor *gx = s.grad("x");
    ASSERT_NE(gx, nullptr);
    int64_t bad = 0, nonzero = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t c = 0; c < 3 * D; ++c) {
          int64_t part = c / D, h = c % D / HD, d = c % HD;
          double xv = x.get((b * T + t) * 3 * D + c), gv = gx->get((b * T + t) * 3 * D + c);
          if (part == 0) {
            bad += q.get(((b * H + h) * T + t) * HD + d) != xv;
            bad += m.get((b * T + t) * D + c) != xv;
            bad += gv != wq.get(((b * H + h) * T + t) * HD + d);
          } else if (part == 1) {
            bad += k.get(((b * H + h) * HD + d) * T + t) != xv;
            bad += gv != wk.get(((b * H + h) * HD + d) * T + t);
          } else {
            bad += gv != 0;
          }
          nonzero += gv != 0;
        }
    EXPECT_EQ(bad, 0) << threads << " thread(s)";
    // Two thirds of the gradient are random values, not zeros.
    EXPECT_GT(nonzero, B * T * D);
  }
  setNumThreads(before);
}

} // namespace
