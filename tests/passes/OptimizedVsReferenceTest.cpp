//===- tests/passes/OptimizedVsReferenceTest.cpp - Same results, faster ---===//
//
// Random joint graphs compiled twice: through the optimization pipeline
// (simplify, const-fold, CSE, fusion, recompute, buffer planning with reuse)
// and through the reference lowering (one kernel and one buffer per node).
// Both are JIT-compiled and run on the same random inputs and seeds, and
// must agree with an interpreter of the unoptimized joint graph (which
// shares no code with codegen); so must the optimized module's
// forward/backward pair, accumulation, and runs on one or two threads.
//
//===----------------------------------------------------------------------===//
#include "codegen/CppEmitter.h"
#include "ir/Error.h"
#include "ir/Verifier.h"
#include "passes/Pipeline.h"
#include "runtime/HostSymbols.h"
#include "runtime/Jit.h"
#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"
#include "tests/passes/GraphInterpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <thread>

namespace gradc {
namespace {

/// Builds random graphs from ops whose gradients are smooth enough on
/// inputs in [-1, 1] that two summation orders agree closely.
class RandomGraph {
public:
  /// `large`: dims big enough for vectorized lanes and specialized loops.
  RandomGraph(uint64_t seed, DType dt, bool large = false)
      : rng_(seed), dt_(dt), large_(large) {}

  std::unique_ptr<Graph> build() {
    g_ = std::make_unique<Graph>("rand");
    Shape base;
    int rank = pick(1, 3);
    for (int i = 0; i < rank; ++i)
      base.push_back(large_ ? pick(20, 70) : pick(1, 2) == 1 ? pick(2, 6) : pick(1, 3));
    int inputs = pick(2, 4);
    for (int i = 0; i < inputs; ++i) {
      Shape s = base;
      if (pick(0, 2) == 0 && !s.empty()) s[pick(0, int(s.size()) - 1)] = 1;
      if (pick(0, 3) == 0 && s.size() > 1) s.erase(s.begin());
      addInput(s, i == 0 || pick(0, 2) > 0);
    }
    int steps = pick(6, 16);
    for (int i = 0; i < steps; ++i) step();
    // A scalar loss of the last value, plus one or two other outputs.
    Node *last = pool_.back();
    g_->addOutput("loss", g_->addNode(OpKind::Sum, {last}, {}, "loss"));
    for (int i = 0, n = pick(1, 2); i < n; ++i) {
      Node *v = pool_[pick(0, int(pool_.size()) - 1)];
      if (v->op == OpKind::Input) continue;
      g_->addOutput("o" + std::to_string(i), v);
    }
    return std::move(g_);
  }

private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  Node *any() { return pool_[pick(0, int(pool_.size()) - 1)]; }
  Node *constant(double v) { return g_->addConstant({dt_, {}}, v); }

  void addInput(const Shape &s, bool grad) {
    AttrMap a;
    if (grad) a["requires_grad"] = true;
    pool_.push_back(g_->addInput("x" + std::to_string(pool_.size()), {dt_, s}, a));
  }

  Node *op(OpKind k, std::vector<Node *> ops, AttrMap attrs = {}) {
    return g_->addNode(k, std::move(ops), std::move(attrs));
  }

