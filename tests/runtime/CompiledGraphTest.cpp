//===- tests/runtime/CompiledGraphTest.cpp - How graphs are compiled ------===//
//
// What Compiler::compile promises beyond the numbers: the fused entry point
// is ready when it returns while the forward/backward pair compiles on
// another thread (and keeps working when the Compiler is gone), null
// gradient pointers on large kernels leave every other result bit for bit
// the same, BLAS is loaded only by graphs that multiply matrices, a
// large fused unit compiled in parts computes what one unit computes, and
// convolutions and pooling give the same bits on any number of threads.
//
//===----------------------------------------------------------------------===//
#include "codegen/CppEmitter.h"
#include "codegen/UnitSplit.h"
#include "frontend/GraphBuilder.h"
#include "runtime/Blas.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"
#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace gradc;

namespace {

InputInit randn(int64_t seed) {
  InputInit i;
  i.kind = InputInit::Randn;
  i.seed = seed;
  return i;
}

/// out = mean(3 * (x + 2)^2 + w * x), with x and w of n elements: one large
/// kernel with a reduction and two gradient sinks.
std::unique_ptr<Graph> chainGraph(int64_t n) {
  GraphBuilder b("chain");
  Node *x = b.addInput("x", {DType::F32, {n}}, true, randn(1));
  Node *w = b.addInput("w", {DType::F32, {n}}, true, randn(2));
  Node *y = b.addOp(OpKind::Add, {BuildOperand::of(x), BuildOperand::number(2)}, {}, "y", false);
  Node *t = b.addOp(OpKind::Mul, {BuildOperand::of(y), BuildOperand::of(y)}, {}, "", false);
  Node *z = b.addOp(OpKind::Mul, {BuildOperand::of(t), BuildOperand::number(3)}, {}, "z", false);
  Node *wx = b.addOp(OpKind::Mul, {BuildOperand::of(w), BuildOperand::of(x)}, {}, "", false);
  Node *s = b.addOp(OpKind::Add, {BuildOperand::of(z), BuildOperand::of(wx)}, {}, "", false);
  b.addOp(OpKind::Mean, {BuildOperand::of(s)}, {}, "out", false);
  b.addOutput("out");
  return b.finish();
}

/// Calls the fused entry point with fresh buffers; `want[j]` false passes
/// a null pointer for gradient j.
struct FusedCall {
  std::vector<Tensor> in, out, grads;
  AlignedBuffer workspace;

  FusedCall(const CompiledGraph &cg, const Session &inputs) {
    const ModuleInfo &mi = cg.info();
    for (const TensorArg &a : mi.inputs) {
      const Tensor &v = inputs.input(a.name);
      in.emplace_back(v.dtype(), v.shape());
      std::memcpy(in.back().data(), v.data(), v.numel() * dtypeSize(v.dtype()));
    }
    for (const TensorArg &a : mi.outputs) out.emplace_back(a.type.dtype, a.type.shape);
    for (size_t i : mi.gradInputs)
      grads.emplace_back(mi.inputs[i].type.dtype, mi.inputs[i].type.shape);
    workspace = AlignedBuffer(std::max<uint64_t>(mi.fusedWorkspaceBytes, 64));
  }

