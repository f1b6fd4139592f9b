//===- runtime/Jit.cpp - In-process JIT for generated C++ -----------------===//
//
// The ORC half of the JIT. Every JitModule owns a whole LLJIT: a private
// execution session, target machine and JIT memory. That costs a little
// setup per module but gives what the runtime needs for free: modules never
// share mutable state (concurrent compiles need no locks), and destroying a
// module releases exactly its code.
//
//===----------------------------------------------------------------------===//

#include "runtime/Jit.h"

#include "runtime/JitCompiler.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <mutex>

namespace gradc {
namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// ORC reports the root cause of a failed link (e.g. "Symbols not found")
/// through the session's error reporter, while the failing lookup only says
/// "Failed to materialize symbols". The log keeps the former so compile()
/// can return both instead of ORC printing to stderr.
class ErrorLog {
public:
  void add(llvm::Error error) {
    std::string text = llvm::toString(std::move(error));
    std::lock_guard<std::mutex> lock(mutex_);
    if (!text_.empty())
      text_ += "\n";
    text_ += text;
  }
  void add(const llvm::DiagnosticInfo &info) {
    std::string text;
    llvm::raw_string_ostream stream(text);
    llvm::DiagnosticPrinterRawOStream printer(stream);
    info.print(printer);
    stream.flush();
    add(makeError(text));
  }
  /// \p error's message followed by everything logged so far.
  llvm::Error explain(llvm::Error error) {
    std::string text = llvm::toString(std::move(error));
    std::lock_guard<std::mutex> lock(mutex_);
    if (!text_.empty())
      text += "\n" + text_;
    text_.clear();
    return makeError(text);
  }

private:
  std::mutex mutex_;
  std::string text_;
};

/// LLVMContext's default handler prints backend errors from ORC's code
/// generation to stderr and exits the process; log them and let the lookup
/// fail instead.
void logBackendDiagnostic(const llvm::DiagnosticInfo *info, void *log) {
  if (info->getSeverity() == llvm::DS_Error)
    static_cast<ErrorLog *>(log)->add(*info);
}

llvm::CodeGenOptLevel codeGenLevel(int optLevel) {
  switch (optLevel) {
  case 0:
    return llvm::CodeGenOptLevel::None;
  case 1:
    return llvm::CodeGenOptLevel::Less;
  case 2:
    return llvm::CodeGenOptLevel::Default;
  default:
    return llvm::CodeGenOptLevel::Aggressive;
  }
}

/// Names ORC must resolve for \p module to be fully compiled: every symbol
/// it defines with external linkage. Looking them all up at once makes ORC
/// generate and link the whole module inside compile().
std::vector<std::string> definedSymbols(const llvm::Module &module) {
  std::vector<std::string> names;
  for (const llvm::GlobalValue &value : module.global_values())
    if (!value.isDeclarationForLinker() && !value.hasLocalLinkage() &&
        value.hasName() && !value.getName().starts_with("llvm."))
      names.push_back(value.getName().str());
  return names;
}

} // namespace

//===----------------------------------------------------------------------===//
// JitModule
//===----------------------------------------------------------------------===//

struct JitModule::Impl {
  /// Creates the LLJIT, adds \p module to it and generates all its code.
  llvm::Error load(std::unique_ptr<llvm::Module> module,
                   std::unique_ptr<llvm::LLVMContext> context,
                   const jit_detail::TargetConfig &target,
                   const std::map<std::string, void *> &hostSymbols);