  /// One random op on values of the pool; shape errors just skip.
  void step() {
    Node *a = any(), *b = any();
    Node *r = nullptr;
    try {
      switch (pick(0, 25)) {
      case 0: r = op(OpKind::Add, {a, b}); break;
      case 1: r = op(OpKind::Sub, {a, b}); break;
      case 2: r = op(OpKind::Mul, {a, b}); break;
      case 3: // a / (|b| + 1): no division by zero
        r = op(OpKind::Div, {a, op(OpKind::Add, {op(OpKind::Abs, {b}), constant(1)})});
        break;
      case 4: r = op(OpKind::Tanh, {a}); break;
      case 5: r = op(OpKind::Sigmoid, {a}); break;
      case 6: r = op(OpKind::Exp, {op(OpKind::Tanh, {a})}); break;
      case 7: r = op(OpKind::Mul, {a, constant(pick(0, 1) ? 3 : 1)}); break; // x*1 too
      case 8: r = op(OpKind::Pow, {a, constant(2)}); break;
      case 9: r = op(OpKind::Neg, {op(OpKind::Neg, {a})}); break;
      case 10: { // a reduction over some dims
        if (a->type.rank() == 0) return;
        std::vector<int64_t> dims;
        for (int64_t d = 0; d < a->type.rank(); ++d)
          if (pick(0, 1)) dims.push_back(d);
        if (dims.empty()) dims.push_back(0);
        OpKind k = std::vector<OpKind>{OpKind::Sum, OpKind::Mean, OpKind::Max,
                                       OpKind::Min}[pick(0, 3)];
        r = op(k, {a}, {{"dim", dims}, {"keepdim", pick(0, 1) == 1}});
        break;
      }
      case 11: // a broadcast back to a bigger value's shape
        if (b->type.numel() <= a->type.numel()) return;
        r = op(OpKind::Expand, {a}, {{"shape", b->type.shape}});
        break;
      case 12: r = op(OpKind::Reshape, {a}, {{"shape", Shape{a->type.numel()}}}); break;
      case 13:
        if (a->type.rank() < 2) return;
        r = op(OpKind::Transpose, {a}, {{"dim0", int64_t(0)}, {"dim1", int64_t(1)}});
        break;
      case 14: { // a matmul with a new weight
        if (a->type.rank() != 2) return;
        addInput({a->type.shape[1], int64_t(pick(1, 5))}, true);
        r = op(OpKind::Matmul, {a, pool_.back()});
        break;
      }
      case 15:
        if (a->type.rank() == 0) return;
        r = op(pick(0, 1) ? OpKind::Softmax : OpKind::LogSoftmax, {a},
               {{"dim", int64_t(pick(0, int(a->type.rank()) - 1))}});
        break;
      case 16: r = op(OpKind::Where, {op(OpKind::Gt, {a, b}), a, b}); break;
      case 17: // the same subexpression twice, for CSE
        r = op(OpKind::Add, {op(OpKind::Mul, {a, a}), op(OpKind::Mul, {a, a})});
        break;
      default:
        r = indexing(a, b);
        break;
      }
    } catch (const Error &) {
      return;
    }
    if (r) pool_.push_back(r);
  }

  /// An i64 constant of `shape` with indices in [0, size); repeats are
  /// likely, so the backward's scatter-adds sum into the same place.
  Node *indices(const Shape &shape, int64_t size) {
    std::vector<double> v(numElements(shape));
    for (double &x : v) x = pick(0, int(size) - 1);
    return g_->addConstant({DType::I64, shape}, 0, v);
  }

