//===- runtime/Jit.cpp - In-process JIT for generated C++ -----------------===//
//
// The ORC half of the JIT. Every JitModule owns a whole LLJIT: a private
// execution session, target machine and JIT memory. That costs a little
// setup per module but gives what the runtime needs for free: modules never
// share mutable state (concurrent compiles need no locks), and destroying a
// module releases exactly its code.
//
// clang compiles the source all the way to an object file in memory (its
// own backend run, set up once with the rest of the invocation), and ORC
// only links that object: cheaper than handing ORC an IR module to compile
// with a second target machine. With a compile cache, compile() hashes the
// source and the target first; on a hit it links the stored object and
// never runs clang, on a miss it stores the object clang produced.
// compileObject() and link() split compile() in two, so that one object
// can be linked many times, each module with its own definitions of the
// data the code declares extern (the tables of runtime/CodeTemplate).
// The text and object outputs of the same clang run are in JitEmit.cpp.
//
//===----------------------------------------------------------------------===//

#include "runtime/Jit.h"

#include "ir/Error.h"
#include "runtime/CompileCache.h"
#include "runtime/JitCompiler.h"
#include "runtime/PerfMap.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/CompileUtils.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ObjectFileInterface.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

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
/// it defines with external linkage.
std::vector<std::string> definedSymbols(const llvm::Module &module) {
  std::vector<std::string> names;
  for (const llvm::GlobalValue &value : module.global_values())
    if (!value.isDeclarationForLinker() && !value.hasLocalLinkage() &&
        value.hasName() && !value.getName().starts_with("llvm."))
      names.push_back(value.getName().str());
  return names;
}

/// Whether \p object has static constructors or destructors to run. LLJIT
/// runs those of IR modules only (its IR platform turns them into an
/// initializer function), not those of objects.
bool hasInitializers(llvm::MemoryBufferRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(object);
  if (!file) {
    llvm::consumeError(file.takeError());
    return false;
  }
  for (const llvm::object::SectionRef &section : (*file)->sections()) {
    llvm::Expected<llvm::StringRef> name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (name->starts_with(".init_array") || name->starts_with(".fini_array") ||
        name->starts_with(".ctors") || name->starts_with(".dtors"))
      return true;
  }
  return false;
}

/// The name of the symbol every cached object defines to say which entry
/// it was compiled for: an entry is used only if its object defines the
/// marker of its own key, so an object copied under another key (even
/// with a recomputed header) is never linked in place of the right one.
std::string cacheMarker(llvm::StringRef key) {
  return "gradc_cache_entry_" + key.str();
}

/// Whether \p object defines the symbol \p name (with or without the
/// platform's leading underscore).
bool definesSymbol(llvm::MemoryBufferRef object, llvm::StringRef name) {
  auto file = llvm::object::ObjectFile::createObjectFile(object);
  if (!file) {
    llvm::consumeError(file.takeError());
    return false;
  }
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    llvm::Expected<uint32_t> flags = symbol.getFlags();
    llvm::Expected<llvm::StringRef> symbolName = symbol.getName();
    if (!flags || !symbolName) {
      if (!flags) llvm::consumeError(flags.takeError());
      if (!symbolName) llvm::consumeError(symbolName.takeError());
      continue;
    }
    if (*flags & llvm::object::SymbolRef::SF_Undefined) continue;
    if (*symbolName == name ||
        (symbolName->starts_with("_") && symbolName->drop_front() == name))
      return true;
  }
  return false;
}

} // namespace

//===----------------------------------------------------------------------===//
// JitModule
//===----------------------------------------------------------------------===//

