//===- bench/gradc_bench.cpp - Google Benchmark of the fused step ---------===//
//
// The workloads of docs/performance.md, each timed the way a training loop
// calls the compiled step: buffers and pointer arrays prepared once, one
// call of NAME_fwd_bwd per iteration. The limits are timed alongside: a
// memcpy of the chain's 16 MiB and the MLP's eight GEMMs through OpenBLAS.
//
//   build/bin/gradc_bench [--benchmark_filter=...] [--benchmark_repetitions=N]
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" void cblas_sgemm(int, int, int, int, int, int, float, const float *,
                            int, const float *, int, float, float *, int);

namespace {

using namespace gradc;

std::string path(const char *rel) { return std::string(GRADC_SOURCE_DIR) + "/" + rel; }

const Compiler &compiler() {
  static Compiler c([] {
    CompileOptions o;
    o.useCache = false; // time real compiles
    return o;
  }());
  return c;
}

/// A compiled graph with everything one fused call needs, prepared once.
struct Step {
  std::unique_ptr<Graph> graph;
  std::unique_ptr<CompiledGraph> compiled;
  std::unique_ptr<Session> session;
  std::vector<Tensor> outputs, grads, ones;
  AlignedBuffer workspace;
  std::vector<const void *> in, seeds;
  std::vector<void *> out, gradPtrs;

  explicit Step(const char *file) {
    graph = loadGraphFile(path(file));
    compiled = compiler().compile(*graph);
    session = std::make_unique<Session>(*compiled);
    const ModuleInfo &mi = compiled->info();
    workspace = AlignedBuffer(mi.fusedWorkspaceBytes);
    for (const TensorArg &a : mi.inputs) in.push_back(session->input(a.name).data());
    for (const TensorArg &a : mi.outputs) outputs.emplace_back(a.type.dtype, a.type.shape);
    for (Tensor &t : outputs) out.push_back(t.data());
    for (size_t i : mi.gradInputs)
      grads.emplace_back(mi.inputs[i].type.dtype, mi.inputs[i].type.shape);
    for (Tensor &t : grads) gradPtrs.push_back(t.data());
    // Every scalar output that requires grad is a root with seed 1.
    ones.reserve(mi.outputs.size());
    for (const TensorArg &a : mi.outputs) {
      ones.emplace_back(a.type.dtype, a.type.shape);
      ones.back().fill(1);
      seeds.push_back(a.requiresGrad && a.type.numel() == 1 ? ones.back().data() : nullptr);
    }
  }

  void run() {
    // The benchmark graphs have no data-dependent checks: the status is 0.
    if (compiled->fused()(in.data(), out.data(), gradPtrs.data(), seeds.data(), 0,
                          workspace.data()))
      throw std::runtime_error("the compiled step reported an index out of range");
  }
};

void fusedStep(benchmark::State &state, const char *file) {
  static std::map<std::string, std::unique_ptr<Step>> steps;
  auto &s = steps[file];
  if (!s) s = std::make_unique<Step>(file);
  for (auto _ : state) {
    s->run();
    benchmark::ClobberMemory();
  }
  state.counters["workspace_bytes"] =
      static_cast<double>(s->compiled->info().fusedWorkspaceBytes);
}

void compile(benchmark::State &state, const char *file) {
  auto g = loadGraphFile(path(file));
  for (auto _ : state) benchmark::DoNotOptimize(compiler().compile(*g));
}

// (a) the seed chain and its limit: copying the same 16 MiB.
void BM_Memcpy16MiB(benchmark::State &state) {
  size_t n = 16u << 20;
  AlignedBuffer a(n), b(n);
  std::memset(a.data(), 1, n);
  std::memset(b.data(), 0, n);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 2 * n);
}

// (c) the MLP's limit: its eight GEMMs, same shapes and transposes.
void BM_MlpGemmSum(benchmark::State &state) {
  struct G { int m, n, k, ta, tb; };
  const G gemms[] = {{128, 512, 784, 111, 111}, {128, 512, 512, 111, 111},
                     {128, 10, 512, 111, 111},  {128, 512, 10, 111, 112},
                     {512, 10, 128, 112, 111},  {128, 512, 512, 111, 112},
                     {512, 512, 128, 112, 111}, {784, 512, 128, 112, 111}};
  std::vector<float> a(784 * 512, 0.01f), b(784 * 512, 0.02f), c(784 * 512);
  for (auto _ : state) {
    for (const G &g : gemms)
      cblas_sgemm(101, g.ta, g.tb, g.m, g.n, g.k, 1.0f, a.data(), g.ta == 111 ? g.k : g.m,
                  b.data(), g.tb == 111 ? g.n : g.k, 0.0f, c.data(), g.n);
    benchmark::ClobberMemory();
  }
}

} // namespace

BENCHMARK_CAPTURE(fusedStep, chain4m, "bench/graphs/chain4m.json")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memcpy16MiB)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fusedStep, seed, "examples/seed.json")->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(fusedStep, mlp, "bench/graphs/mlp.json")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MlpGemmSum)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(compile, chain4m, "bench/graphs/chain4m.json")
    ->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK_CAPTURE(compile, seed, "examples/seed.json")
    ->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK_CAPTURE(compile, mlp, "bench/graphs/mlp.json")
    ->Unit(benchmark::kMillisecond)->Iterations(5);

BENCHMARK_MAIN();
