//===- tests/runtime/JitTest.cpp - In-process JIT -------------------------===//
//
// Correctness and error cases of runtime/Jit.h: compile self-contained C++,
// call it, resolve host symbols, report clang diagnostics, emit IR/asm/ELF,
// compile from several threads.
//
//===----------------------------------------------------------------------===//

#include "runtime/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <thread>
#include <vector>

// Called from JIT-compiled code: proves symbols are resolved from the host
// process (the test binary is linked with exported symbols), like the
// runtime support functions generated code calls.
extern "C" float gradcJitTestHostHook(float x) { return 2 * x + 1; }

// Referenced so the BLAS library stays linked in; generated code calls it.
extern "C" float cblas_sdot(int n, const float *x, int incx, const float *y,
                            int incy);

namespace {

using gradc::Jit;
using gradc::JitModule;
using gradc::JitOptions;

const char *const kAxpySource = R"cpp(
extern "C" void axpy(int n, float a, const float *x, float *y) {
  for (int i = 0; i < n; ++i)
    y[i] += a * x[i];
}
)cpp";

std::unique_ptr<Jit> makeJit(JitOptions options = {}) {
  auto jit = Jit::create(std::move(options));
  if (!jit) {
    ADD_FAILURE() << llvm::toString(jit.takeError());
    return nullptr;
  }
  return std::move(*jit);
}

std::unique_ptr<JitModule> compileOrFail(Jit &jit, llvm::StringRef source,
                                         llvm::StringRef name) {
  auto module = jit.compile(source, name);
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError());
    return nullptr;
  }
  return std::move(*module);
}

/// The error's message, or "" (plus a test failure) if it succeeded.
template <typename T> std::string errorMessage(llvm::Expected<T> result) {
  if (result) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(result.takeError());
}

bool hostHasAVX() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx");
#else
  return false;
#endif
}

using AxpyFn = void(int, float, const float *, float *);

/// Runs axpy from \p module on 37 elements (not a multiple of any vector
/// width, so the remainder loop runs too) and checks every element.
void checkAxpy(JitModule &module) {
  auto axpy = module.lookupFunction<AxpyFn>("axpy");
  ASSERT_TRUE(!!axpy) << llvm::toString(axpy.takeError());
  std::vector<float> x(37), y(37);
  for (int i = 0; i < 37; ++i) {
    x[i] = float(i);
    y[i] = 100.0f - i;
  }
  (*axpy)(37, 0.5f, x.data(), y.data());
  for (int i = 0; i < 37; ++i)
    EXPECT_FLOAT_EQ(y[i], 100.0f - i + 0.5f * i) << "at " << i;
}

TEST(JitTest, CompilesAndRunsAxpy) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, kAxpySource, "axpy");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->name(), "axpy");
  checkAxpy(*module);
}

TEST(JitTest, EveryOptLevelRuns) {
  for (int level = 0; level <= 3; ++level) {
    SCOPED_TRACE("optLevel " + std::to_string(level));
    JitOptions options;
    options.optLevel = level;
    auto jit = makeJit(options);
    ASSERT_TRUE(jit);
    auto module = compileOrFail(*jit, kAxpySource, "axpy");
    ASSERT_TRUE(module);
    checkAxpy(*module);
  }
}

TEST(JitTest, ResolvesLibmFromHost) {
  const char *source = R"cpp(
extern "C" float expf(float);
extern "C" void expAll(int n, const float *x, float *y) {
  for (int i = 0; i < n; ++i)
    y[i] = expf(x[i]);
}
)cpp";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, source, "exp");
  ASSERT_TRUE(module);
  auto expAll =
      module->lookupFunction<void(int, const float *, float *)>("expAll");
  ASSERT_TRUE(!!expAll) << llvm::toString(expAll.takeError());
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.0f, 1.0f, -2.5f, 10.0f, inf, -inf, NAN};
  std::vector<float> y(x.size(), -1.0f);
  (*expAll)(int(x.size()), x.data(), y.data());
  for (size_t i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(y[i], std::exp(x[i])) << "exp(" << x[i] << ")";
  EXPECT_EQ(y[4], inf);
  EXPECT_EQ(y[5], 0.0f);
  EXPECT_TRUE(std::isnan(y[6]));
}

