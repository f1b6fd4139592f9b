// gradc_mpi_bench: the all-reduce of the MLP's gradients, bucketed by
// gradc::mpi, against one MPI_Allreduce of a flat buffer of the same size.
//
//   mpirun -np 2 gradc_mpi_bench [--iters 300] [--in 784] [--hidden 512]
//                                [--classes 10] [--work 16384]
//
// Compiles the MLP step (784-512-512-10, f32; the same network as
// examples/mlp and gradc_bench), runs it once so every .grad is set, then
// times, round after round with the variants interleaved (so a busy core
// slows them all alike):
//   flat         MPI_Allreduce, in place, on one buffer of all gradients
//   flat_i       MPI_Iallreduce + MPI_Wait on the same buffer
//   sum / mean   GradAllReducer::allReduce() with the default plan
//   mean_posted  GradAllReducer::start() then finish()
//   packed       one packed bucket (every gradient copied in and out)
//   per_tensor   one collective per gradient, in place
// A sample is the slowest rank's time of one call, after a barrier.
// Prints median, 10th and 90th percentile in microseconds, and each
// median over flat's.
//
// Then the overlap: a piece of host work (drawing --work normals, as
// for the next batch's data) alone, the reduction alone, and the two
// together as start(); work; finish(), with and without test() calls
// inside the work (OpenMPI moves a posted collective along only inside
// MPI calls).
//
// A benchmark, not a test: it prints numbers and asserts none.
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Random.h"
#include "runtime/Session.h"
#include "runtime/dist/GradAllReducer.h"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

struct Config {
  int64_t in = 784, hidden = 512, classes = 10, batch = 128;
  int iters = 300;
  int64_t work = 16384; ///< Normals drawn as the overlapped host work.
};

std::unique_ptr<gradc::Graph> mlpGraph(const Config &c) {
  using gradc::BuildOperand;
  using gradc::OpKind;
  gradc::GraphBuilder b("mlp");
  gradc::DType f = gradc::DType::F32;
  gradc::Node *h = b.addInput("x", {f, {c.batch, c.in}}, false, {});
  gradc::Node *t = b.addInput("t", {gradc::DType::I64, {c.batch}}, false, {});
  int64_t sizes[] = {c.in, c.hidden, c.hidden, c.classes};
  for (int l = 0; l < 3; ++l) {
    std::string s = std::to_string(l);
    gradc::Node *w = b.addInput("W" + s, {f, {sizes[l], sizes[l + 1]}}, true, {});
    gradc::Node *bias = b.addInput("b" + s, {f, {sizes[l + 1]}}, true, {});
    h = b.addOp(OpKind::Matmul, {BuildOperand::of(h), BuildOperand::of(w)}, {}, "",
                false);
    h = b.addOp(OpKind::Add, {BuildOperand::of(h), BuildOperand::of(bias)}, {}, "",
                false);
    if (l < 2) h = b.addOp(OpKind::Relu, {BuildOperand::of(h)}, {}, "", false);
  }
  b.addOp(OpKind::CrossEntropy, {BuildOperand::of(h), BuildOperand::of(t)}, {},
          "loss", false);
  b.addOutput("loss");
  return b.finish();
}

/// The slowest rank's time of `fn`, in microseconds, on rank 0.
double timeOnce(const std::function<void()> &fn) {
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  fn();
  double mine = (MPI_Wtime() - t0) * 1e6, slowest = 0;
  MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  return slowest;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[i];
}

struct Variant {
  std::string name;
  std::function<void()> run;
  std::vector<double> us;
};

void report(int rank, std::vector<Variant> &vs, const char *baseline) {
  if (rank != 0) return;
  double base = 0;
  for (auto &v : vs)
    if (v.name == baseline) base = percentile(v.us, 0.5);
  std::printf("%-14s %10s %10s %10s %8s\n", "variant", "median_us", "p10_us",
              "p90_us", "/flat");
  for (auto &v : vs) {
    double med = percentile(v.us, 0.5);
    std::printf("%-14s %10.1f %10.1f %10.1f %8.2f\n", v.name.c_str(), med,
                percentile(v.us, 0.1), percentile(v.us, 0.9),
                base > 0 ? med / base : 0.0);
  }
}

