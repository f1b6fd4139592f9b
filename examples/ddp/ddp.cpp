// ddp: train the MLP classifier of examples/mlp data-parallel over MPI.
//
//   mpirun -np 2 ddp [--in 784] [--hidden 512] [--layers 2] [--classes 10]
//                    [--batch 128] [--steps 50] [--lr 0.05] [--seed 1]
//                    [--f64] [--sum] [--overlap] [--bucket-kib 4096]
//                    [--require-drop F]
//
// Every rank compiles the same step for its shard of the batch
// (--batch / ranks samples), starts from the parameters of rank 0 (sent
// with MPI_Bcast, as PyTorch DDP does), and repeats:
//   1. forward + backward of its shard through the fused entry point,
//   2. gradc::dist::GradAllReducer: .grad = the mean over the ranks, which
//      is the gradient of the whole batch's mean loss,
//   3. the same SGD step on every rank, so the parameters stay identical.
// Step 2 calls allReduce(); with --overlap it is posted instead (start())
// and the next batch is drawn before finish(), so the data generation
// runs while the reduction is in flight. On one machine with OpenMPI 4.1
// the blocking call was the faster of the two (docs/scaling.md).
// --sum sums the gradients instead of averaging them (the SGD step then
// divides by the ranks).
//
// The data is synthetic, as in examples/mlp: one random prototype per
// class, a sample is its prototype plus N(0, 1.5^2) noise. Every rank draws
// the whole batch from the same seed and keeps its rows, so a run on any
// number of ranks sees the same batches as one process (a real loader would
// read only its shard). Rank 0 prints the batch's loss (the mean of the
// ranks' shard losses), the time per step spent computing and reducing,
// and a checksum of the final parameters that does not depend on the
// number of ranks beyond rounding.
//
// Ranks that share a machine split its cores between them (each uses
// cores / ranks-on-the-machine threads) unless GRADC_NUM_THREADS is set.
//
// --require-drop F exits 1 unless the last loss is below F times the first.
#include "../common/ExampleOptions.h"
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Random.h"
#include "runtime/Session.h"
#include "runtime/ThreadPool.h"
#include "runtime/dist/GradAllReducer.h"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Config {
  int64_t in = 784, hidden = 512, layers = 2, classes = 10, batch = 128,
          steps = 50, seed = 1, bucketKib = 4096;
  double lr = 0.05, requireDrop = 0;
  bool f64 = false, sum = false, overlap = false;
};

Config parse(int argc, char **argv) {
  Config c;
  example::Options()
      .integer("--in", c.in).integer("--hidden", c.hidden)
      .integer("--layers", c.layers).integer("--classes", c.classes)
      .integer("--batch", c.batch).integer("--steps", c.steps)
      .integer("--seed", c.seed).integer("--bucket-kib", c.bucketKib)
      .real("--lr", c.lr).real("--require-drop", c.requireDrop)
      .flag("--f64", c.f64).flag("--sum", c.sum).flag("--overlap", c.overlap)
      .parse(argc, argv);
  return c;
}

/// The parameters' names and shapes, layer by layer: W0 b0 W1 b1 ...
std::vector<std::pair<std::string, gradc::Shape>> parameters(const Config &c) {
  std::vector<std::pair<std::string, gradc::Shape>> p;
  int64_t fanIn = c.in;
  for (int64_t l = 0; l <= c.layers; ++l) {
    int64_t out = l == c.layers ? c.classes : c.hidden;
    p.push_back({"W" + std::to_string(l), {fanIn, out}});
    p.push_back({"b" + std::to_string(l), {out}});
    fanIn = out;
  }
  return p;
}

