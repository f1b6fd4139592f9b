//===- runtime/Compiler.cpp - Graph to callable code ----------------------===//
#include "runtime/Compiler.h"

#include "codegen/CppEmitter.h"
#include "codegen/UnitSplit.h"
#include "ir/Error.h"
#include "passes/Lowering.h"
#include "passes/Pipeline.h"
#include "passes/RequiresGrad.h"
#include "runtime/Blas.h"
#include "runtime/CodeTemplate.h"
#include "runtime/CompileCache.h"
#include "runtime/HostSymbols.h"
#include "runtime/Jit.h"

#include <llvm/Support/thread.h>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <chrono>
#include <mutex>
#include <optional>

namespace gradc {

namespace {
double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

/// A lower bound on the generated C++ per computed node (a declaration
/// and an expression at the least), for the source limit before codegen.
constexpr uint64_t kMinSourceBytesPerNode = 32;

/// Stack of the thread that runs clang on generated code (a limit, like
/// the memory cap: deep enough for every graph the passes accept).
constexpr unsigned kJitStackBytes = 1u << 30;

/// Makes the calling thread yield to the process's other threads (nice
/// +10 on Linux, where niceness is per thread): the pair's compile should
/// not slow the caller's first steps on a busy machine.
void lowerThreadPriority() {
#ifdef __linux__
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
#endif
}

template <typename T> T unwrap(llvm::Expected<T> v, const std::string &what) {
  if (!v) throw Error(what + ": " + llvm::toString(v.takeError()));
  return std::move(*v);
}
} // namespace

struct CompiledGraph::Impl {
  ~Impl() {
    if (pairThread.joinable()) pairThread.join();
    // A pair nobody asked for: its result is dropped unexamined (an
    // unchecked llvm::Expected aborts in builds with LLVM's ABI checks).
    if (pairResult && !*pairResult) llvm::consumeError(pairResult->takeError());
  }
  /// Joins the pair's compile (once) and looks its entry points up.
  void finishPair();

  std::unique_ptr<Graph> source, optimized;
  std::string cpp;
  ModuleInfo info;
  CompileTimes times;
  uint64_t maxBytes = 0;
  std::unique_ptr<JitModule> module;
  FusedFn fused = nullptr;

  // The forward/backward pair: compiled by pairThread into pairResult;
  // finishPair() moves it to pairModule under pairOnce.
  llvm::thread pairThread;
  std::optional<llvm::Expected<std::unique_ptr<JitModule>>> pairResult;
  std::once_flag pairOnce;
  std::string pairError;
  std::unique_ptr<JitModule> pairModule;
  ForwardFn forward = nullptr;
  BackwardFn backward = nullptr;