  /// One of the indexing ops or tensor factories (steps 18 and up), with
  /// the values the pool holds; nullptr when `a` does not fit.
  Node *indexing(Node *a, Node *b) {
    const Shape &s = a->type.shape;
    int64_t r = a->type.rank();
    int64_t d = r ? pick(0, int(r) - 1) : 0;
    switch (pick(0, 12)) {
    case 0: { // embedding rows of a 2-D a, maybe with a padding row
      if (r != 2) return nullptr;
      AttrMap at;
      if (pick(0, 1)) at["padding_idx"] = int64_t(pick(0, int(s[0]) - 1));
      return op(OpKind::Embedding, {indices({int64_t(pick(1, 3)), int64_t(pick(1, 4))}, s[0]), a},
                at);
    }
    case 1: // index_select along a dim
      if (!r) return nullptr;
      return op(OpKind::IndexSelect, {a, indices({int64_t(pick(1, 5))}, s[d])}, {{"dim", d}});
    case 2: { // gather along a dim; the index no larger elsewhere
      if (!r) return nullptr;
      Shape is = s;
      is[d] = pick(1, 4);
      return op(OpKind::Gather, {a, indices(is, s[d])}, {{"dim", d}});
    }
    case 3: // select one row, then broadcast back for more ops
      if (!r) return nullptr;
      return op(OpKind::Select, {a}, {{"dim", d}, {"index", int64_t(pick(0, int(s[d]) - 1))}});
    case 4: { // one_hot as a mask: where(one_hot(t) == 1, a, b), t over a's rows
      if (!r) return nullptr;
      Shape ts(s.begin(), s.end() - 1);
      Node *oh = op(OpKind::OneHot, {indices(ts, s.back())}, {{"num_classes", s.back()}});
      Node *mask = op(OpKind::Eq, {oh, g_->addConstant({DType::I64, {}}, 1)});
      return op(OpKind::Where, {mask, a, b});
    }
    case 5: { // a + arange along the last dim
      if (!r) return nullptr;
      double start = pick(-2, 2) * 0.5, step = pick(1, 3) * 0.25;
      Node *ar = op(OpKind::Arange, {}, {{"start", start},
                                         {"end", start + (double(s.back()) - 0.5) * step},
                                         {"step", step}, {"dtype", std::string(dtypeName(dt_))}});
      return op(OpKind::Add, {a, ar});
    }
    case 6: // a * full(a's shape)
      return op(OpKind::Mul, {a, op(OpKind::Full, {}, {{"size", s}, {"fill_value", 1.5},
                                                        {"dtype", std::string(dtypeName(dt_))}})});
    case 7: // a * ones_like(a) + zeros_like(b), broadcast
      return op(OpKind::Add, {op(OpKind::Mul, {a, op(OpKind::OnesLike, {a})}),
                              op(OpKind::ZerosLike, {b})});
    case 8: // a joined to a piece of itself
      if (!r) return nullptr;
      return op(OpKind::Concat, {a, op(OpKind::Slice, {a}, {{"dim", d},
                                                           {"start", int64_t(pick(0, 1))},
                                                           {"step", int64_t(pick(1, 2))}})},
                {{"dim", d}});
    case 9: case 10: // a band of the last two dims
      if (r < 2) return nullptr;
      return op(pick(0, 1) ? OpKind::Triu : OpKind::Tril, {a},
                {{"diagonal", int64_t(pick(-1, 1))}});
    case 11:
      return op(OpKind::MaskedFill, {a, op(OpKind::Gt, {a, constant(0.25)})},
                {{"value", -0.5}});
    case 12:
      if (!r) return nullptr;
      return op(OpKind::Cumsum, {a}, {{"dim", d}});
    }
    return nullptr;
  }

  std::mt19937_64 rng_;
  DType dt_;
  bool large_;
  std::unique_ptr<Graph> g_;
  std::vector<Node *> pool_;
};

Jit &jit() {
  static std::unique_ptr<Jit> j = [] {
    JitOptions o;
    o.hostSymbols = hostSymbols();
    auto r = Jit::create(o);
    if (!r) throw Error(llvm::toString(r.takeError()));
    return std::move(*r);
  }();
  return *j;
}

struct Built {
  GeneratedModule gen;
  std::unique_ptr<JitModule> mod;
  FusedFn fused = nullptr;
  ForwardFn forward = nullptr;
  BackwardFn backward = nullptr;
};

Built build(const Graph &src, bool optimized) {
  auto g = src.clone();
  PassManagerOptions po;
  po.verifyEach = true;
  PassManager pm(po);
  if (optimized) buildPipeline(pm, PipelineStage::Opt);
  else buildReferencePipeline(pm);
  pm.run(*g);
  Built b;
  b.gen = emitCpp(*g, "", optimized ? "opt" : "ref");
  auto m = jit().compile(b.gen.source, optimized ? "opt" : "ref");
  if (!m) throw Error(llvm::toString(m.takeError()));
  b.mod = std::move(*m);
  auto look = [&](const std::string &s) {
    auto p = b.mod->lookup(s);
    if (!p) throw Error(llvm::toString(p.takeError()));
    return *p;
  };
  b.fused = reinterpret_cast<FusedFn>(look(b.gen.info.fusedSymbol()));
  b.forward = reinterpret_cast<ForwardFn>(look(b.gen.info.forwardSymbol()));
  b.backward = reinterpret_cast<BackwardFn>(look(b.gen.info.backwardSymbol()));
  return b;
}

/// Inputs, seeds and result buffers for one module's interface.
struct Call {
  std::vector<Tensor> in, out, grads, seeds;
  std::vector<bool> seeded;