  void run(const CompiledGraph &cg, const std::vector<bool> &want, bool accumulate) {
    std::vector<const void *> ip;
    std::vector<void *> op, gp;
    for (Tensor &t : in) ip.push_back(t.data());
    for (Tensor &t : out) op.push_back(t.data());
    for (size_t j = 0; j < grads.size(); ++j) gp.push_back(want[j] ? grads[j].data() : nullptr);
    std::vector<const void *> seeds(out.size(), nullptr);
    Tensor one(DType::F32, {});
    one.fill(1);
    seeds[0] = one.data();
    cg.fused()(ip.data(), op.data(), gp.data(), seeds.data(), accumulate ? 1 : 0,
               workspace.data());
  }
};

bool sameBits(const Tensor &a, const Tensor &b) {
  return a.numel() == b.numel() &&
         std::memcmp(a.data(), b.data(), a.numel() * dtypeSize(a.dtype())) == 0;
}

TEST(CompiledGraph, PairCompilesInTheBackgroundAndOutlivesTheCompiler) {
  auto g = chainGraph(4096);
  std::unique_ptr<CompiledGraph> cg;
  {
    Compiler compiler;
    cg = compiler.compile(*g);
    ASSERT_NE(cg->fused(), nullptr);
  } // the pair may still be compiling: it does not need the Compiler
  cg->waitForPair();
  EXPECT_GT(cg->times().pairMs, 0.0);
  ASSERT_NE(cg->forward(), nullptr);
  ASSERT_NE(cg->backward(), nullptr);

  // The pair and the fused entry point give the same numbers.
  Session fused(*cg), split(*cg);
  fused.runFused({{"out"}}, false);
  split.forward();
  split.backward({{"out"}});
  EXPECT_TRUE(sameBits(fused.output("out"), split.output("out")));
  for (const char *name : {"x", "w"}) {
    const Tensor *a = fused.grad(name), *b = split.grad(name);
    ASSERT_TRUE(a && b) << name;
    for (int64_t i = 0; i < a->numel(); ++i)
      ASSERT_NEAR(a->get(i), b->get(i), 1e-6 * (1 + std::fabs(a->get(i)))) << name << " " << i;
  }
}

TEST(CompiledGraph, NullGradientsLeaveOtherResultsBitForBit) {
  // Large enough for the blocked, threaded loop (the path that used to have
  // a separate copy for null gradients).
  auto g = chainGraph(1 << 20);
  Compiler compiler;
  auto cg = compiler.compile(*g);
  Session inputs(*cg);
  FusedCall all(*cg, inputs), some(*cg, inputs), none(*cg, inputs);
  all.run(*cg, {true, true}, false);
  some.run(*cg, {false, true}, false);
  none.run(*cg, {false, false}, false);
  EXPECT_TRUE(sameBits(all.out[0], some.out[0]));
  EXPECT_TRUE(sameBits(all.out[0], none.out[0]));
  EXPECT_TRUE(sameBits(all.grads[1], some.grads[1]));

  // Accumulating next to a null gradient adds only to the present one.
  some.grads[1].fill(1);
  some.run(*cg, {false, true}, true);
  for (int64_t i = 0; i < some.grads[1].numel(); i += 4099)
    ASSERT_EQ(static_cast<float>(some.grads[1].get(i)),
              static_cast<float>(all.grads[1].get(i) + 1.0f))
        << "element " << i;
}

TEST(CompiledGraph, NullGradientsOfALayer) {
  // out = sum(relu(x @ W + b)): W's gradient is a GEMM, b's a reduction over
  // the rows in the GEMM's epilogue, x's another GEMM. Each gradient left
  // out in turn leaves the others, and the output, bit for bit the same.
  GraphBuilder b("layer");
  Node *x = b.addInput("x", {DType::F32, {300, 64}}, true, randn(5));
  Node *w = b.addInput("W", {DType::F32, {64, 48}}, true, randn(6));
  Node *bias = b.addInput("b", {DType::F32, {48}}, true, randn(7));
  Node *h = b.addOp(OpKind::Matmul, {BuildOperand::of(x), BuildOperand::of(w)}, {}, "", false);
  Node *hb = b.addOp(OpKind::Add, {BuildOperand::of(h), BuildOperand::of(bias)}, {}, "", false);
  Node *r = b.addOp(OpKind::Relu, {BuildOperand::of(hb)}, {}, "", false);
  b.addOp(OpKind::Sum, {BuildOperand::of(r)}, {}, "out", false);
  b.addOutput("out");
  auto g = b.finish();
  Compiler compiler;
  auto cg = compiler.compile(*g);
  Session inputs(*cg);
  FusedCall all(*cg, inputs);
  all.run(*cg, {true, true, true}, false);
  for (size_t skip = 0; skip < 3; ++skip) {
    std::vector<bool> want = {true, true, true};
    want[skip] = false;
    FusedCall some(*cg, inputs);
    some.run(*cg, want, false);
    EXPECT_TRUE(sameBits(all.out[0], some.out[0])) << "without gradient " << skip;
    for (size_t j = 0; j < 3; ++j)
      if (j != skip)
        EXPECT_TRUE(sameBits(all.grads[j], some.grads[j]))
            << "gradient " << j << " without gradient " << skip;
  }
}

TEST(CompiledGraph, BlasIsLoadedOnlyForMatrixProducts) {
  // ctest runs each test in its own process; run together, an earlier test
  // may have loaded BLAS already.
  if (blasLoaded()) GTEST_SKIP() << "BLAS was loaded by an earlier test of this process";
  Compiler compiler;
  auto chain = compiler.compile(*chainGraph(64));
  chain->waitForPair();
  EXPECT_FALSE(blasLoaded());

  GraphBuilder b("mm");
  Node *a = b.addInput("a", {DType::F32, {3, 4}}, true, randn(3));
  Node *c = b.addInput("c", {DType::F32, {4, 2}}, false, randn(4));
  Node *p = b.addOp(OpKind::Matmul, {BuildOperand::of(a), BuildOperand::of(c)}, {}, "p", false);
  b.addOp(OpKind::Sum, {BuildOperand::of(p)}, {}, "out", false);
  b.addOutput("out");
  const char *timeoutBefore = std::getenv("OPENBLAS_THREAD_TIMEOUT");
  auto mm = compiler.compile(*b.finish());
  EXPECT_TRUE(blasLoaded());
  // OpenBLAS's idle workers sleep after 2^18 cycles, not 2^28, so that they
  // leave the cores to gradc's pool between GEMMs; a value set already wins.
  if (!timeoutBefore) {
    EXPECT_STREQ(std::getenv("OPENBLAS_THREAD_TIMEOUT"), "18");
  }
  Session s(*mm);
  s.runFused({{"out"}}, false);
  // d(sum(a @ c))/da[i][k] = sum_j c[k][j].
  const Tensor &cv = s.input("c");
  const Tensor *ga = s.grad("a");
  ASSERT_TRUE(ga);
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 4; ++k)
      EXPECT_NEAR(ga->get(i * 4 + k), cv.get(k * 2) + cv.get(k * 2 + 1), 1e-5);
}

} // namespace

