// GradAllReducer on gradients of known values: rank r's gradient of input
// k at element i is (r + 1) * (i + 1 + k), so over p ranks the sum is
// p (p + 1) / 2 * (i + 1 + k) and the mean (p + 1) / 2 * (i + 1 + k), exact
// in f32 and f64 for the sizes used here. Buckets are planned several ways
// (packed, in place, split in pieces), and misuse must throw on every rank
// instead of hanging.
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Session.h"
#include "runtime/dist/GradAllReducer.h"
#include "tests/mpi/MpiTestUtil.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradc {
namespace {

using dist::AllReduceOptions;
using dist::GradAllReducer;
using dist::ReduceOp;
using mpitest::allRanks;
using mpitest::worldRank;
using mpitest::worldSize;

/// One parameter of the test graph: name, dtype, element count.
struct Param {
  std::string name;
  DType dtype;
  int64_t numel;
};

/// Small and large f32 and f64 parameters: a small one of each dtype is
/// packed by default, and the large ones (over 256 KiB) go in place.
const std::vector<Param> &params() {
  static const std::vector<Param> ps = {{"a", DType::F32, 5},
                                        {"big", DType::F32, 70000},
                                        {"c", DType::F64, 3},
                                        {"d", DType::F64, 40000},
                                        {"e", DType::F32, 7}};
  return ps;
}

/// l32 = sum over f32 params of sum(w * k_w), l64 likewise for f64:
/// d l / d w = k_w, an input the test sets.
std::unique_ptr<Graph> knownGradGraph() {
  GraphBuilder b("known_grads");
  Node *sums[2] = {nullptr, nullptr};
  for (const Param &p : params()) {
    Node *w = b.addInput(p.name, {p.dtype, {p.numel}}, true, {});
    Node *k = b.addInput("k_" + p.name, {p.dtype, {p.numel}}, false, {});
    Node *wk = b.addOp(OpKind::Mul, {BuildOperand::of(w), BuildOperand::of(k)}, {},
                       "", false);
    Node *s = b.addOp(OpKind::Sum, {BuildOperand::of(wk)}, {}, "", false);
    Node *&acc = sums[p.dtype == DType::F64 ? 1 : 0];
    acc = acc ? b.addOp(OpKind::Add, {BuildOperand::of(acc), BuildOperand::of(s)},
                        {}, "", false)
              : s;
  }
  b.addOp(OpKind::Add, {BuildOperand::of(sums[0]), BuildOperand::number(0)}, {},
          "l32", false);
  b.addOp(OpKind::Add, {BuildOperand::of(sums[1]), BuildOperand::number(0)}, {},
          "l64", false);
  b.addOutput("l32");
  b.addOutput("l64");
  return b.finish();
}

const CompiledGraph &knownGradCompiled() {
  static std::unique_ptr<CompiledGraph> g =
      mpitest::testCompiler().compile(*knownGradGraph());
  return *g;
}

/// A session whose .grad of parameter k holds (rank + 1) * (i + 1 + k).
std::unique_ptr<Session> sessionWithKnownGrads() {
  auto s = std::make_unique<Session>(knownGradCompiled());
  int r = worldRank();
  for (size_t k = 0; k < params().size(); ++k) {
    const Param &p = params()[k];
    Tensor w(p.dtype, {p.numel}), f(p.dtype, {p.numel});
    for (int64_t i = 0; i < p.numel; ++i)
      f.set(i, (r + 1.0) * static_cast<double>(i + 1 + static_cast<int64_t>(k)));
    s->setInput(p.name, w);
    s->setInput("k_" + p.name, f);
  }
  s->runFused({{"l32"}, {"l64"}}, false);
  return s;
}

/// Every .grad equals the expected sum (or mean) exactly.
bool gradsAreReduced(const Session &s, ReduceOp op) {
  double p = worldSize();
  double factor = op == ReduceOp::Sum ? p * (p + 1) / 2 : (p + 1) / 2;
  bool ok = true;
  for (size_t k = 0; k < params().size(); ++k) {
    const Tensor *g = s.grad(params()[k].name);
    for (int64_t i = 0; g && i < g->numel() && ok; ++i) {
      double want = factor * static_cast<double>(i + 1 + static_cast<int64_t>(k));
      if (g->get(i) != want) {
        ADD_FAILURE() << "rank " << worldRank() << ": " << params()[k].name << "["
                      << i << "] = " << g->get(i) << ", expected " << want;
        ok = false;
      }
    }
    ok = ok && g;
  }
  return ok;
}

/// Reduces with `opts`, blocking or posted, and checks the result.
void reduceAndCheck(AllReduceOptions opts, bool posted) {
  auto s = sessionWithKnownGrads();
  GradAllReducer reducer(*s, MPI_COMM_WORLD, opts);
  EXPECT_EQ(reducer.size(), worldSize());
  EXPECT_EQ(reducer.rank(), worldRank());
  size_t want = 0;
  for (const Param &p : params()) want += p.numel * dtypeSize(p.dtype);
  EXPECT_EQ(reducer.bytes(), want);
  if (posted) {
    reducer.start();
    while (!reducer.test()) {
    }
    reducer.finish();
  } else {
    reducer.allReduce();
  }
  EXPECT_TRUE(allRanks(gradsAreReduced(*s, opts.op)));
}

TEST(GradAllReducer, MeanBlocking) { reduceAndCheck({}, false); }

TEST(GradAllReducer, MeanPosted) { reduceAndCheck({}, true); }

TEST(GradAllReducer, SumBlockingAndPosted) {
  AllReduceOptions o;
  o.op = ReduceOp::Sum;
  reduceAndCheck(o, false);
  reduceAndCheck(o, true);
}

TEST(GradAllReducer, EverythingInPlaceInSmallPieces) {
  AllReduceOptions o;
  o.bucketBytes = 4096;
  o.inPlaceBytes = 0;
  reduceAndCheck(o, false);
  reduceAndCheck(o, true);
}

TEST(GradAllReducer, EverythingPackedInOneBucketPerDtype) {
  AllReduceOptions o;
  o.bucketBytes = size_t(64) << 20;
  o.inPlaceBytes = size_t(1) << 40;
  auto s = sessionWithKnownGrads();
  GradAllReducer reducer(*s, MPI_COMM_WORLD, o);
  ASSERT_EQ(reducer.buckets().size(), 2u);
  for (const auto &b : reducer.buckets()) EXPECT_FALSE(b.inPlace);
  reduceAndCheck(o, false);
  reduceAndCheck(o, true);
}

TEST(GradAllReducer, DefaultPlan) {
  // Reverse input order; "big" and "d" (over 256 KiB) in place; the small
  // f32 gradients e and a share one bucket, c has one of its own.
  auto s = sessionWithKnownGrads();
  GradAllReducer reducer(*s, MPI_COMM_WORLD);
  const auto &b = reducer.buckets();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].grads, std::vector<std::string>{"d"});
  EXPECT_TRUE(b[0].inPlace);
  EXPECT_EQ(b[0].dtype, DType::F64);
  EXPECT_EQ(b[1].grads, std::vector<std::string>{"big"});
  EXPECT_TRUE(b[1].inPlace);
  EXPECT_EQ(b[2].grads, (std::vector<std::string>{"e", "a"}));
  EXPECT_FALSE(b[2].inPlace);
  EXPECT_EQ(b[2].bytes, 12u * 4u);
  EXPECT_EQ(b[3].grads, std::vector<std::string>{"c"});
  EXPECT_EQ(b[3].dtype, DType::F64);
}