int run(const Config &c) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  gradc::Compiler compiler;
  auto compiled = compiler.compile(*mlpGraph(c));
  gradc::Session s(*compiled);
  gradc::SplitMix64 rng{static_cast<uint64_t>(rank + 1)};
  for (const auto &arg : compiled->info().inputs) {
    gradc::Tensor v(arg.type.dtype, arg.type.shape);
    for (int64_t i = 0; i < v.numel(); ++i)
      v.set(i, arg.type.dtype == gradc::DType::I64
                   ? static_cast<double>(rng.next() % c.classes)
                   : 0.05 * rng.normal());
    s.setInput(arg.name, v);
  }
  s.runFused({{"loss"}}, false);

  using gradc::dist::AllReduceOptions;
  using gradc::dist::GradAllReducer;
  using gradc::dist::ReduceOp;
  AllReduceOptions sumOpts, meanOpts, packedOpts, perTensorOpts;
  sumOpts.op = ReduceOp::Sum;
  packedOpts.bucketBytes = size_t(64) << 20;
  packedOpts.inPlaceBytes = size_t(1) << 40;
  perTensorOpts.bucketBytes = size_t(64) << 20;
  perTensorOpts.inPlaceBytes = 0;
  GradAllReducer sum(s, MPI_COMM_WORLD, sumOpts), mean(s, MPI_COMM_WORLD, meanOpts),
      packed(s, MPI_COMM_WORLD, packedOpts),
      perTensor(s, MPI_COMM_WORLD, perTensorOpts);
  size_t bytes = mean.bytes();
  std::vector<float> flat(bytes / sizeof(float), 1.0f);
  int n = static_cast<int>(flat.size());

  if (rank == 0) {
    std::printf("gradc_mpi_bench: %d ranks, MLP %lld-%lld-%lld-%lld f32, gradients "
                "%zu bytes in %zu tensors; default plan:",
                size, (long long)c.in, (long long)c.hidden, (long long)c.hidden,
                (long long)c.classes, bytes, compiled->info().gradInputs.size());
    for (const auto &b : mean.buckets())
      std::printf(" [%zu B%s]", b.bytes, b.inPlace ? " in place" : " packed");
    std::printf("\n");
  }

  std::vector<Variant> vs = {
      {"flat", [&] {
         MPI_Allreduce(MPI_IN_PLACE, flat.data(), n, MPI_FLOAT, MPI_SUM,
                       MPI_COMM_WORLD);
       }, {}},
      {"flat_i", [&] {
         MPI_Request r;
         MPI_Iallreduce(MPI_IN_PLACE, flat.data(), n, MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD, &r);
         MPI_Wait(&r, MPI_STATUS_IGNORE);
       }, {}},
      {"sum", [&] { sum.allReduce(); }, {}},
      {"mean", [&] { mean.allReduce(); }, {}},
      {"mean_posted", [&] {
         mean.start();
         mean.finish();
       }, {}},
      {"packed", [&] { packed.allReduce(); }, {}},
      {"per_tensor", [&] { perTensor.allReduce(); }, {}},
  };
  // Warm-up: the first calls set up shared-memory segments.
  for (int i = 0; i < 10; ++i)
    for (auto &v : vs) v.run();
  for (int i = 0; i < c.iters; ++i)
    for (auto &v : vs) v.us.push_back(timeOnce(v.run));
  report(rank, vs, "flat");

  // Overlap: the next batch's data drawn while the reduction is posted.
  std::vector<float> next(static_cast<size_t>(c.work));
  gradc::SplitMix64 dataRng{7};
  auto work = [&](GradAllReducer *poke) {
    const size_t chunk = 4096;
    for (size_t i = 0; i < next.size(); ++i) {
      next[i] = static_cast<float>(dataRng.normal());
      if (poke && i % chunk == chunk - 1) poke->test();
    }
  };
  std::vector<Variant> ov = {
      {"work", [&] { work(nullptr); }, {}},
      {"mean", [&] { mean.allReduce(); }, {}},
      {"mean+work", [&] {
         mean.allReduce();
         work(nullptr);
       }, {}},
      {"posted+work", [&] {
         mean.start();
         work(nullptr);
         mean.finish();
       }, {}},
      {"posted+test", [&] {
         mean.start();
         work(&mean);
         mean.finish();
       }, {}},
  };
  for (int i = 0; i < c.iters / 3 + 1; ++i)
    for (auto &v : ov) v.us.push_back(timeOnce(v.run));
  if (rank == 0) std::printf("\noverlap with %zu normals of host work:\n", next.size());
  report(rank, ov, "mean+work");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  try {
    Config c;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (i + 1 >= argc) throw gradc::Error(a + " needs a value");
      long v = std::strtol(argv[++i], nullptr, 10);
      if (v <= 0) throw gradc::Error(a + " needs a positive integer");
      if (a == "--iters") c.iters = static_cast<int>(v);
      else if (a == "--in") c.in = v;
      else if (a == "--hidden") c.hidden = v;
      else if (a == "--classes") c.classes = v;
      else if (a == "--work") c.work = v;
      else throw gradc::Error("unknown option '" + a + "'");
    }
    rc = run(c);
  } catch (const gradc::Error &e) {
    std::fprintf(stderr, "gradc_mpi_bench: error: %s\n", e.what());
    rc = 2;
  }
  MPI_Finalize();
  return rc;
}