namespace {

/// A chain of `ops` elementwise ops over n elements ending in a mean: many
/// out-of-line kernels (fusion caps a kernel's size), enough to split.
std::unique_ptr<Graph> longChain(int ops, int64_t n) {
  GraphBuilder b("longchain");
  Node *v = b.addInput("x", {DType::F32, {n}}, true, randn(9));
  const OpKind cycle[] = {OpKind::Tanh, OpKind::Mul, OpKind::Sin, OpKind::Add};
  for (int i = 0; i < ops; ++i) {
    OpKind k = cycle[i % 4];
    std::vector<BuildOperand> operands = {BuildOperand::of(v)};
    if (k == OpKind::Mul) operands.push_back(BuildOperand::number(0.75));
    if (k == OpKind::Add) operands.push_back(BuildOperand::number(0.125));
    v = b.addOp(k, operands, {}, "", false);
  }
  b.addOp(OpKind::Mean, {BuildOperand::of(v)}, {}, "out", false);
  b.addOutput("out");
  return b.finish();
}

} // namespace

TEST(CompiledGraph, SplitUnitShareOutKernelsAndKeepTheEntryPoint) {
  auto g = longChain(400, 2048);
  Compiler compiler;
  auto cg = compiler.compile(*g); // for its optimized graph
  GeneratedModule m = emitCpp(cg->optimizedGraph());
  std::vector<std::string> one = splitFusedUnit(m, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], m.fusedUnit);
  std::vector<std::string> parts = splitFusedUnit(m, 3, 1024);
  ASSERT_EQ(parts.size(), 3u);
  // The entry point and the size functions are in the first part only.
  const std::string entry = "unsigned long long " + m.info.fusedSymbol() + "(";
  EXPECT_NE(parts[0].find(entry), std::string::npos);
  EXPECT_NE(parts[0].find(m.info.symbolPrefix + "_fused_workspace_bytes"), std::string::npos);
  // Every kernel is defined in exactly one part; a kernel the first part
  // does not define, it declares, and the part that defines it gives it
  // external linkage.
  for (const KernelText &k : m.fusedKernels) {
    int defined = 0;
    size_t where = 0;
    for (size_t p = 0; p < parts.size(); ++p)
      if (parts[p].find(k.function) != std::string::npos) ++defined, where = p;
    ASSERT_EQ(defined, 1) << k.name;
    if (where > 0) {
      EXPECT_NE(parts[0].find(k.declaration), std::string::npos) << k.name;
      EXPECT_EQ(parts[where].find("static " + k.function), std::string::npos) << k.name;
    }
  }
}

