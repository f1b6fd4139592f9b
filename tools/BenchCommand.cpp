//===- tools/BenchCommand.cpp - gradc bench -------------------------------===//
//
// Times the fused entry point the way a training loop calls it: the input,
// output, gradient and seed pointer arrays and the workspace are prepared
// once, so a timed call is exactly one call of NAME_fwd_bwd (no allocation,
// no checks). Calls too short for the clock are timed in batches: each
// sample is the mean of a batch lasting at least ~20 us.
//
//===----------------------------------------------------------------------===//
#include "ir/Error.h"
#include "runtime/Blas.h"
#include "runtime/ThreadPool.h"
#include "codegen/EntryStatus.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/RunSetup.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sys/resource.h>

namespace gradc {

static const char *kBenchHelp =
    R"HELP(usage: gradc bench GRAPH [--inputs FILE] [--seeds FILE] [--backward NAME...]
                   [--iters N] [--threads N] [-O0..-O3] [--no-cache]
                   [--compile-threads N] [--jvp]
                   [--jacobian OUT --wrt IN [--mode rev|fwd|auto]]
                   [--hessian OUT --wrt IN] [--format json]

JIT-compiles GRAPH and times the fused forward+backward entry point with
the same roots as 'gradc run' (gradients overwritten, as after
'x.grad = None'). Prints (normative):
  {"compile_ms": F, "run_ns": {"min": F, "median": F, "max": F},
   "workspace_bytes": N, "peak_rss_bytes": N}
plus "iters" (samples), "batch" (calls per sample), "threads", "sgemm"
(the library f32 matrix products ran on: "oneDNN", or "OpenBLAS" when
oneDNN is missing or GRADC_GEMM=openblas; "" if the graph has none) and
"compile_detail_ms" (passes, codegen, clang, jit; cache_hit; pair).
compile_ms is the time from the graph to a callable fused entry point:
the pipeline, codegen, and clang plus ORC on its translation unit. The
forward/backward pair is a second unit, compiled after it on another
thread; "pair" is its own time, and the timed calls start after it.
run_ns is per call; a sample times a batch of calls when one call is too
short for the clock. --iters N takes N samples (default: about 0.5 s).
--threads N bounds the threads of large loops and GEMM calls (default:
GRADC_NUM_THREADS, else every hardware thread). -O0..-O3: optimization
level of the generated code (default -O1).
compile_ms is a cache hit's time when the code is in the compile cache
($GRADC_CACHE_DIR); --no-cache measures a full compile.
--compile-threads N: clang compiles a large graph's fused unit in up to N
parts at once (default: one per hardware thread; 1: one unit); "parts" in
compile_detail_ms says how many it used.
--jvp times forward mode instead: the graph's JVP (passes/ForwardMode), one
entry point computing every output and its tangent, with zero tangents
unless --inputs gives "tangent:NAME" values. On a graph whose outputs are
gradients (grad nodes) that is a Hessian-vector product, forward over
reverse.
--jacobian OUT --wrt IN / --hessian OUT --wrt IN time the one batched
sweep that 'gradc jacobian' / 'gradc hessian' compile (its stacked unit
vectors left at zeros, which costs the same).
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32); the others come from the shapes in --inputs
)HELP";

