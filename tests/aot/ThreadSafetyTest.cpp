//===- tests/aot/ThreadSafetyTest.cpp - One compiled graph, many threads --===//
//
// A CompiledGraph (and a gradc_graph) is shared by several threads, each
// running it through its own Session (gradc_session): every thread must
// get exactly the numbers of a single-threaded run. In a normal build this
// checks the results; built with -DGRADC_TSAN=ON (a build directory of its
// own) it also lets ThreadSanitizer watch the host code (Session, the C
// API, compiles with the cache):
//   cmake -S . -B build-tsan -G Ninja -DGRADC_TSAN=ON && ninja -C build-tsan aot_tests
//   build-tsan/bin/aot_tests The JIT-compiled code itself is not instrumented by TSan;
// tests/aot/tsan_aot.sh covers the generated code, compiled ahead of time
// with -fsanitize=thread.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "gradc/gradc.h"
#include "runtime/Session.h"

#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <thread>

using namespace gradc;

namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 20;

const char *const kNetGraph = GRADC_SOURCE_DIR "/tests/aot/graphs/net.json";

/// Input i of thread t: distinct per thread, so results cannot be shared.
Tensor inputFor(const TensorArg &a, int i, int t) {
  std::vector<double> v(a.type.numel());
  for (size_t j = 0; j < v.size(); ++j)
    v[j] = static_cast<double>((j * 31 + i * 7 + t * 3) % 17) / 17 - 0.45;
  return Tensor::fromDoubles(a.type.dtype, a.type.shape, v);
}

/// Gradients of all inputs, concatenated.
std::vector<double> gradsOf(const Session &s, const ModuleInfo &mi) {
  std::vector<double> r;
  for (size_t i : mi.gradInputs) {
    std::vector<double> g = s.grad(mi.inputs[i].name)->toDoubles();
    r.insert(r.end(), g.begin(), g.end());
  }
  r.push_back(s.output("loss").get(0));
  return r;
}

std::vector<double> runOnce(const CompiledGraph &cg, int t, bool fused) {
  Session s(cg);
  const ModuleInfo &mi = cg.info();
  for (size_t i = 0; i < mi.inputs.size(); ++i)
    s.setInput(mi.inputs[i].name, inputFor(mi.inputs[i], static_cast<int>(i), t));
  if (fused) {
    s.runFused({{"loss"}}, false);
  } else {
    s.forward();
    s.backward({{"loss"}});
  }
  return gradsOf(s, mi);
}

TEST(ThreadSafety, SessionsOfOneCompiledGraph) {
  CompileOptions options;
  options.useCache = false;
  auto g = loadGraphFile(kNetGraph);
  auto cg = Compiler(options).compile(*g);
  std::vector<std::vector<double>> want;
  for (int t = 0; t < kThreads; ++t) want.push_back(runOnce(*cg, t, true));
  EXPECT_NE(want[0], want[1]);

  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r)
        if (runOnce(*cg, t, r % 2 == 0) != want[t]) ++mismatches[t];
    });
  for (std::thread &t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(ThreadSafety, CApiSessionsOfOneGraph) {
  gradc_options o;
  gradc_options_init(&o);
  o.use_cache = 0;
  gradc_graph *graph = nullptr;
  ASSERT_EQ(gradc_compile_file(kNetGraph, &o, &graph), GRADC_OK)
      << gradc_last_error();
  size_t nIn = gradc_num_inputs(graph), nGrad = gradc_num_grads(graph);

  // Per thread: inputs, gradient buffers, and the loss.
  auto runThread = [&](int t, int rounds, std::vector<float> *result) {
    std::vector<std::vector<float>> in(nIn), grads(nGrad);
    std::vector<const void *> inPtr(nIn);
    std::vector<void *> gradPtr(nGrad);
    for (size_t i = 0; i < nIn; ++i) {
      gradc_tensor_info info;
      gradc_input_info(graph, i, &info);
      in[i].resize(info.numel);
      for (int64_t j = 0; j < info.numel; ++j)
        in[i][j] = static_cast<float>((j * 31 + i * 7 + t * 3) % 17) / 17 - 0.45f;
      inPtr[i] = in[i].data();
      if (info.grad_index >= 0) {
        grads[info.grad_index].resize(info.numel);
        gradPtr[info.grad_index] = grads[info.grad_index].data();
      }
    }
    float loss = 0;
    void *outPtr[2] = {&loss, nullptr};
    gradc_session *s = nullptr;
    if (gradc_session_create(graph, &s) != GRADC_OK) return false;
    bool ok = true;
    for (int r = 0; r < rounds && ok; ++r) {
      ok = gradc_run(s, inPtr.data(), outPtr, gradPtr.data(), nullptr, 0) == GRADC_OK;
      std::vector<float> got;
      for (const auto &gv : grads) got.insert(got.end(), gv.begin(), gv.end());
      got.push_back(loss);
      if (result->empty()) *result = got;
      ok = ok && got == *result;
    }
    gradc_session_free(s);
    return ok;
  };

  std::vector<std::vector<float>> want(kThreads);
  for (int t = 0; t < kThreads; ++t) ASSERT_TRUE(runThread(t, 1, &want[t]));
  std::vector<std::vector<float>> got(want);
  std::vector<char> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { ok[t] = runThread(t, kRounds, &got[t]); });
  for (std::thread &t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
  gradc_graph_free(graph);
}

TEST(ThreadSafety, ConcurrentCompilesThroughOneCache) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("gradc-threads", dir));
  CompileOptions options;
  options.cacheDir = std::string(dir.str());
  Compiler compiler(options);
  auto g = loadGraphFile(kNetGraph);
  std::vector<std::vector<double>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto cg = compiler.compile(*g);
      results[t] = runOnce(*cg, 0, true);
    });
  for (std::thread &t : threads) t.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(results[t], results[0]);
  EXPECT_TRUE(compiler.compile(*g)->times().cacheHit);
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