TEST(CompiledGraph, ASplitCompileGivesTheSameBitsAsOneUnit) {
  auto g = longChain(400, 4096);
  CompileOptions whole, split;
  whole.useCache = split.useCache = false;
  whole.compileThreads = 1;
  split.compileThreads = 3; // more parts than a 2-core machine has cores
  auto a = Compiler(whole).compile(*g);
  auto b = Compiler(split).compile(*g);
  EXPECT_EQ(a->times().parts, 1u);
  EXPECT_EQ(b->times().parts, 3u);
  Session sa(*a), sb(*b);
  sa.runFused({{"out"}}, false);
  sb.runFused({{"out"}}, false);
  EXPECT_TRUE(sameBits(sa.output("out"), sb.output("out")));
  ASSERT_TRUE(sa.grad("x") && sb.grad("x"));
  EXPECT_TRUE(sameBits(*sa.grad("x"), *sb.grad("x")));
  // Not a trivially equal answer: the gradient is neither zero nor constant.
  EXPECT_NE(sa.grad("x")->get(0), sa.grad("x")->get(1));
}

namespace {

/// sum(max_pool2d(relu(conv2d(x, w, b, padding=1)), 2)) with x, w and b
/// requiring grad: every convolution and pooling op runs as thread blocks.
std::unique_ptr<Graph> convGraph() {
  GraphBuilder b("convnet");
  Node *x = b.addInput("x", {DType::F32, {16, 3, 12, 12}}, true, randn(3));
  Node *w = b.addInput("w", {DType::F32, {5, 3, 3, 3}}, true, randn(4));
  Node *bias = b.addInput("b", {DType::F32, {5}}, true, randn(5));
  Node *c = b.addOp(OpKind::Conv2d,
                    {BuildOperand::of(x), BuildOperand::of(w), BuildOperand::of(bias)},
                    {{"padding", int64_t(1)}}, "c", false);
  Node *r = b.addOp(OpKind::Relu, {BuildOperand::of(c)}, {}, "r", false);
  Node *p = b.addOp(OpKind::MaxPool2d, {BuildOperand::of(r)},
                    {{"kernel_size", int64_t(2)}}, "p", false);
  b.addOp(OpKind::Sum, {BuildOperand::of(p)}, {}, "out", false);
  b.addOutput("out");
  return b.finish();
}

} // namespace