  Call(const ModuleInfo &mi, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    auto random = [&](const TensorType &t) {
      std::vector<double> v(t.numel());
      for (double &x : v) x = u(rng);
      return Tensor::fromDoubles(t.dtype, t.shape, v);
    };
    for (const TensorArg &a : mi.inputs) in.push_back(random(a.type));
    for (const TensorArg &a : mi.outputs) {
      out.emplace_back(a.type.dtype, a.type.shape);
      // Scalar roots get 1, some other seeded outputs a random seed, the
      // rest none (null: zeros).
      bool root = a.hasSeed && (a.type.numel() == 1 || rng() % 2);
      seeded.push_back(root);
      seeds.push_back(a.type.numel() == 1 ? Tensor::fromDoubles(a.type.dtype, a.type.shape, {1.0})
                                          : random(a.type));
    }
    for (size_t i : mi.gradInputs) grads.push_back(random(mi.inputs[i].type));
  }

  std::vector<const void *> inPtrs() const {
    std::vector<const void *> p;
    for (const Tensor &t : in) p.push_back(t.data());
    return p;
  }
  std::vector<void *> outPtrs() {
    std::vector<void *> p;
    for (Tensor &t : out) p.push_back(t.data());
    return p;
  }
  std::vector<void *> gradPtrs() {
    std::vector<void *> p;
    for (size_t j = 0; j < grads.size(); ++j)
      p.push_back(skipGrad.size() > j && skipGrad[j] ? nullptr : grads[j].data());
    return p;
  }
  std::vector<bool> skipGrad; ///< Pass null for these gradients.
  std::vector<const void *> seedPtrs() const {
    std::vector<const void *> p;
    for (size_t k = 0; k < seeds.size(); ++k)
      p.push_back(seeded[k] ? seeds[k].data() : nullptr);
    return p;
  }

  void fused(const Built &b, bool accumulate) {
    AlignedBuffer ws(b.gen.info.fusedWorkspaceBytes);
    auto i = inPtrs(), s = seedPtrs();
    auto o = outPtrs(), g = gradPtrs();
    b.fused(i.data(), o.data(), g.data(), s.data(), accumulate ? 1 : 0, ws.data());
  }

  void split(const Built &b) {
    AlignedBuffer ctx(b.gen.info.contextBytes), ws(b.gen.info.workspaceBytes);
    auto i = inPtrs(), s = seedPtrs();
    auto o = outPtrs(), g = gradPtrs();
    b.forward(i.data(), o.data(), ctx.data(), ws.data());
    b.backward(ctx.data(), g.data(), s.data(), 1, ws.data());
  }
};

void expectClose(const std::vector<std::vector<double>> &want,
                 const std::vector<Tensor> &got, double tol, const std::string &what) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t k = 0; k < want.size(); ++k) {
    const std::vector<double> &a = want[k];
    std::vector<double> b = got[k].toDoubles();
    ASSERT_EQ(a.size(), b.size()) << what << " " << k;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::isnan(a[i]) && std::isnan(b[i])) continue;
      EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::fabs(a[i])))
          << what << " " << k << " element " << i;
    }
  }
}

class OptimizedVsReference : public ::testing::TestWithParam<int> {};

/// The interpreter's results for the inputs and seeds of `c`.
InterpreterResult oracle(const Graph &g, const Call &c) {
  auto joint = g.clone();
  PassManager pm;
  buildPipeline(pm, PipelineStage::Grad);
  pm.run(*joint);
  std::vector<std::vector<double>> in;
  for (const Tensor &t : c.in) in.push_back(t.toDoubles());
  std::vector<std::optional<std::vector<double>>> seeds;
  for (size_t k = 0; k < c.seeds.size(); ++k)
    seeds.push_back(c.seeded[k] ? std::optional(c.seeds[k].toDoubles()) : std::nullopt);
  return interpretGraph(*joint, in, seeds);
}