struct JitModule::Impl {
  /// Creates the LLJIT, adds \p module to it, generates and links all its
  /// code and runs its static constructors (sources that have some).
  llvm::Error load(std::unique_ptr<llvm::Module> module,
                   std::unique_ptr<llvm::LLVMContext> context,
                   const jit_detail::TargetConfig &target,
                   const std::map<std::string, void *> &hostSymbols);
  /// Creates the LLJIT and links the compiled \p objects into it (parts
  /// of one module, which may call each other), with every symbol they
  /// define resolved (so the code is ready to call).
  llvm::Error
  loadObjects(std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects,
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
  /// Empty without a cache directory.
  std::optional<CompileCache> cache;
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
  if (!options.cacheDir.empty()) {
    uint64_t maxBytes = 0;
    try {
      maxBytes = defaultCacheMaxBytes();
    } catch (const Error &e) {
      return makeError(e.what());
    }
    config->cache.emplace(options.cacheDir, maxBytes);
  }
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

/// The data layout of \p target's machines. LLJIT would otherwise build a
/// whole TargetMachine per module just to ask it (about a millisecond of a
/// small graph's compile); the answer depends on the target alone, so it is
/// computed once per target and kept.
llvm::Expected<llvm::DataLayout>
dataLayoutFor(const jit_detail::TargetConfig &target,
              llvm::orc::JITTargetMachineBuilder &machine) {
  static std::mutex mutex;
  static std::map<std::string, llvm::DataLayout> layouts;
  const std::string key = jit_detail::targetFingerprint(target);
  std::lock_guard<std::mutex> lock(mutex);
  auto found = layouts.find(key);
  if (found != layouts.end())
    return found->second;
  auto layout = machine.getDefaultDataLayoutForTarget();
  if (!layout)
    return layout.takeError();
  layouts.emplace(key, *layout);
  return *layout;
}

/// A fresh LLJIT for \p target, resolving undefined symbols as
/// createHostJITDylib() says. Mostly it only links objects clang generated;
/// it compiles IR for sources with static constructors, so its IR compiler
/// creates a TargetMachine when (and only when) it is asked to compile.
llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>>
createLLJIT(const jit_detail::TargetConfig &target,
            const std::map<std::string, void *> &hostSymbols,
            std::shared_ptr<ErrorLog> log) {
  llvm::orc::JITTargetMachineBuilder machine{llvm::Triple(target.triple)};
  machine.setCPU(target.cpu);
  machine.addFeatures(target.features);
  machine.setCodeGenOptLevel(codeGenLevel(target.optLevel));
  auto layout = dataLayoutFor(target, machine);
  if (!layout)
    return layout.takeError();

  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(std::move(machine))
      .setDataLayout(std::move(*layout))
      .setCompileFunctionCreator(
          [](llvm::orc::JITTargetMachineBuilder jtmb)
              -> llvm::Expected<
                  std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
            return std::make_unique<llvm::orc::ConcurrentIRCompiler>(
                std::move(jtmb));
          })
      .setProcessSymbolsJITDylibSetup([&](llvm::orc::LLJIT &jit) {
        return createHostJITDylib(jit, hostSymbols);
      });
  auto jit = builder.create();
  if (!jit)
    return jit.takeError();
  (*jit)->getExecutionSession().setErrorReporter(
      [log](llvm::Error error) { log->add(std::move(error)); });
  return jit;
}

/// The cache key of one compile: the source and everything else that
/// decides the object's bytes. Bump the format tag when the JIT's own code
/// generation settings change in a way the -cc1 arguments do not show.
std::string cacheKey(llvm::StringRef source, llvm::StringRef moduleName,
                     const jit_detail::TargetConfig &target) {
  std::string fingerprint = jit_detail::targetFingerprint(target);
  return CompileCache::makeKey({"gradc-jit-object-3", GRADC_VERSION_STRING,
                                LLVM_VERSION_STRING, fingerprint, moduleName,
                                source});
}

/// \p source with the marker of its cache \p key appended (see
/// cacheMarker): what is compiled and stored under that key.
std::string markedSource(llvm::StringRef source, llvm::StringRef key) {
  return source.str() + "\nextern \"C\" __attribute__((used)) const char " +
         cacheMarker(key) + " = 0;\n";
}

/// The stored object of \p key, if the cache has one that defines the
/// key's marker. A well-formed entry compiled from another source is
/// evicted, so the next store replaces it with the right object.
std::unique_ptr<llvm::MemoryBuffer> loadVerified(CompileCache &cache,
                                                 const std::string &key) {
  auto object = cache.load(key);
  if (object && !definesSymbol(object->getMemBufferRef(), cacheMarker(key))) {
    cache.remove(key);
    object.reset();
  }
  return object;
}

/// \p object as the one-element list JitModule::Impl::loadObjects takes.
std::vector<std::unique_ptr<llvm::MemoryBuffer>>
oneObject(std::unique_ptr<llvm::MemoryBuffer> object) {
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects;
  objects.push_back(std::move(object));
  return objects;
}

/// Stack of the threads that run clang on the parts of a unit: clang
/// recurses as deep as a function is long, and a fused kernel of a few
/// thousand ops overflowed an 8 MiB stack. Reserved, committed only as
/// touched.
constexpr unsigned kPartStackBytes = 1u << 30;

} // namespace

