// Data-parallel SGD against one process training on the whole batch, on a
// model no other test uses: a 2-layer tanh network with a mean squared
// error loss,
//   loss = mean((tanh(x W1 + b1) W2 + b2 - y)^2).
// Each rank trains on its rows of every batch and all-reduces the mean;
// since the batch splits into equal shards, the mean of the shard means is
// the whole batch's mean, so the gradients, and the parameters after every
// step, must match the single process's (f64 to 1e-12 relative, f32 to
// 1e-5), and be bitwise identical on every rank. Gradient accumulation over
// micro-batches inside a rank before the reduction must give the same.
#include "frontend/GraphBuilder.h"
#include "runtime/Random.h"
#include "runtime/Session.h"
#include "runtime/dist/GradAllReducer.h"
#include "tests/mpi/MpiTestUtil.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradc {
namespace {

using mpitest::allRanks;
using mpitest::relativeError;
using mpitest::sameOnAllRanks;
using mpitest::worldRank;
using mpitest::worldSize;

constexpr int64_t kIn = 4, kHidden = 6, kOut = 3;
/// The whole batch: divisible by 1, 2, 3, 4 and 6 ranks.
constexpr int64_t kBatch = 24;
constexpr int kSteps = 6;
constexpr double kLr = 0.3;

const char *const kParams[] = {"W1", "b1", "W2", "b2"};

std::unique_ptr<Graph> tanhMse(int64_t rows, DType dt) {
  GraphBuilder b("tanh_mse");
  Node *x = b.addInput("x", {dt, {rows, kIn}}, false, {});
  Node *y = b.addInput("y", {dt, {rows, kOut}}, false, {});
  Node *w1 = b.addInput("W1", {dt, {kIn, kHidden}}, true, {});
  Node *b1 = b.addInput("b1", {dt, {kHidden}}, true, {});
  Node *w2 = b.addInput("W2", {dt, {kHidden, kOut}}, true, {});
  Node *b2 = b.addInput("b2", {dt, {kOut}}, true, {});
  auto op = [&](OpKind k, std::vector<Node *> xs, const std::string &name = "") {
    std::vector<BuildOperand> ops;
    for (Node *n : xs) ops.push_back(BuildOperand::of(n));
    return b.addOp(k, ops, {}, name, false);
  };
  Node *h = op(OpKind::Tanh, {op(OpKind::Add, {op(OpKind::Matmul, {x, w1}), b1})});
  Node *p = op(OpKind::Add, {op(OpKind::Matmul, {h, w2}), b2});
  Node *d = op(OpKind::Sub, {p, y});
  op(OpKind::Mean, {op(OpKind::Mul, {d, d})}, "loss");
  b.addOutput("loss");
  return b.finish();
}

/// Rows [begin, end) of a row-major [rows, cols] tensor.
Tensor rowsOf(const Tensor &t, int64_t begin, int64_t end) {
  int64_t cols = t.shape()[1];
  Tensor r(t.dtype(), {end - begin, cols});
  for (int64_t i = 0; i < (end - begin) * cols; ++i) r.set(i, t.get(begin * cols + i));
  return r;
}

/// SGD: p -= lr * scale * grad, the same arithmetic in both trainers.
void sgd(Session &s, std::vector<Tensor> &params, double scale = 1) {
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor *g = s.grad(kParams[k]);
    ASSERT_NE(g, nullptr);
    for (int64_t i = 0; i < params[k].numel(); ++i)
      params[k].set(i, params[k].get(i) - kLr * scale * g->get(i));
  }
}

/// `micro` > 1: each rank splits its shard into that many micro-batches
/// and accumulates their gradients (the accumulate flag) before the
/// reduction; the step then divides by `micro`.
void trainAndCompare(DType dt, double tol, dist::AllReduceOptions opts, bool posted,
                     int64_t micro = 1) {
  int p = worldSize(), r = worldRank();
  ASSERT_EQ(kBatch % (p * micro), 0)
      << "run with a rank count that divides " << kBatch / micro;
  int64_t shard = kBatch / p, rows = shard / micro;
  auto whole = mpitest::testCompiler().compile(*tanhMse(kBatch, dt));
  auto part = mpitest::testCompiler().compile(*tanhMse(rows, dt));
  Session single(*whole), mine(*part);
  dist::GradAllReducer reducer(mine, MPI_COMM_WORLD, opts);

  // The same initial parameters and data on every rank (one seed).
  SplitMix64 rng{42};
  std::vector<Tensor> ref, ddp;
  for (const char *name : kParams) {
    const TensorType &t = part->info().inputs[part->inputIndex(name)].type;
    Tensor v(dt, t.shape);
    for (int64_t i = 0; i < v.numel(); ++i) v.set(i, 0.8 * (2 * rng.uniform() - 1));
    ref.push_back(mpitest::copyOf(v));
    ddp.push_back(std::move(v));
  }
  for (int step = 0; step < kSteps; ++step) {
    Tensor x(dt, {kBatch, kIn}), y(dt, {kBatch, kOut});
    for (int64_t i = 0; i < x.numel(); ++i) x.set(i, rng.normal());
    for (int64_t i = 0; i < y.numel(); ++i) y.set(i, 0.5 * rng.normal());

    for (size_t k = 0; k < ref.size(); ++k) {
      single.setInput(kParams[k], ref[k]);
      mine.setInput(kParams[k], ddp[k]);
    }
    single.setInput("x", x);
    single.setInput("y", y);
    single.runFused({{"loss"}}, false);
    for (int64_t k = 0; k < micro; ++k) {
      int64_t begin = r * shard + k * rows;
      mine.setInput("x", rowsOf(x, begin, begin + rows));
      mine.setInput("y", rowsOf(y, begin, begin + rows));
      mine.runFused({{"loss"}}, /*accumulate=*/k > 0);
    }
    if (posted) {
      reducer.start();
      reducer.finish();
    } else {
      reducer.allReduce();
    }
    sgd(single, ref);
    sgd(mine, ddp, 1.0 / static_cast<double>(micro));

    for (size_t k = 0; k < ref.size(); ++k) {
      EXPECT_TRUE(sameOnAllRanks(ddp[k]))
          << kParams[k] << " differs between ranks after step " << step;
      double err = relativeError(ddp[k], ref[k]);
      EXPECT_TRUE(allRanks(err <= tol))
          << "rank " << r << ": " << kParams[k] << " after step " << step
          << " is off the single-process result by " << err << " (relative)";
    }
  }
}

TEST(DataParallel, F64MatchesSingleProcess) {
  trainAndCompare(DType::F64, 1e-12, {}, false);
}

TEST(DataParallel, F32MatchesSingleProcess) {
  trainAndCompare(DType::F32, 1e-5, {}, false);
}

TEST(DataParallel, F64PostedInTinyBuckets) {
  // Every gradient in its own in-place pieces of 16 bytes, posted with
  // MPI_Iallreduce: the plan must not change the result.
  dist::AllReduceOptions o;
  o.bucketBytes = 16;
  o.inPlaceBytes = 0;
  trainAndCompare(DType::F64, 1e-12, o, true);
}

TEST(DataParallel, F32PostedAllPacked) {
  dist::AllReduceOptions o;
  o.inPlaceBytes = size_t(1) << 40;
  trainAndCompare(DType::F32, 1e-5, o, true);
}

TEST(DataParallel, F64AccumulatedMicroBatchesThenReduced) {
  // Gradient accumulation inside each rank, then one reduction per step.
  trainAndCompare(DType::F64, 1e-12, {}, false, /*micro=*/2);
}

} // namespace
} // namespace gradc