/// The training graph of one shard of `rows` samples:
/// h = relu(x W0 + b0), ..., loss = cross_entropy(h W + b, t).
std::unique_ptr<gradc::Graph> buildGraph(const Config &c, gradc::DType dt,
                                         int64_t rows) {
  using gradc::BuildOperand;
  using gradc::OpKind;
  gradc::GraphBuilder b("ddp_mlp");
  gradc::Node *h = b.addInput("x", {dt, {rows, c.in}}, false, {});
  gradc::Node *t = b.addInput("t", {gradc::DType::I64, {rows}}, false, {});
  std::vector<gradc::Node *> params;
  for (const auto &p : parameters(c))
    params.push_back(b.addInput(p.first, {dt, p.second}, true, {}));
  for (int64_t l = 0; l <= c.layers; ++l) {
    gradc::Node *z = b.addOp(OpKind::Matmul,
                             {BuildOperand::of(h), BuildOperand::of(params[2 * l])},
                             {}, "", false);
    z = b.addOp(OpKind::Add, {BuildOperand::of(z), BuildOperand::of(params[2 * l + 1])},
                {}, "", false);
    h = l == c.layers ? z : b.addOp(OpKind::Relu, {BuildOperand::of(z)}, {}, "", false);
  }
  b.addOp(OpKind::CrossEntropy, {BuildOperand::of(h), BuildOperand::of(t)}, {},
          "loss", false);
  b.addOutput("loss");
  return b.finish();
}

/// A batch of synthetic samples; this rank keeps rows [first, first + rows).
struct Batch {
  gradc::Tensor x, t;
};

void drawBatch(const Config &c, gradc::SplitMix64 &rng,
               const std::vector<std::vector<double>> &proto, int64_t first,
               Batch &out) {
  int64_t rows = out.t.numel();
  for (int64_t i = 0; i < c.batch; ++i) {
    int64_t cls = static_cast<int64_t>(rng.next() % static_cast<uint64_t>(c.classes));
    bool mine = i >= first && i < first + rows;
    if (mine) out.t.set(i - first, static_cast<double>(cls));
    for (int64_t j = 0; j < c.in; ++j) {
      // Every rank draws every sample, so the stream stays in step.
      double v = proto[cls][j] + 1.5 * rng.normal();
      if (mine) out.x.set((i - first) * c.in + j, v);
    }
  }
}