llvm::Error
JitModule::Impl::load(std::unique_ptr<llvm::Module> module,
                      std::unique_ptr<llvm::LLVMContext> context,
                      const jit_detail::TargetConfig &target,
                      const std::map<std::string, void *> &hostSymbols) {
  context->setDiagnosticHandlerCallBack(logBackendDiagnostic, log.get());
  std::vector<std::string> names = definedSymbols(*module);
  auto created = createLLJIT(target, hostSymbols, log);
  if (!created)
    return created.takeError();
  jit = std::move(*created);
  if (llvm::Error error = jit->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context))))
    return log->explain(std::move(error));
  if (!names.empty()) {
    llvm::orc::SymbolLookupSet symbols;
    for (const std::string &symbol : names)
      symbols.add(jit->mangleAndIntern(symbol));
    if (llvm::Error error =
            jit->getExecutionSession()
                .lookup(llvm::orc::makeJITDylibSearchOrder(&jit->getMainJITDylib()),
                        std::move(symbols))
                .takeError())
      return log->explain(makeError("gradc JIT: cannot link module '" + name +
                                    "': " + llvm::toString(std::move(error))));
  }
  if (llvm::Error error = jit->initialize(jit->getMainJITDylib()))
    return log->explain(std::move(error));
  hasInitializers = true;
  return llvm::Error::success();
}