TEST(JitTest, ResolvesHostProcessSymbols) {
  const char *source = R"cpp(
extern "C" float gradcJitTestHostHook(float);
extern "C" float cblas_sdot(int, const float *, int, const float *, int);
extern "C" float useHost(const float *x, const float *y) {
  return gradcJitTestHostHook(cblas_sdot(3, x, 1, y, 1));
}
)cpp";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, source, "host");
  ASSERT_TRUE(module);
  auto useHost =
      module->lookupFunction<float(const float *, const float *)>("useHost");
  ASSERT_TRUE(!!useHost) << llvm::toString(useHost.takeError());
  const float x[] = {1, 2, 3}, y[] = {4, 5, 6};
  EXPECT_EQ(cblas_sdot(3, x, 1, y, 1), 32.0f);
  EXPECT_EQ((*useHost)(x, y), 65.0f); // 2 * (4 + 10 + 18) + 1
}

/// Not exported: only reachable through JitOptions::hostSymbols.
static float squarePlusOne(float x) { return x * x + 1; }

TEST(JitTest, ResolvesRegisteredHostSymbols) {
  const char *source = R"cpp(
extern "C" float gradc_test_square_plus_one(float);
extern "C" float callRegistered(float x) {
  return gradc_test_square_plus_one(x) * 10.0f;
}
)cpp";
  JitOptions options;
  options.hostSymbols["gradc_test_square_plus_one"] =
      reinterpret_cast<void *>(&squarePlusOne);
  auto jit = makeJit(options);
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, source, "registered");
  ASSERT_TRUE(module);
  auto callRegistered = module->lookupFunction<float(float)>("callRegistered");
  ASSERT_TRUE(!!callRegistered) << llvm::toString(callRegistered.takeError());
  EXPECT_EQ((*callRegistered)(3.0f), 100.0f);
  // Without the registration the same source cannot link.
  auto plainJit = makeJit();
  ASSERT_TRUE(plainJit);
  EXPECT_NE(errorMessage(plainJit->compile(source, "registered"))
                .find("gradc_test_square_plus_one"),
            std::string::npos);
}

TEST(JitTest, RunsDynamicInitializers) {
  // Generated code should not need them, but if a global does, it must be
  // initialized before the first call rather than read as zero.
  const char *source = R"cpp(
extern "C" float gradcJitTestHostHook(float);
static float initialized = gradcJitTestHostHook(20.0f);
extern "C" float readInitialized() { return initialized; }
)cpp";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, source, "init");
  ASSERT_TRUE(module);
  auto read = module->lookupFunction<float()>("readInitialized");
  ASSERT_TRUE(!!read) << llvm::toString(read.takeError());
  EXPECT_EQ((*read)(), 41.0f);
}

static int destructorRecord = 0;
extern "C" void gradcJitTestRecordDestructor(int value) {
  destructorRecord = value;
}

TEST(JitTest, RunsStaticDestructorsWhenModuleIsDestroyed) {
  // The destructor must run when the module goes away, not at process exit
  // when its code is already unmapped.
  const char *source = R"cpp(
extern "C" void gradcJitTestRecordDestructor(int);
struct Guard {
  ~Guard() { gradcJitTestRecordDestructor(7); }
};
static Guard guard;
extern "C" int touch() { return 1; }
)cpp";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, source, "dtor");
  ASSERT_TRUE(module);
  destructorRecord = 0;
  module.reset();
  EXPECT_EQ(destructorRecord, 7);
}