TEST(GradAllReducer, ReusedAcrossSteps) {
  // The same reducer reduces fresh gradients every step.
  auto s = sessionWithKnownGrads();
  GradAllReducer reducer(*s, MPI_COMM_WORLD);
  for (int step = 0; step < 3; ++step) {
    s->runFused({{"l32"}, {"l64"}}, false);
    if (step % 2) reducer.allReduce();
    else {
      reducer.start();
      reducer.finish();
    }
    EXPECT_TRUE(allRanks(gradsAreReduced(*s, ReduceOp::Mean)));
  }
}

TEST(GradAllReducer, NoneGradIsAnErrorOnEveryRank) {
  Session s(knownGradCompiled());
  GradAllReducer reducer(s, MPI_COMM_WORLD);
  try {
    reducer.allReduce();
    ADD_FAILURE() << "allReduce() with None gradients did not throw";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("is None"), std::string::npos) << e.what();
  }
  EXPECT_THROW(reducer.start(), Error);
  EXPECT_THROW(reducer.finish(), Error);
}

TEST(GradAllReducer, MisuseOfStartAndFinish) {
  auto s = sessionWithKnownGrads();
  GradAllReducer reducer(*s, MPI_COMM_WORLD);
  EXPECT_THROW(reducer.finish(), Error);
  reducer.start();
  EXPECT_THROW(reducer.start(), Error);
  EXPECT_THROW(reducer.allReduce(), Error);
  reducer.finish();
  EXPECT_TRUE(allRanks(gradsAreReduced(*s, ReduceOp::Mean)));
}

TEST(GradAllReducer, RanksWithDifferentGraphsAreRejected) {
  // Rank 0 reduces the known-gradient graph, the others a different one:
  // the constructor must throw on every rank rather than pair collectives
  // of different sizes.
  GraphBuilder b("other");
  Node *w = b.addInput("w", {DType::F32, {3}}, true, {});
  b.addOp(OpKind::Sum, {BuildOperand::of(w)}, {}, "l", false);
  b.addOutput("l");
  auto other = mpitest::testCompiler().compile(*b.finish());
  Session mine(worldRank() == 0 ? knownGradCompiled() : *other);
  if (worldSize() < 2) GTEST_SKIP() << "needs 2 ranks";
  try {
    GradAllReducer reducer(mine, MPI_COMM_WORLD);
    ADD_FAILURE() << "different layouts were accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("disagree"), std::string::npos) << e.what();
  }
}

TEST(GradAllReducer, DifferentOptionsAreRejected) {
  auto s = sessionWithKnownGrads();
  AllReduceOptions o;
  if (worldRank() == 0) o.op = ReduceOp::Sum;
  if (worldSize() < 2) GTEST_SKIP() << "needs 2 ranks";
  EXPECT_THROW(GradAllReducer(*s, MPI_COMM_WORLD, o), Error);
}

} // namespace
} // namespace gradc