TEST(CompiledGraph, ConvolutionAndPoolingGiveTheSameBitsOnAnyThreadCount) {
  auto g = convGraph();
  Compiler compiler;
  auto cg = compiler.compile(*g);
  Session inputs(*cg);
  FusedCall one(*cg, inputs), two(*cg, inputs), three(*cg, inputs);
  const int before = numThreads();
  setNumThreads(1);
  one.run(*cg, {true, true, true}, false);
  setNumThreads(2);
  two.run(*cg, {true, true, true}, false);
  setNumThreads(3);
  three.run(*cg, {true, true, true}, false);
  setNumThreads(before);
  EXPECT_TRUE(sameBits(one.out[0], two.out[0]));
  EXPECT_TRUE(sameBits(one.out[0], three.out[0]));
  for (size_t j = 0; j < one.grads.size(); ++j) {
    EXPECT_TRUE(sameBits(one.grads[j], two.grads[j])) << "gradient " << j;
    EXPECT_TRUE(sameBits(one.grads[j], three.grads[j])) << "gradient " << j;
  }
  // Not all zero: the test would pass vacuously on a kernel that wrote
  // nothing.
  double s = 0;
  for (int64_t i = 0; i < one.grads[1].numel(); ++i) s += std::fabs(one.grads[1].get(i));
  EXPECT_GT(s, 0.0);
}

TEST(CompiledGraph, InPlaceReductionsInThreadBlocksAreExactAndThreadCountFree) {
  // Large enough for blocks: sums over dims 0 and 2 (partials per block),
  // a max over dim 0, and a sum over dim 1 (rows of separate blocks).
  const int64_t A = 64, B = 6, C = 1024;
  GraphBuilder b("reductions");
  Node *x = b.addInput("x", {DType::F32, {A, B, C}}, false, randn(7));
  b.addOp(OpKind::Sum, {BuildOperand::of(x)}, {{"dim", std::vector<int64_t>{0, 2}}},
          "s02", false);
  b.addOp(OpKind::Max, {BuildOperand::of(x)}, {{"dim", std::vector<int64_t>{0}}}, "m0",
          false);
  b.addOp(OpKind::Sum, {BuildOperand::of(x)}, {{"dim", std::vector<int64_t>{1}}}, "s1",
          false);
  b.addOutput("s02");
  b.addOutput("m0");
  b.addOutput("s1");
  auto g = b.finish();
  Compiler compiler;
  auto cg = compiler.compile(*g);
  Session inputs(*cg);
  const Tensor &xv = inputs.input("x");
  std::vector<std::unique_ptr<FusedCall>> calls;
  const int before = numThreads();
  for (int t : {1, 2, 3}) {
    setNumThreads(t);
    calls.push_back(std::make_unique<FusedCall>(*cg, inputs));
    calls.back()->run(*cg, {}, false);
  }
  setNumThreads(before);
  for (size_t o = 0; o < 3; ++o)
    for (size_t t = 1; t < calls.size(); ++t)
      EXPECT_TRUE(sameBits(calls[0]->out[o], calls[t]->out[o])) << "output " << o;
  // Against sums in double on the host.
  const FusedCall &r = *calls[0];
  for (int64_t j = 0; j < B; ++j) {
    double s = 0, m = -INFINITY;
    for (int64_t i = 0; i < A; ++i)
      for (int64_t k = 0; k < C; ++k) s += xv.get((i * B + j) * C + k);
    EXPECT_NEAR(r.out[0].get(j), s, 1e-4 * (1 + std::fabs(s))) << "s02 " << j;
    for (int64_t k = 0; k < C; k += 97) {
      m = -INFINITY;
      for (int64_t i = 0; i < A; ++i) m = std::max(m, xv.get((i * B + j) * C + k));
      EXPECT_EQ(r.out[1].get(j * C + k), m) << "m0 " << j << " " << k;
    }
  }
  for (int64_t i = 0; i < A; i += 13)
    for (int64_t k = 0; k < C; k += 101) {
      double s = 0;
      for (int64_t j = 0; j < B; ++j) s += xv.get((i * B + j) * C + k);
      EXPECT_NEAR(r.out[2].get(i * C + k), s, 1e-5 * (1 + std::fabs(s))) << "s1";
    }
}
