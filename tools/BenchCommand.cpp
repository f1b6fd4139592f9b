//===- tools/BenchCommand.cpp - gradc bench -------------------------------===//
#include "ir/Error.h"
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
    R"HELP(usage: gradc bench GRAPH [--inputs FILE] [--backward NAME...]
                   [--iters N] [--format json]

JIT-compiles GRAPH and times the fused forward+backward entry point with
the same roots as 'gradc run'. Prints (normative):
  {"compile_ms": F, "run_ns": {"min": F, "median": F, "max": F},
   "workspace_bytes": N, "peak_rss_bytes": N}
compile_ms is a cache hit's time when the code is in the compile cache
($GRADC_CACHE_DIR); --no-cache measures a full compile.
)HELP";

int benchCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"--inputs", "--seeds", "--iters", "--format"};
  spec.multi = {"--backward"};
  spec.switches = {"--help", "-h", "-O0", "-O1", "-O2", "-O3", "--no-cache"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kBenchHelp;
    return 0;
  }
  if (args.get("--format", "json") != "json")
    throw Error("bench prints only --format json");
  long iters = 0;
  try {
    iters = std::stol(args.get("--iters", "0"));
  } catch (...) {
    throw Error("--iters needs a positive integer");
  }
  if (iters < 0 || iters > 100000000) throw Error("--iters must be in [1, 1e8]");
  RunSetup r = prepareRun(args);
  const CompileTimes &ct = r.compiled->times();
  // Warm up (page faults, caches), and pick a count if none was given:
  // about 0.5 s of runs, between 5 and 100000.
  auto t0 = std::chrono::steady_clock::now();
  r.session->runFused(r.roots, false);
  double once = std::chrono::duration<double, std::nano>(
                    std::chrono::steady_clock::now() - t0).count();
  if (iters == 0)
    iters = std::clamp<long>(static_cast<long>(5e8 / std::max(once, 1.0)), 5, 100000);
  std::vector<double> ns;
  ns.reserve(iters);
  for (long i = 0; i < iters; ++i) {
    auto a = std::chrono::steady_clock::now();
    r.session->runFused(r.roots, false);
    ns.push_back(std::chrono::duration<double, std::nano>(
                     std::chrono::steady_clock::now() - a).count());
  }
  std::sort(ns.begin(), ns.end());
  double median = ns.size() % 2 ? ns[ns.size() / 2]
                                : (ns[ns.size() / 2 - 1] + ns[ns.size() / 2]) / 2;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"compile_ms\": %.3f, \"run_ns\": {\"min\": %.1f, \"median\": "
                "%.1f, \"max\": %.1f}, \"workspace_bytes\": %llu, "
                "\"peak_rss_bytes\": %lld, \"iters\": %ld}\n",
                ct.totalMs(), ns.front(), median, ns.back(),
                static_cast<unsigned long long>(
                    r.compiled->info().fusedWorkspaceBytes),
                static_cast<long long>(ru.ru_maxrss) * 1024, iters);
  std::cout << buf;
  return 0;
}

} // namespace gradc