  std::string name;
  JitStats stats;
  /// Whether static constructors ran, so destructors are due.
  bool hasInitializers = false;
  // Declared before the LLJIT, which reports into it until destroyed.
  std::shared_ptr<ErrorLog> log = std::make_shared<ErrorLog>();
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

JitModule::JitModule(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

JitModule::~JitModule() {
  // Mirror initialize(): run static destructors before the code goes away.
  // A destructor cannot report failure, and the memory is freed regardless.
  if (impl_->hasInitializers)
    llvm::consumeError(impl_->jit->deinitialize(impl_->jit->getMainJITDylib()));
}

llvm::Expected<void *> JitModule::lookup(llvm::StringRef symbol) {
  llvm::Expected<llvm::orc::ExecutorAddr> address = impl_->jit->lookup(symbol);
  if (!address)
    return impl_->log->explain(
        makeError("gradc JIT: no symbol '" + symbol + "' in module '" +
                  impl_->name + "': " + llvm::toString(address.takeError())));
  return address->toPtr<void *>();
}

const std::string &JitModule::name() const { return impl_->name; }

const JitStats &JitModule::stats() const { return impl_->stats; }

//===----------------------------------------------------------------------===//
// Jit
//===----------------------------------------------------------------------===//

struct Jit::Config {
  jit_detail::TargetConfig target;
};

Jit::Jit(JitOptions options, std::unique_ptr<Config> config)
    : options_(std::move(options)), config_(std::move(config)) {}

Jit::~Jit() = default;

const JitOptions &Jit::options() const { return options_; }

const std::string &Jit::targetCPU() const { return config_->target.cpu; }

llvm::Expected<std::unique_ptr<Jit>> Jit::create(JitOptions options) {
  llvm::Expected<jit_detail::TargetConfig> target =
      jit_detail::resolveTarget(options);
  if (!target)
    return target.takeError();
  auto config = std::make_unique<Config>();
  config->target = std::move(*target);
  return std::unique_ptr<Jit>(new Jit(std::move(options), std::move(config)));
}

namespace {

/// Builds the JITDylib that generated code links against: \p hostSymbols
/// first, then whatever the host process exports (libm, BLAS, ...). It sits
/// behind the module's own JITDylib in the link order, so JitModule::lookup
/// only finds what the module itself defines.
llvm::Expected<llvm::orc::JITDylibSP>
createHostJITDylib(llvm::orc::LLJIT &jit,
                   const std::map<std::string, void *> &hostSymbols) {
  llvm::orc::JITDylib &host =
      jit.getExecutionSession().createBareJITDylib("<host>");
  if (!hostSymbols.empty()) {
    llvm::orc::SymbolMap definitions;
    for (const auto &[name, address] : hostSymbols)
      definitions[jit.mangleAndIntern(name)] = llvm::orc::ExecutorSymbolDef(
          llvm::orc::ExecutorAddr::fromPtr(address),
          llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
    if (llvm::Error error =
            host.define(llvm::orc::absoluteSymbols(std::move(definitions))))
      return error;
  }
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      jit.getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  host.addGenerator(std::move(*process));
  return &host;
}

/// A fresh LLJIT generating code for \p target and resolving undefined
/// symbols as createHostJITDylib() says.
llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>>
createLLJIT(const jit_detail::TargetConfig &target,
            const std::map<std::string, void *> &hostSymbols,
            std::shared_ptr<ErrorLog> log) {
  llvm::orc::JITTargetMachineBuilder machine{llvm::Triple(target.triple)};
  machine.setCPU(target.cpu);
  machine.addFeatures(target.features);
  machine.setCodeGenOptLevel(codeGenLevel(target.optLevel));

  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(machine))
                 .setProcessSymbolsJITDylibSetup([&](llvm::orc::LLJIT &jit) {
                   return createHostJITDylib(jit, hostSymbols);
                 })
                 .create();
  if (!jit)
    return jit.takeError();
  (*jit)->getExecutionSession().setErrorReporter(
      [log](llvm::Error error) { log->add(std::move(error)); });
  return jit;
}

/// Generates and links all of the module's code now, so failures surface in
/// compile() and the first call through a looked-up pointer is not slow.
llvm::Error materializeAll(llvm::orc::LLJIT &jit,
                           const std::vector<std::string> &names) {
  if (names.empty())
    return llvm::Error::success();
  llvm::orc::SymbolLookupSet symbols;
  for (const std::string &name : names)
    symbols.add(jit.mangleAndIntern(name));
  auto &session = jit.getExecutionSession();
  return session
      .lookup(llvm::orc::makeJITDylibSearchOrder(&jit.getMainJITDylib()),
              std::move(symbols))
      .takeError();
}

} // namespace

llvm::Error
JitModule::Impl::load(std::unique_ptr<llvm::Module> module,
                      std::unique_ptr<llvm::LLVMContext> context,
                      const jit_detail::TargetConfig &target,
                      const std::map<std::string, void *> &hostSymbols) {
  context->setDiagnosticHandlerCallBack(logBackendDiagnostic, log.get());
  std::vector<std::string> names = definedSymbols(*module);
  bool needsInitializers = module->getNamedGlobal("llvm.global_ctors") ||
                           module->getNamedGlobal("llvm.global_dtors");

  auto created = createLLJIT(target, hostSymbols, log);
  if (!created)
    return created.takeError();
  jit = std::move(*created);
  if (llvm::Error error = jit->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context))))
    return log->explain(std::move(error));
  if (llvm::Error error = materializeAll(*jit, names))
    return log->explain(makeError("gradc JIT: cannot link module '" + name +
                                  "': " + llvm::toString(std::move(error))));
  // Generated code has no dynamic initializers by design; run them anyway
  // if some appear, rather than hand out a half-initialized module.
  if (needsInitializers) {
    if (llvm::Error error = jit->initialize(jit->getMainJITDylib()))
      return log->explain(std::move(error));
    hasInitializers = true;
  }
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<JitModule>>
Jit::compile(llvm::StringRef cppSource, llvm::StringRef moduleName) {
  auto impl = std::make_unique<JitModule::Impl>();
  impl->name = moduleName.str();

  auto start = std::chrono::steady_clock::now();
  auto context = std::make_unique<llvm::LLVMContext>();
  llvm::Expected<std::unique_ptr<llvm::Module>> module =
      jit_detail::compileToModule(cppSource, moduleName, config_->target,
                                  *context);
  if (!module)
    return module.takeError();
  impl->stats.frontendMs = millisecondsSince(start);

  start = std::chrono::steady_clock::now();
  if (llvm::Error error = impl->load(std::move(*module), std::move(context),
                                     config_->target, options_.hostSymbols))
    return error;
  impl->stats.jitMs = millisecondsSince(start);
  return std::unique_ptr<JitModule>(new JitModule(std::move(impl)));
}