int run(const Config &c) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (c.batch % ranks)
    throw gradc::Error("--batch " + std::to_string(c.batch) +
                       " does not split into " + std::to_string(ranks) +
                       " equal shards");
  int64_t rows = c.batch / ranks;
  // Ranks on one machine share its cores: unless GRADC_NUM_THREADS says
  // otherwise, each takes its share, since more threads than cores (BLAS
  // threads spin while they wait) slow every rank down.
  if (!std::getenv("GRADC_NUM_THREADS")) {
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL,
                        &local);
    int here = 1;
    MPI_Comm_size(local, &here);
    MPI_Comm_free(&local);
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    gradc::setNumThreads(std::max(1, cores / here));
  }
  gradc::DType dt = c.f64 ? gradc::DType::F64 : gradc::DType::F32;
  gradc::Compiler compiler;
  auto compiled = compiler.compile(*buildGraph(c, dt, rows));
  gradc::Session s(*compiled);

  gradc::dist::AllReduceOptions opts;
  opts.op = c.sum ? gradc::dist::ReduceOp::Sum : gradc::dist::ReduceOp::Mean;
  opts.bucketBytes = static_cast<size_t>(c.bucketKib) << 10;
  gradc::dist::GradAllReducer reducer(s, MPI_COMM_WORLD, opts);
  if (rank == 0)
    std::printf("ddp: %d ranks x %lld samples, mlp %lld-%lld(x%lld)-%lld %s, "
                "%zu gradient bytes in %zu collectives per step (%s)\n",
                ranks, (long long)rows, (long long)c.in, (long long)c.hidden,
                (long long)c.layers, (long long)c.classes, c.f64 ? "f64" : "f32",
                reducer.bytes(), reducer.buckets().size(),
                c.overlap ? "posted, overlapping the next batch" : "blocking");

  // Parameters: nn.Linear's init on rank 0, then broadcast, so every rank
  // starts from the same point whatever its own random state.
  gradc::SplitMix64 rng{static_cast<uint64_t>(c.seed)};
  std::vector<std::pair<std::string, gradc::Tensor>> params;
  int64_t fanIn = c.in;
  for (const auto &p : parameters(c)) {
    gradc::Tensor w(dt, p.second);
    if (p.first[0] == 'W') fanIn = p.second[0]; // a bias follows its weight
    double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    for (int64_t i = 0; i < w.numel(); ++i) w.set(i, bound * (2 * rng.uniform() - 1));
    MPI_Bcast(w.data(), static_cast<int>(w.numel()), c.f64 ? MPI_DOUBLE : MPI_FLOAT,
              0, MPI_COMM_WORLD);
    params.push_back({p.first, std::move(w)});
  }
  std::vector<std::vector<double>> proto(c.classes, std::vector<double>(c.in));
  for (auto &p : proto)
    for (double &v : p) v = rng.normal();

  Batch cur{gradc::Tensor(dt, {rows, c.in}), gradc::Tensor(gradc::DType::I64, {rows})};
  Batch next{gradc::Tensor(dt, {rows, c.in}), gradc::Tensor(gradc::DType::I64, {rows})};
  drawBatch(c, rng, proto, rank * rows, cur);
  std::vector<double> losses;
  double computeS = 0, reduceS = 0;
  for (int64_t step = 0; step < c.steps; ++step) {
    double t0 = MPI_Wtime();
    for (const auto &p : params) s.setInput(p.first, p.second);
    s.setInput("x", cur.x);
    s.setInput("t", cur.t);
    s.runFused({{"loss"}}, false);
    double t1 = MPI_Wtime();
    if (!c.overlap) {
      reducer.allReduce();
      if (step + 1 < c.steps) drawBatch(c, rng, proto, rank * rows, next);
    } else {
      // The reduction is in flight while this rank draws the next batch.
      reducer.start();
      if (step + 1 < c.steps) drawBatch(c, rng, proto, rank * rows, next);
      reducer.finish();
    }
    double t2 = MPI_Wtime();
    double loss = s.output("loss").get(0) / ranks, total = 0;
    MPI_Allreduce(&loss, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double scale = c.sum ? 1.0 / ranks : 1.0;
    for (auto &p : params) {
      const gradc::Tensor *g = s.grad(p.first);
      for (int64_t i = 0; i < p.second.numel(); ++i)
        p.second.set(i, p.second.get(i) - c.lr * scale * g->get(i));
    }
    std::swap(cur, next);
    computeS += t1 - t0;
    reduceS += t2 - t1;
    losses.push_back(total);
    if (rank == 0) std::printf("step %3lld  loss %.6f\n", (long long)step, total);
  }

  double checksum = 0;
  for (const auto &p : params)
    for (int64_t i = 0; i < p.second.numel(); ++i)
      checksum += p.second.get(i) * static_cast<double>(i % 7 + 1);
  if (rank == 0) {
    std::printf("per step: compute %.2f ms, reduce%s %.2f ms (rank 0)\n",
                1e3 * computeS / c.steps, c.overlap ? " (with next batch)" : " + next batch",
                1e3 * reduceS / c.steps);
    std::printf("parameter checksum %.10g\n", checksum);
  }
  if (c.requireDrop > 0) {
    bool ok = losses.back() < c.requireDrop * losses.front();
    if (rank == 0)
      std::printf("loss %.6f -> %.6f: %s\n", losses.front(), losses.back(),
                  ok ? "falls" : "does not fall enough");
    return ok ? 0 : 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  try {
    rc = run(parse(argc, argv));
  } catch (const gradc::Error &e) {
    std::fprintf(stderr, "ddp: error: %s\n", e.what());
    rc = 2;
  }
  MPI_Finalize();
  return rc;
}