TEST(JitTest, FloatingPointStaysIEEE) {
  // Under fast-math clang may fold both of these to constants.
  const char *source = R"cpp(
extern "C" int isNaN(float x) { return x != x; }
extern "C" float addZero(float x) { return x + 0.0f; }
)cpp";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, source, "ieee");
  ASSERT_TRUE(module);
  auto isNaN = module->lookupFunction<int(float)>("isNaN");
  auto addZero = module->lookupFunction<float(float)>("addZero");
  ASSERT_TRUE(!!isNaN) << llvm::toString(isNaN.takeError());
  ASSERT_TRUE(!!addZero) << llvm::toString(addZero.takeError());
  EXPECT_EQ((*isNaN)(NAN), 1);
  EXPECT_EQ((*isNaN)(1.0f), 0);
  EXPECT_FALSE(std::signbit((*addZero)(-0.0f))); // -0 + +0 is +0
}

TEST(JitTest, SyntaxErrorReportsLineAndColumn) {
  const char *source = "extern \"C\" int f(int x) {\n"
                       "  int y = x +;\n"
                       "  return y;\n"
                       "}\n";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  std::string message = errorMessage(jit->compile(source, "broken"));
  EXPECT_NE(message.find("broken.cpp:2:14: error: expected expression"),
            std::string::npos)
      << message;
}

TEST(JitTest, UndefinedHostSymbolFailsAtCompile) {
  const char *source = R"cpp(
extern "C" void gradcNoSuchRuntimeFunction(float *);
extern "C" void callsMissing(float *x) { gradcNoSuchRuntimeFunction(x); }
)cpp";
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  std::string message = errorMessage(jit->compile(source, "missing"));
  EXPECT_NE(message.find("gradcNoSuchRuntimeFunction"), std::string::npos)
      << message;
}

TEST(JitTest, LookupOfMissingSymbolFails) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, kAxpySource, "axpy");
  ASSERT_TRUE(module);
  std::string message = errorMessage(module->lookup("notDefinedHere"));
  EXPECT_NE(message.find("notDefinedHere"), std::string::npos) << message;
  // Host symbols are visible to the module's code, not through lookup().
  EXPECT_NE(errorMessage(module->lookup("gradcJitTestHostHook"))
                .find("gradcJitTestHostHook"),
            std::string::npos);
  // The module is still usable after a failed lookup.
  checkAxpy(*module);
}

TEST(JitTest, ModulesAreIndependent) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  // The same symbol in two modules: no clash, and freeing one leaves the
  // other intact.
  auto first = compileOrFail(*jit, "extern \"C\" int id() { return 1; }", "a");
  auto second = compileOrFail(*jit, "extern \"C\" int id() { return 2; }", "b");
  ASSERT_TRUE(first && second);
  auto firstId = first->lookupFunction<int()>("id");
  ASSERT_TRUE(!!firstId) << llvm::toString(firstId.takeError());
  auto secondId = second->lookupFunction<int()>("id");
  ASSERT_TRUE(!!secondId) << llvm::toString(secondId.takeError());
  EXPECT_EQ((*firstId)(), 1);
  EXPECT_EQ((*secondId)(), 2);
  first.reset();
  EXPECT_EQ((*secondId)(), 2);
  // The Jit is not needed to keep a module alive either.
  jit.reset();
  EXPECT_EQ((*secondId)(), 2);
}

TEST(JitTest, ConcurrentCompilesOnOneJit) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  constexpr int kThreads = 2, kRounds = 3;
  std::vector<std::string> errors(kThreads);
  std::vector<std::vector<int>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        int k = 10 * t + round;
        std::string source = "extern \"C\" int scaled(int x) { return x * " +
                             std::to_string(k) + "; }";
        auto module = jit->compile(source, "t" + std::to_string(k));
        if (!module) {
          errors[t] += llvm::toString(module.takeError());
          continue;
        }
        auto scaled = (*module)->lookupFunction<int(int)>("scaled");
        if (!scaled) {
          errors[t] += llvm::toString(scaled.takeError());
          continue;
        }
        results[t].push_back((*scaled)(3));
      }
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "");
    std::vector<int> expected;
    for (int round = 0; round < kRounds; ++round)
      expected.push_back(3 * (10 * t + round));
    EXPECT_EQ(results[t], expected) << "thread " << t;
  }
}