//===----------------------------------------------------------------------===//
// Ahead-of-time outputs
//===----------------------------------------------------------------------===//

namespace {

llvm::Expected<std::string> emit(llvm::StringRef source,
                                 llvm::StringRef moduleName,
                                 const JitOptions &options,
                                 jit_detail::ClangOutput kind) {
  llvm::Expected<jit_detail::TargetConfig> target =
      jit_detail::resolveTarget(options);
  if (!target)
    return target.takeError();
  return jit_detail::compileToBytes(source, moduleName, *target, kind);
}

} // namespace

llvm::Expected<std::string> emitLLVMIR(llvm::StringRef cppSource,
                                       llvm::StringRef moduleName,
                                       const JitOptions &options) {
  return emit(cppSource, moduleName, options,
              jit_detail::ClangOutput::LLVMText);
}

llvm::Expected<std::string> emitAssembly(llvm::StringRef cppSource,
                                         llvm::StringRef moduleName,
                                         const JitOptions &options) {
  return emit(cppSource, moduleName, options,
              jit_detail::ClangOutput::Assembly);
}

llvm::Expected<std::string> emitObject(llvm::StringRef cppSource,
                                       llvm::StringRef moduleName,
                                       const JitOptions &options) {
  return emit(cppSource, moduleName, options, jit_detail::ClangOutput::Object);
}

} // namespace gradc