namespace {

double nowNs() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

long parseCount(const Args &args, const char *flag, long def, long lo, long hi) {
  if (!args.has(flag)) return def;
  long v = 0;
  try {
    size_t used = 0;
    v = std::stol(args.get(flag), &used);
    if (used != args.get(flag).size()) throw Error("");
  } catch (...) {
    throw Error(std::string(flag) + " needs an integer, got '" + args.get(flag) + "'");
  }
  if (v < lo || v > hi)
    throw Error(std::string(flag) + " must be in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return v;
}

/// The buffers of one fused call, prepared once.
struct CallBuffers {
  std::vector<Tensor> outputs, grads, seeds;
  AlignedBuffer workspace;
  std::vector<const void *> in, seedPtrs;
  std::vector<void *> out, gradPtrs;
};

CallBuffers prepareCall(const RunSetup &r) {
  const CompiledGraph &cg = *r.compiled;
  const ModuleInfo &mi = cg.info();
  CallBuffers b;
  b.workspace = AlignedBuffer(mi.fusedWorkspaceBytes);
  for (const TensorArg &a : mi.inputs) b.in.push_back(r.session->input(a.name).data());
  for (const TensorArg &a : mi.outputs) b.outputs.emplace_back(a.type.dtype, a.type.shape);
  for (Tensor &t : b.outputs) b.out.push_back(t.data());
  for (size_t i : mi.gradInputs)
    b.grads.emplace_back(mi.inputs[i].type.dtype, mi.inputs[i].type.shape);
  for (Tensor &t : b.grads) b.gradPtrs.push_back(t.data());
  // Seeds: what Session would pass (ones for a scalar root without one).
  b.seeds.reserve(mi.outputs.size());
  b.seedPtrs.assign(mi.outputs.size(), nullptr);
  for (const Root &root : r.roots) {
    int k = cg.outputIndex(root.output);
    if (k < 0) throw Error("the graph has no output named '" + root.output + "'");
    const TensorArg &o = mi.outputs[k];
    if (!o.requiresGrad)
      throw Error("output '" + root.output + "' does not require grad, so it "
                  "cannot be a backward root");
    if (root.seed) {
      b.seeds.push_back(Tensor::fromDoubles(root.seed->dtype(),
                                            root.seed->shape(),
                                            root.seed->toDoubles()));
    } else {
      if (o.type.numel() != 1)
        throw Error("grad can be implicitly created only for scalar outputs "
                    "(output '" + root.output + "'; pass --seeds)");
      b.seeds.emplace_back(o.type.dtype, o.type.shape);
      b.seeds.back().fill(1);
    }
    b.seedPtrs[k] = b.seeds.back().data();
  }
  return b;
}

} // namespace

int benchCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"--inputs", "--seeds", "--iters", "--format", "--threads",
                    "--compile-threads", "--jacobian", "--hessian", "--wrt", "--mode"};
  spec.multi = {"--backward", "--size"};
  spec.switches = {"--help", "-h", "-O0", "-O1", "-O2", "-O3", "--no-cache",
                   "--jvp"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kBenchHelp;
    return 0;
  }
  if (args.get("--format", "json") != "json")
    throw Error("bench prints only --format json");
  long iters = parseCount(args, "--iters", 0, 1, 100000000);
  if (args.has("--threads"))
    setNumThreads(static_cast<int>(parseCount(args, "--threads", 1, 1, 1024)));
  RunSetup r = prepareRun(args);
  // The pair compiles on another thread meanwhile: let it finish before the
  // timed calls share the cores with it (and report its time).
  r.compiled->waitForPair();
  const CompileTimes &ct = r.compiled->times();
  CallBuffers b = prepareCall(r);
  FusedFn fn = r.compiled->fused();
  auto call = [&] {
    return fn(b.in.data(), b.out.data(), b.gradPtrs.data(), b.seedPtrs.data(), 0,
              b.workspace.data());
  };

  // Warm up (page faults, caches, thread wake-ups) and size a batch so one
  // sample lasts at least ~20 us.
  for (int i = 0; i < 3; ++i)
    if (unsigned long long st = call()) // an index out of range: say where
      throw Error(describeStatus(r.compiled->info(), st));
  double t0 = nowNs();
  call();
  double once = std::max(nowNs() - t0, 1.0);
  long batch = std::clamp<long>(static_cast<long>(20000.0 / once), 1, 1 << 20);
  for (int rep = 0; rep < 4; ++rep) { // refine: the first call is noisy
    t0 = nowNs();
    for (long i = 0; i < batch; ++i) call();
    double per = std::max((nowNs() - t0) / batch, 0.1);
    batch = std::clamp<long>(static_cast<long>(20000.0 / per), 1, 1 << 20);
  }
  double perCall = 0;
  {
    t0 = nowNs();
    for (long i = 0; i < batch; ++i) call();
    perCall = std::max((nowNs() - t0) / batch, 0.1);
  }
  if (iters == 0) // about 0.5 s in total
    iters = std::clamp<long>(static_cast<long>(5e8 / (perCall * batch)), 5, 20000);

  std::vector<double> ns;
  ns.reserve(iters);
  for (long s = 0; s < iters; ++s) {
    double a = nowNs();
    for (long i = 0; i < batch; ++i) call();
    ns.push_back((nowNs() - a) / batch);
  }
  std::sort(ns.begin(), ns.end());
  size_t n = ns.size();
  double median = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  char buf[800];
  std::snprintf(buf, sizeof buf,
                "{\"compile_ms\": %.3f, \"run_ns\": {\"min\": %.1f, \"median\": "
                "%.1f, \"max\": %.1f}, \"workspace_bytes\": %llu, "
                "\"peak_rss_bytes\": %lld, \"iters\": %ld, \"batch\": %ld, "
                "\"threads\": %d, \"sgemm\": \"%s\", \"compile_detail_ms\": {\"passes\": %.3f, "
                "\"codegen\": %.3f, \"clang\": %.3f, \"jit\": %.3f, "
                "\"cache_hit\": %s, \"pair\": %.3f, \"parts\": %u}}\n",
                ct.totalMs(), ns.front(), median, ns.back(),
                static_cast<unsigned long long>(r.compiled->info().fusedWorkspaceBytes),
                static_cast<long long>(ru.ru_maxrss) * 1024, iters, batch,
                numThreads(), sgemmLibrary(), ct.passesMs, ct.codegenMs, ct.clangMs, ct.jitMs,
                ct.cacheHit ? "true" : "false", ct.pairMs, ct.parts);
  std::cout << buf;
  return 0;
}

} // namespace gradc