TEST(JitTest, ReportsCompileTimes) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  auto module = compileOrFail(*jit, kAxpySource, "axpy");
  ASSERT_TRUE(module);
  const gradc::JitStats &stats = module->stats();
  EXPECT_GT(stats.frontendMs, 0.0);
  EXPECT_GT(stats.jitMs, 0.0);
  EXPECT_DOUBLE_EQ(stats.totalMs(), stats.frontendMs + stats.jitMs);
  RecordProperty("frontend_ms", std::to_string(stats.frontendMs));
  RecordProperty("jit_ms", std::to_string(stats.jitMs));
}

TEST(JitTest, RejectsBadOptions) {
  JitOptions badLevel;
  badLevel.optLevel = 4;
  EXPECT_NE(errorMessage(Jit::create(badLevel)).find("optLevel"),
            std::string::npos);
  JitOptions badCPU;
  badCPU.cpu = "no-such-cpu";
  EXPECT_NE(errorMessage(Jit::create(badCPU)).find("no-such-cpu"),
            std::string::npos);
  EXPECT_NE(errorMessage(gradc::emitLLVMIR(kAxpySource, "axpy", badLevel))
                .find("optLevel"),
            std::string::npos);
}

#if defined(__x86_64__)
TEST(JitTest, ExplicitCPURuns) {
  JitOptions options;
  options.cpu = "x86-64";
  auto jit = makeJit(options);
  ASSERT_TRUE(jit);
  EXPECT_EQ(jit->targetCPU(), "x86-64");
  auto module = compileOrFail(*jit, kAxpySource, "axpy");
  ASSERT_TRUE(module);
  checkAxpy(*module);
}
#endif

TEST(JitTest, EmitsOptimizedVectorizedIR) {
  auto ir = gradc::emitLLVMIR(kAxpySource, "axpy");
  ASSERT_TRUE(!!ir) << llvm::toString(ir.takeError());
  EXPECT_NE(ir->find("define"), std::string::npos);
  EXPECT_NE(ir->find("@axpy("), std::string::npos);
  // No fast-math flags anywhere: NaN and Inf must behave as IEEE says.
  EXPECT_EQ(ir->find(" fast "), std::string::npos);
  EXPECT_EQ(ir->find("nnan"), std::string::npos);
  if (hostHasAVX()) {
    EXPECT_TRUE(std::regex_search(*ir, std::regex("<(8|16) x float>"))) << *ir;
  }
#if defined(__x86_64__)
  // SSE2 is baseline on x86-64, so the loop vectorizes at least 4-wide.
  EXPECT_TRUE(std::regex_search(*ir, std::regex("<(4|8|16) x float>"))) << *ir;
#endif
}

TEST(JitTest, UnoptimizedIRIsNotVectorized) {
  JitOptions options;
  options.optLevel = 0;
  auto ir = gradc::emitLLVMIR(kAxpySource, "axpy", options);
  ASSERT_TRUE(!!ir) << llvm::toString(ir.takeError());
  EXPECT_NE(ir->find("@axpy("), std::string::npos);
  EXPECT_FALSE(std::regex_search(*ir, std::regex("<[0-9]+ x float>")));
}

TEST(JitTest, EmitsAssembly) {
  auto assembly = gradc::emitAssembly(kAxpySource, "axpy");
  ASSERT_TRUE(!!assembly) << llvm::toString(assembly.takeError());
  EXPECT_NE(assembly->find("axpy:"), std::string::npos) << *assembly;
}

TEST(JitTest, EmitsELFObject) {
  auto object = gradc::emitObject(kAxpySource, "axpy");
  ASSERT_TRUE(!!object) << llvm::toString(object.takeError());
  ASSERT_GE(object->size(), 4u);
  EXPECT_EQ(object->substr(0, 4), std::string("\177ELF"));
  EXPECT_NE(object->find("axpy"), std::string::npos); // in the symbol table
}

TEST(JitTest, EmitReportsDiagnostics) {
  std::string message =
      errorMessage(gradc::emitObject("int f() { return undeclared; }", "obj"));
  EXPECT_NE(message.find("obj.cpp:1:18: error: use of undeclared identifier"),
            std::string::npos)
      << message;
}

} // namespace