llvm::Error JitModule::Impl::loadObjects(
    std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects,
    const jit_detail::TargetConfig &target,
    const std::map<std::string, void *> &hostSymbols) {
  auto created = createLLJIT(target, hostSymbols, log);
  if (!created)
    return created.takeError();
  jit = std::move(*created);
  // The objects' own symbol tables say what to materialize, as
  // definedSymbols() does for a module.
  llvm::orc::SymbolLookupSet symbols;
  bool needsInitializers = false;
  const bool perfMap = perfMapEnabled();
  std::vector<ObjectFunctions> functions;
  for (std::unique_ptr<llvm::MemoryBuffer> &object : objects) {
    if (perfMap)
      functions.push_back(objectFunctions(object->getMemBufferRef()));
    auto interface = llvm::orc::getObjectFileInterface(
        jit->getExecutionSession(), object->getMemBufferRef());
    if (!interface)
      return interface.takeError();
    for (const auto &[symbol, flags] : interface->SymbolFlags)
      if (symbol != interface->InitSymbol &&
          !flags.hasMaterializationSideEffectsOnly())
        symbols.add(symbol);
    needsInitializers |= interface->InitSymbol != nullptr;
    if (llvm::Error error = jit->addObjectFile(std::move(object)))
      return log->explain(std::move(error));
  }
  if (!symbols.empty())
    if (llvm::Error error =
            jit->getExecutionSession()
                .lookup(llvm::orc::makeJITDylibSearchOrder(
                            &jit->getMainJITDylib()),
                        std::move(symbols))
                .takeError())
      return log->explain(makeError("gradc JIT: cannot link module '" +
                                    name + "': " +
                                    llvm::toString(std::move(error))));
  if (needsInitializers) {
    if (llvm::Error error = jit->initialize(jit->getMainJITDylib()))
      return log->explain(std::move(error));
    hasInitializers = true;
  }
  for (const ObjectFunctions &f : functions)
    appendPerfMap(f, [&](const std::string &symbol) -> std::optional<uint64_t> {
      auto address = jit->lookup(symbol);
      if (!address) {
        llvm::consumeError(address.takeError());
        return std::nullopt;
      }
      return address->getValue();
    });
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<JitModule>>
Jit::compile(llvm::StringRef cppSource, llvm::StringRef moduleName) {
  auto impl = std::make_unique<JitModule::Impl>();
  impl->name = moduleName.str();

  auto start = std::chrono::steady_clock::now();
  std::string key;
  std::string marked;
  if (config_->cache) {
    key = cacheKey(cppSource, moduleName, config_->target);
    // The object also defines a marker naming its key (see cacheMarker).
    marked = markedSource(cppSource, key);
    cppSource = marked;
    auto object = loadVerified(*config_->cache, key);
    if (object) {
      impl->stats.frontendMs = millisecondsSince(start);
      start = std::chrono::steady_clock::now();
      llvm::Error error = impl->loadObjects(oneObject(std::move(object)),
                                            config_->target, options_.hostSymbols);
      if (!error) {
        impl->stats.jitMs = millisecondsSince(start);
        impl->stats.cacheHit = true;
        return std::unique_ptr<JitModule>(new JitModule(std::move(impl)));
      }
      // An entry that passed the checks but does not link (say, written by
      // a differently built gradc of the same version): drop it and compile
      // afresh, which stores a good one.
      llvm::consumeError(std::move(error));
      config_->cache->remove(key);
      impl = std::make_unique<JitModule::Impl>();
      impl->name = moduleName.str();
      start = std::chrono::steady_clock::now();
    }
  }

  llvm::Expected<std::string> object = jit_detail::compileToBytes(
      cppSource, moduleName, config_->target, jit_detail::ClangOutput::Object);
  if (!object)
    return object.takeError();
  if (hasInitializers(llvm::MemoryBufferRef(*object, impl->name))) {
    // Generated code has none by design; other sources may. Compile them
    // through ORC's IR layer, which runs them, and do not cache them.
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
  impl->stats.frontendMs = millisecondsSince(start);

  start = std::chrono::steady_clock::now();
  // Stored before linking: a store failure only costs the next compile.
  if (config_->cache)
    config_->cache->store(key, *object);
  if (llvm::Error error = impl->loadObjects(
          oneObject(llvm::MemoryBuffer::getMemBufferCopy(*object, impl->name + ".o")),
          config_->target, options_.hostSymbols))
    return error;
  impl->stats.jitMs = millisecondsSince(start);
  return std::unique_ptr<JitModule>(new JitModule(std::move(impl)));
}

llvm::Expected<std::string> Jit::objectOf(llvm::StringRef cppSource, llvm::StringRef name,
                                         bool useCache, bool *cacheHit) {
  if (cacheHit) *cacheHit = false;
  std::string key, marked;
  if (config_->cache) {
    key = cacheKey(cppSource, name, config_->target);
    marked = markedSource(cppSource, key);
    cppSource = marked;
    if (useCache)
      if (auto object = loadVerified(*config_->cache, key)) {
        if (cacheHit) *cacheHit = true;
        return object->getBuffer().str();
      }
  }
  llvm::Expected<std::string> object = jit_detail::compileToBytes(
      cppSource, name, config_->target, jit_detail::ClangOutput::Object);
  if (!object)
    return object.takeError();
  // Generated code never has static constructors; the single-unit
  // compile() handles sources that do.
  if (hasInitializers(llvm::MemoryBufferRef(*object, name)))
    return makeError("gradc JIT: '" + name +
                     "' has static constructors, which a linked object or a "
                     "split unit may not");
  if (config_->cache)
    config_->cache->store(key, *object);
  return object;
}

llvm::Expected<std::string> Jit::compileObject(llvm::StringRef cppSource,
                                              llvm::StringRef moduleName, bool *cacheHit) {
  return objectOf(cppSource, moduleName, /*useCache=*/true, cacheHit);
}

llvm::Expected<std::unique_ptr<JitModule>>
Jit::link(const std::vector<const std::string *> &objects, llvm::StringRef moduleName,
          const std::map<std::string, void *> &symbols) {
  auto impl = std::make_unique<JitModule::Impl>();
  impl->name = moduleName.str();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  for (size_t i = 0; i < objects.size(); ++i)
    buffers.push_back(llvm::MemoryBuffer::getMemBufferCopy(
        *objects[i], impl->name + "_part" + std::to_string(i) + ".o"));
  std::map<std::string, void *> all = options_.hostSymbols;
  for (const auto &kv : symbols) all[kv.first] = kv.second;
  if (llvm::Error error = impl->loadObjects(std::move(buffers), config_->target, all))
    return error;
  impl->stats.jitMs = millisecondsSince(start);
  return std::unique_ptr<JitModule>(new JitModule(std::move(impl)));
}

llvm::Expected<std::unique_ptr<JitModule>>
Jit::compileParts(const std::vector<std::string> &units,
                  llvm::StringRef moduleName) {
  if (units.size() == 1)
    return compile(units[0], moduleName);
  llvm::Expected<std::unique_ptr<JitModule>> module =
      compilePartsOnce(units, moduleName, /*useCache=*/true);
  if (module || !config_->cache)
    return module;
  // Entries that passed the checks but do not link (say, written by a
  // differently built gradc of the same version): compile every part
  // afresh, which stores good ones.
  llvm::consumeError(module.takeError());
  return compilePartsOnce(units, moduleName, /*useCache=*/false);
}

llvm::Expected<std::unique_ptr<JitModule>>
Jit::compilePartsOnce(const std::vector<std::string> &units,
                      llvm::StringRef moduleName, bool useCache) {
  auto impl = std::make_unique<JitModule::Impl>();
  impl->name = moduleName.str();
  auto start = std::chrono::steady_clock::now();

  // One object per part, from the cache or from clang. Parts are taken from
  // a shared counter by as many threads as the machine has cores.
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects(units.size());
  std::vector<std::string> errors(units.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> allHits{true};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < units.size();) {
      std::string partName = impl->name + "_part" + std::to_string(i);
      bool hit = false;
      llvm::Expected<std::string> object = objectOf(units[i], partName, useCache, &hit);
      if (!hit) allHits = false;
      if (!object) {
        errors[i] = llvm::toString(object.takeError());
        continue;
      }
      objects[i] = llvm::MemoryBuffer::getMemBufferCopy(*object, partName + ".o");
    }
  };
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<llvm::thread> helpers;
  for (size_t t = 1; t < std::min<size_t>(cores, units.size()); ++t)
    helpers.emplace_back(std::optional<unsigned>(kPartStackBytes), work);
  work();
  for (llvm::thread &helper : helpers)
    helper.join();
  for (const std::string &error : errors)
    if (!error.empty())
      return makeError(error);
  impl->stats.frontendMs = millisecondsSince(start);
  impl->stats.cacheHit = allHits;

  start = std::chrono::steady_clock::now();
  if (llvm::Error error = impl->loadObjects(std::move(objects), config_->target,
                                            options_.hostSymbols))
    return error;
  impl->stats.jitMs = millisecondsSince(start);
  return std::unique_ptr<JitModule>(new JitModule(std::move(impl)));
}

} // namespace gradc