  // An instance of code templates (Compiler::instantiate): the constant
  // tables its modules read their literals from. Their storage must not
  // move while the modules live.
  std::vector<uint64_t> fusedTable, pairTable;
};

void CompiledGraph::Impl::finishPair() {
  std::call_once(pairOnce, [this] {
    if (pairThread.joinable()) pairThread.join();
    if (!pairResult) {
      pairError = "the forward/backward pair was not compiled";
      return;
    }
    llvm::Expected<std::unique_ptr<JitModule>> &r = *pairResult;
    if (!r) {
      pairError = "JIT compilation of the forward/backward pair failed: " +
                  llvm::toString(r.takeError());
      return;
    }
    pairModule = std::move(*r);
    times.pairMs = pairModule->stats().totalMs();
    auto find = [&](const std::string &symbol) -> void * {
      llvm::Expected<void *> address = pairModule->lookup(symbol);
      if (address) return *address;
      pairError += "lookup: " + llvm::toString(address.takeError());
      return nullptr;
    };
    forward = reinterpret_cast<ForwardFn>(find(info.forwardSymbol()));
    backward = reinterpret_cast<BackwardFn>(find(info.backwardSymbol()));
  });
  if (!pairError.empty()) throw Error(pairError);
}

CompiledGraph::CompiledGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledGraph::~CompiledGraph() = default;
const Graph &CompiledGraph::sourceGraph() const { return *impl_->source; }
const Graph &CompiledGraph::optimizedGraph() const { return *impl_->optimized; }
const ModuleInfo &CompiledGraph::info() const { return impl_->info; }
const std::string &CompiledGraph::cppSource() const { return impl_->cpp; }
const CompileTimes &CompiledGraph::times() const { return impl_->times; }
uint64_t CompiledGraph::maxBytes() const { return impl_->maxBytes; }
FusedFn CompiledGraph::fused() const { return impl_->fused; }
void CompiledGraph::waitForPair() const { impl_->finishPair(); }
ForwardFn CompiledGraph::forward() const {
  impl_->finishPair();
  return impl_->forward;
}
BackwardFn CompiledGraph::backward() const {
  impl_->finishPair();
  return impl_->backward;
}

int CompiledGraph::inputIndex(const std::string &name) const {
  for (size_t i = 0; i < impl_->info.inputs.size(); ++i)
    if (impl_->info.inputs[i].name == name) return static_cast<int>(i);
  return -1;
}

int CompiledGraph::outputIndex(const std::string &name) const {
  for (size_t i = 0; i < impl_->info.outputs.size(); ++i)
    if (impl_->info.outputs[i].name == name) return static_cast<int>(i);
  return -1;
}

struct Compiler::JitHolder {
  /// Shared with the threads compiling pairs, which may outlive the Compiler.
  std::shared_ptr<Jit> jit;
};

Compiler::Compiler(CompileOptions opts)
    : opts_(std::move(opts)), jit_(std::make_unique<JitHolder>()) {
  JitOptions jo;
  jo.optLevel = opts_.optLevel;
  jo.cpu = opts_.cpu;
  jo.hostSymbols = hostSymbols();
  if (opts_.useCache)
    jo.cacheDir =
        opts_.cacheDir.empty() ? defaultCacheDirectory() : opts_.cacheDir;
  jit_->jit = unwrap(Jit::create(jo), "cannot create the JIT");
}

Compiler::~Compiler() = default;

std::unique_ptr<Graph> optimizeForCodegen(const Graph &g,
                                          const PassManagerOptions &opts) {
  auto copy = g.clone();
  PassManager pm(opts);
  buildPipeline(pm, PipelineStage::Opt, isDifferentiated(g));
  pm.run(*copy);
  return copy;
}

std::unique_ptr<CompiledGraph> Compiler::compile(const Graph &g) const {
  return compile(prepare(g));
}

PreparedGraph Compiler::prepare(const Graph &g) const {
  PreparedGraph p;
  auto t0 = std::chrono::steady_clock::now();
  p.source = g.clone();
  analyzeRequiresGrad(*p.source);
  p.optimized = optimizeForCodegen(g, opts_.passes);
  p.times.passesMs = msSince(t0);

  t0 = std::chrono::steady_clock::now();
  // Limits before code exists: every value of the joint graph (autodiff
  // adds values the source graph did not have) must fit the memory cap.
  for (const auto &n : p.optimized->nodes())
    checkTensorBytes(n->type, opts_.maxBytes,
                     "value '" + n->displayName() + "' (" + n->info().name +
                         ")");
  // The source limit before code exists: every computed node emits well
  // over kMinSourceBytesPerNode bytes (158 on average in a long chain,
  // 300-900 in real models), so a graph this large would only be
  // rejected after code generation, which for 100k nodes took seconds.
  uint64_t computed = 0;
  for (const auto &n : p.optimized->nodes())
    computed += n->plan.kernel >= 0;
  if (computed * kMinSourceBytesPerNode > opts_.maxSourceBytes)
    throw Error((opts_.sourceName.empty() ? "" : opts_.sourceName + ": ") +
                "the generated code for this graph would be at least " +
                formatBytes(computed * kMinSourceBytesPerNode) + " (" +
                std::to_string(computed) +
                " computed nodes after optimization), more than the JIT "
                "limit of " + formatBytes(opts_.maxSourceBytes) +
                "; set GRADC_MAX_SOURCE_BYTES to raise it, or compile it "
                "ahead of time with 'gradc compile'");
  // The path stays out of the generated code: the compile cache is keyed
  // by what the code does, so one graph at two paths (or spelled two ways)
  // shares one entry.
  p.gen = emitCpp(*p.optimized);
  p.times.codegenMs = msSince(t0);
  for (uint64_t bytes : {p.gen.info.fusedWorkspaceBytes, p.gen.info.contextBytes,
                         p.gen.info.workspaceBytes})
    if (bytes > opts_.maxBytes)
      throw Error("the compiled graph needs a workspace of " +
                  formatBytes(bytes) + ", more than the memory limit of " +
                  formatBytes(opts_.maxBytes) +
                  " (set GRADC_MAX_BYTES to raise it)");

  if (p.gen.source.size() > opts_.maxSourceBytes)
    throw Error((opts_.sourceName.empty() ? "" : opts_.sourceName + ": ") +
                "the generated code for this graph is " +
                formatBytes(p.gen.source.size()) + " (" +
                std::to_string(p.optimized->nodes().size()) +
                " nodes after optimization), more than the JIT limit of " +
                formatBytes(opts_.maxSourceBytes) +
                "; set GRADC_MAX_SOURCE_BYTES to raise it, or compile it ahead "
                "of time with 'gradc compile'");
  return p;
}

std::unique_ptr<CompiledGraph::Impl> Compiler::startGraph(PreparedGraph &p) const {
  auto impl = std::make_unique<CompiledGraph::Impl>();
  impl->source = std::move(p.source);
  impl->optimized = std::move(p.optimized);
  impl->times = p.times;
  impl->maxBytes = opts_.maxBytes;
  impl->cpp = std::move(p.gen.source);
  impl->info = std::move(p.gen.info);
  return impl;
}

std::unique_ptr<CompiledGraph>
Compiler::finishGraph(std::unique_ptr<CompiledGraph::Impl> impl,
                      std::function<void(CompiledGraph::Impl &)> pairJob) const {
  // The pair is independent of the fused unit. It is made on its own
  // thread from here on, while compile() returns: the fused entry point is
  // what most callers run. Compiled at the same time as the fused unit, it
  // made that one 25% slower on a 2-core machine (docs/performance.md).
  CompiledGraph::Impl *ip = impl.get(); // joins the thread before it dies
  impl->pairThread = llvm::thread(std::optional<unsigned>(kJitStackBytes),
                                  [ip, pairJob = std::move(pairJob)] {
                                    lowerThreadPriority();
                                    pairJob(*ip);
                                  });
  const ModuleInfo &mi = impl->info;
  impl->fused = reinterpret_cast<FusedFn>(
      unwrap(impl->module->lookup(mi.fusedSymbol()), "lookup"));
  // Matrix products call BLAS: load it now (after the fused unit, whose
  // compile its start-up threads would slow), so a missing library is an
  // error here rather than at the first call.
  if (mi.callsBlas) loadBlas();
  return std::unique_ptr<CompiledGraph>(new CompiledGraph(std::move(impl)));
}

std::unique_ptr<CompiledGraph> Compiler::compile(PreparedGraph p) const {
  auto impl = startGraph(p);
  GeneratedModule &gen = p.gen; // its units; source and info moved to impl
  // Clang recurses as deep as the generated code is long: a fused kernel of
  // a few thousand ops overflowed an 8 MiB stack. Compile on threads with
  // a large stack (reserved, committed only as touched).
  // A large fused unit compiles in parts, one per core.
  unsigned threads = opts_.compileThreads ? opts_.compileThreads
                                          : llvm::thread::hardware_concurrency();
  std::optional<llvm::Expected<std::unique_ptr<JitModule>>> compiled;
  llvm::thread worker(std::optional<unsigned>(kJitStackBytes), [&] {
    std::vector<std::string> parts = splitFusedUnit(gen, threads);
    impl->times.parts = static_cast<unsigned>(parts.size());
    compiled.emplace(jit_->jit->compileParts(parts, impl->info.symbolPrefix));
  });
  worker.join();
  impl->module = unwrap(std::move(*compiled),
                        "JIT compilation of the generated code failed");
  impl->times.clangMs = impl->module->stats().frontendMs;
  impl->times.jitMs = impl->module->stats().jitMs;
  impl->times.cacheHit = impl->module->stats().cacheHit;
  std::shared_ptr<Jit> jit = jit_->jit;
  std::string name = impl->info.symbolPrefix + "_pair";
  return finishGraph(std::move(impl), [jit, source = std::move(gen.pairUnit),
                                       name = std::move(name)](CompiledGraph::Impl &ip) {
    ip.pairResult.emplace(jit->compile(source, name));
  });
}

std::function<std::shared_ptr<const std::string>(const std::string &, const std::string &)>
Compiler::templateCompiler() const {
  std::shared_ptr<Jit> jit = jit_->jit;
  return [jit](const std::string &text, const std::string &name) {
    std::optional<llvm::Expected<std::string>> object;
    llvm::thread worker(std::optional<unsigned>(kJitStackBytes),
                        [&] { object.emplace(jit->compileObject(text, name)); });
    worker.join();
    return std::make_shared<const std::string>(
        unwrap(std::move(*object), "JIT compilation of a code template failed"));
  };
}

std::shared_ptr<const std::string> Compiler::compileTemplate(const std::string &text,
                                                           const std::string &name) const {
  return templateCompiler()(text, name);
}

std::unique_ptr<CompiledGraph>
Compiler::instantiate(PreparedGraph p, std::shared_ptr<const std::string> fusedObject,
                      std::vector<uint64_t> fusedTable,
                      std::function<std::shared_ptr<const std::string>()> pairObject,
                      std::vector<uint64_t> pairTable) const {
  auto impl = startGraph(p);
  // A table of no slots still needs an address to define the symbol at.
  impl->fusedTable = std::move(fusedTable);
  impl->pairTable = std::move(pairTable);
  impl->fusedTable.push_back(0);
  impl->pairTable.push_back(0);
  auto t0 = std::chrono::steady_clock::now();
  impl->module = unwrap(
      jit_->jit->link({fusedObject.get()}, impl->info.symbolPrefix,
                      {{kTemplateTableSymbol, impl->fusedTable.data()}}),
      "linking a code template failed");
  impl->times.jitMs = msSince(t0);
  impl->times.instance = true; // no clang: the template was compiled before
  std::shared_ptr<Jit> jit = jit_->jit;
  std::string name = impl->info.symbolPrefix + "_pair";
  return finishGraph(std::move(impl), [jit, pairObject = std::move(pairObject),
                                       name = std::move(name)](CompiledGraph::Impl &ip) {
    try {
      std::shared_ptr<const std::string> object = pairObject();
      ip.pairResult.emplace(
          jit->link({object.get()}, name, {{kTemplateTableSymbol, ip.pairTable.data()}}));
    } catch (const Error &e) {
      ip.pairResult.emplace(
          llvm::make_error<llvm::StringError>(e.what(), llvm::inconvertibleErrorCode()));
    }
  });
}

} // namespace gradc