TEST_P(OptimizedVsReference, SameOutputsAndGradients) {
  uint64_t seed = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(GetParam() + 1);
  DType dt = GetParam() % 4 == 3 ? DType::F32 : DType::F64;
  double tol = dt == DType::F32 ? 1e-3 : 1e-9;
  auto g = RandomGraph(seed, dt, GetParam() % 5 == 4).build();
  verifyGraph(*g);
  SCOPED_TRACE("graph seed " + std::to_string(GetParam()));
  Built opt = build(*g, true), ref = build(*g, false);
  ASSERT_EQ(opt.gen.info.outputs.size(), ref.gen.info.outputs.size());
  ASSERT_EQ(opt.gen.info.gradInputs, ref.gen.info.gradInputs);

  // Fused, overwriting the gradients.
  Call want(ref.gen.info, seed), got(opt.gen.info, seed);
  InterpreterResult truth = oracle(*g, want);
  for (Tensor &t : want.grads) t.fill(0);
  for (Tensor &t : got.grads) t.fill(0);
  want.fused(ref, false);
  got.fused(opt, false);
  expectClose(truth.outputs, want.out, tol, "reference output");
  expectClose(truth.grads, want.grads, tol, "reference gradient");
  expectClose(truth.outputs, got.out, tol, "output");
  expectClose(truth.grads, got.grads, tol, "gradient");

  // Accumulating onto existing gradients adds the same amounts.
  Call acc(opt.gen.info, seed);
  std::vector<std::vector<double>> expect;
  for (size_t j = 0; j < acc.grads.size(); ++j) {
    std::vector<double> a = acc.grads[j].toDoubles();
    for (size_t i = 0; i < a.size(); ++i) a[i] += truth.grads[j][i];
    expect.push_back(a);
  }
  acc.fused(opt, true);
  expectClose(expect, acc.grads, tol, "accumulated gradient");

  // Null gradient pointers skip those gradients and nothing else.
  Call some(opt.gen.info, seed);
  for (size_t j = 0; j < some.grads.size(); ++j) {
    some.skipGrad.push_back(j % 2 == 0);
    some.grads[j].fill(j % 2 == 0 ? 7 : 0);
  }
  some.fused(opt, false);
  expectClose(truth.outputs, some.out, tol, "output with null gradients");
  for (size_t j = 0; j < some.grads.size(); ++j) {
    std::vector<double> want = truth.grads[j];
    if (j % 2 == 0) want.assign(want.size(), 7); // untouched
    std::vector<double> got = some.grads[j].toDoubles();
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(want[i], got[i], tol * std::max(1.0, std::fabs(want[i])))
          << "gradient " << j << " next to null ones, element " << i;
  }

  // The forward/backward pair (context saved in between) agrees too.
  Call split(opt.gen.info, seed);
  for (Tensor &t : split.grads) t.fill(0);
  split.split(opt);
  expectClose(truth.outputs, split.out, tol, "split output");
  expectClose(truth.grads, split.grads, tol, "split gradient");
}

INSTANTIATE_TEST_SUITE_P(RandomGraphs, OptimizedVsReference, ::testing::Range(0, 40));

// The random graphs above reach the indexing ops, the tensor factories and
// their backward helpers, so the comparison covers them.
TEST(OptimizedVsReferenceCoverage, IndexingOpsAreDrawn) {
  std::set<OpKind> seen;
  for (int p = 0; p < 40; ++p) {
    uint64_t seed = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(p + 1);
    auto g = RandomGraph(seed, p % 4 == 3 ? DType::F32 : DType::F64, p % 5 == 4).build();
    PassManager pm;
    buildPipeline(pm, PipelineStage::Grad);
    pm.run(*g);
    for (const auto &n : g->nodes()) seen.insert(n->op);
  }
  for (OpKind k : {OpKind::Embedding, OpKind::IndexSelect, OpKind::Gather, OpKind::Select,
                   OpKind::OneHot, OpKind::Arange, OpKind::Full, OpKind::ZerosLike,
                   OpKind::OnesLike, OpKind::IndexSelectBackward, OpKind::GatherBackward,
                   OpKind::SliceBackward, OpKind::Concat, OpKind::Slice, OpKind::Triu,
                   OpKind::Tril, OpKind::MaskedFill, OpKind::Cumsum})
    EXPECT_TRUE(seen.count(k)) << opInfo(k).name << " is in no random graph";
}

// Corner cases of the loop emitter against the interpreter: an empty
// reduced dim (mean is NaN), NaN in vector-lane max/min, integer sums.
TEST(OptimizedCode, EmptyDimsNaNsAndIntegers) {
  Graph g("edge");
  Node *e = g.addInput("e", {DType::F32, {0, 3}}, {{"requires_grad", true}});
  Node *x = g.addInput("x", {DType::F32, {64, 40}}, {{"requires_grad", true}});
  Node *k = g.addInput("k", {DType::I64, {50}});
  g.addOutput("m", g.addNode(OpKind::Mean, {g.addNode(OpKind::Exp, {e})},
                             {{"dim", std::vector<int64_t>{0}}}));
  g.addOutput("mx", g.addNode(OpKind::Max, {x}, {{"dim", std::vector<int64_t>{1}}}));
  g.addOutput("mn", g.addNode(OpKind::Min, {x}));
  g.addOutput("ks", g.addNode(OpKind::Sum, {g.addNode(OpKind::Mul, {k, k})}));
  g.addOutput("l", g.addNode(OpKind::Sum, {g.addNode(OpKind::Tanh, {x})}, {}, "l"));
  Built b = build(g, true);
  Call c(b.gen.info, 3);
  c.in[1].set(5 * 40 + 7, NAN); // row 5's max and the overall min are NaN
  for (int64_t i = 0; i < 50; ++i) c.in[2].set(i, static_cast<double>(i - 20));
  c.fused(b, false);
  InterpreterResult truth = oracle(g, c);
  expectClose(truth.outputs, c.out, 1e-5, "output");
  std::vector<double> m = c.out[0].toDoubles(), mx = c.out[1].toDoubles();
  EXPECT_TRUE(std::isnan(m[0]));
  EXPECT_TRUE(std::isnan(mx[5]));
  EXPECT_FALSE(std::isnan(mx[4]));
  EXPECT_TRUE(std::isnan(c.out[2].toDoubles()[0]));
}

// A long chain: kernels are bounded, so hundreds of values live in
// workspace between kernels and the buffer plan switches to linear scan
// (over 512 buffers).
TEST(OptimizedCode, LongChainsUseManyBuffers) {
  Graph g("long");
  Node *v = g.addInput("x", {DType::F64, {3}}, {{"requires_grad", true}});
  for (int i = 0; i < 1200; ++i)
    v = g.addNode(i % 2 ? OpKind::Sin : OpKind::Tanh, {v});
  g.addOutput("l", g.addNode(OpKind::Sum, {v}, {}, "l"));
  Built b = build(g, true);
  int workspaceValues = 0;
  size_t at = 0;
  while ((at = b.gen.source.find("(ws + ", at)) != std::string::npos) ++at, ++workspaceValues;
  EXPECT_GT(workspaceValues, 600);
  Call c(b.gen.info, 5);
  c.fused(b, false);
  InterpreterResult truth = oracle(g, c);
  expectClose(truth.outputs, c.out, 1e-9, "output");
  expectClose(truth.grads, c.grads, 1e-9, "gradient");
}

// Large loops run in fixed blocks: one or two threads give the same bits.
TEST(OptimizedCode, ThreadCountDoesNotChangeResults) {
  Graph g("big");
  Node *x = g.addInput("x", {DType::F32, {600, 1000}}, {{"requires_grad", true}});
  Node *y = g.addNode(OpKind::Tanh, {x});
  Node *s = g.addNode(OpKind::Mean, {g.addNode(OpKind::Mul, {y, y})}, {}, "loss");
  Node *r = g.addNode(OpKind::Sum, {y}, {{"dim", std::vector<int64_t>{1}}}, "rows");
  g.addOutput("loss", s);
  g.addOutput("rows", r);
  Built b = build(g, true);
  EXPECT_NE(b.gen.source.find("gradc_parallel_for("), std::string::npos);
  Call one(b.gen.info, 7), two(b.gen.info, 7);
  setNumThreads(1);
  one.fused(b, false);
  setNumThreads(2);
  two.fused(b, false);
  InterpreterResult truth = oracle(g, one);
  expectClose(truth.outputs, one.out, 1e-4, "output");
  expectClose(truth.grads, one.grads, 1e-4, "gradient");
  for (size_t k = 0; k < one.out.size(); ++k)
    EXPECT_EQ(one.out[k].toDoubles(), two.out[k].toDoubles()) << "output " << k;
  for (size_t j = 0; j < one.grads.size(); ++j)
    EXPECT_EQ(one.grads[j].toDoubles(), two.grads[j].toDoubles()) << "gradient " << j;
  setNumThreads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

} // namespace
} // namespace gradc
