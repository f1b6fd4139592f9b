//===- runtime/Jit.h - In-process JIT for generated C++ ---------*- C++ -*-===//
//
// Compiles one self-contained C++ translation unit (the output of codegen/)
// in-process with clang's libraries and makes its functions callable through
// ORC LLJIT. The same clang invocation also produces textual LLVM IR,
// assembly and ELF objects for `gradc dump` and ahead-of-time compilation.
//
// The input must not #include anything: it declares what it calls
// (`extern "C" float expf(float);`, `cblas_sgemm`, ...) and the JIT resolves
// those symbols from the host process. All errors, including clang's
// diagnostics with file:line:col, come back as llvm::Error values.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_RUNTIME_JIT_H
#define GRADC_RUNTIME_JIT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gradc {

/// Code generation options shared by the JIT and the emit* functions.
struct JitOptions {
  /// Optimization level, 0..3, as clang's -O0..-O3, except that the loop
  /// and SLP vectorizers run from -O1 up (clang's driver starts them at
  /// -O2). The default, -O1, gives generated code (already fused and flat)
  /// the speed of -O2 in less compile time (docs/performance.md). Floating
  /// point stays IEEE at every level: no fast-math, so NaN and Inf
  /// propagate as usual.
  int optLevel = 1;
  /// Target CPU name as in -mcpu (e.g. "x86-64-v3", "znver4"). Empty (or
  /// "native") means the host CPU together with its detected features.
  std::string cpu;
  /// Symbols JIT-compiled code may call, by C name, resolved before the
  /// process's exported symbols are searched. Register runtime support
  /// functions here: it keeps working when the linker dropped an unreferenced
  /// library (--as-needed) or archive member, or the executable does not
  /// export its symbols. Ignored by the emit* functions.
  std::map<std::string, void *> hostSymbols;
  /// Directory of the on-disk compile cache (runtime/CompileCache.h); empty
  /// disables it. With a cache, compile() first looks for an object compiled
  /// earlier from the same source with the same target and options, and
  /// skips clang when it finds one; new objects are stored, and the least
  /// recently used ones deleted beyond GRADC_CACHE_MAX_BYTES (default
  /// 1 GiB). Ignored by the emit* functions.
  std::string cacheDir;
};

/// Wall-clock cost of turning source into callable code, for `gradc bench`.
struct JitStats {
  /// Clang: parse, LLVM IR generation, the optimization pipeline and
  /// machine code generation, to an object file in memory.
  double frontendMs = 0;
  /// ORC: JIT setup and linking the object in memory.
  double jitMs = 0;
  /// True if the object came from the compile cache (frontendMs is then
  /// the time to compute the key and read the entry).
  bool cacheHit = false;
  /// The whole source-to-pointer time.
  double totalMs() const { return frontendMs + jitMs; }
};

/// One compiled translation unit, loaded in memory and ready to call.
/// Modules are independent of each other and of the Jit that made them;
/// destroying a module frees its code, so pointers returned by lookup() must
/// not be used afterwards.
class JitModule {
public:
  ~JitModule();
  JitModule(const JitModule &) = delete;
  JitModule &operator=(const JitModule &) = delete;

  /// Address of the function or global named \p symbol (the unmangled
  /// C name: declare entry points `extern "C"`). Fails if the module does
  /// not define it. Safe to call from several threads at once.
  llvm::Expected<void *> lookup(llvm::StringRef symbol);

  /// lookup() cast to a function pointer type, e.g.
  /// `auto fn = mod->lookupFunction<void(int, float *)>("kernel");`.
  template <typename Signature>
  llvm::Expected<Signature *> lookupFunction(llvm::StringRef symbol) {
    llvm::Expected<void *> address = lookup(symbol);
    if (!address)
      return address.takeError();
    return reinterpret_cast<Signature *>(*address);
  }

  /// The module name given to Jit::compile().
  const std::string &name() const;

  /// How long compile() took for this module, split by phase.
  const JitStats &stats() const;

private:
  friend class Jit;
  struct Impl;
  explicit JitModule(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Compiles generated C++ into JitModules. Create one per process (or per
/// set of options) and share it: compile() may be called concurrently from
/// several threads on the same Jit.
class Jit {
public:
  ~Jit();
  Jit(const Jit &) = delete;
  Jit &operator=(const Jit &) = delete;

  /// Initializes the native target (once per process) and validates
  /// \p options; fails on a bad optLevel or an unknown CPU name.
  static llvm::Expected<std::unique_ptr<Jit>> create(JitOptions options = {});

  /// Compiles \p cppSource and links it into a new module whose functions
  /// are callable as soon as this returns (all code is generated eagerly).
  /// \p moduleName names the module and the virtual source file, so clang's
  /// diagnostics read "moduleName.cpp:LINE:COL: error: ...". Fails with those
  /// diagnostics on a compile error, or if the code references a symbol
  /// that neither JitOptions::hostSymbols nor the host process provides.
  llvm::Expected<std::unique_ptr<JitModule>>
  compile(llvm::StringRef cppSource, llvm::StringRef moduleName);

  /// Like compile(), for one module written as several translation units
  /// that call each other's functions (codegen/UnitSplit.h): clang compiles
  /// them at the same time, one per hardware thread, and ORC links all the
  /// objects into one module. Each part is cached on its own. Parts may
  /// not have static constructors. Fails with the first part's error.
  llvm::Expected<std::unique_ptr<JitModule>>
  compileParts(const std::vector<std::string> &units,
               llvm::StringRef moduleName);

  /// Clang's object code for \p cppSource (from the compile cache when it
  /// has it), to be linked, possibly many times, by link(). Sources with
  /// static constructors are refused (generated code has none).
  llvm::Expected<std::string> compileObject(llvm::StringRef cppSource,
                                            llvm::StringRef moduleName,
                                            bool *cacheHit = nullptr);
  /// Links \p objects (from compileObject) into a new module. \p symbols are
  /// defined for it in addition to JitOptions::hostSymbols: data the code
  /// declares extern, such as the table of a runtime/CodeTemplate, which
  /// each module may define differently. No clang, only linking.
  llvm::Expected<std::unique_ptr<JitModule>>
  link(const std::vector<const std::string *> &objects, llvm::StringRef moduleName,
       const std::map<std::string, void *> &symbols);
  /// The options this Jit was created with.
  const JitOptions &options() const;

  /// The target CPU code is generated for (the host CPU name by default).
  const std::string &targetCPU() const;

private:
  /// compileParts() with or without reading the cache (it always stores).
  llvm::Expected<std::unique_ptr<JitModule>>
  compilePartsOnce(const std::vector<std::string> &units,
                   llvm::StringRef moduleName, bool useCache);
  /// The object of one unit that must have no static constructors: from
  /// the cache when \p useCache and it has it (then *cacheHit is set), else
  /// from clang, and stored. compileObject() and each part of
  /// compilePartsOnce().
  llvm::Expected<std::string> objectOf(llvm::StringRef cppSource, llvm::StringRef name,
                                       bool useCache, bool *cacheHit);
  struct Config;
  explicit Jit(JitOptions options, std::unique_ptr<Config> config);
  JitOptions options_;
  std::unique_ptr<Config> config_;
};

/// Optimized textual LLVM IR of \p cppSource, from the same clang invocation
/// the JIT uses (for `gradc dump --emit llvm`).
llvm::Expected<std::string> emitLLVMIR(llvm::StringRef cppSource,
                                       llvm::StringRef moduleName,
                                       const JitOptions &options = {});

/// Target assembly (AT&T syntax on x86) of \p cppSource, from the same clang
/// invocation the JIT uses (for `gradc dump --emit asm`).
llvm::Expected<std::string> emitAssembly(llvm::StringRef cppSource,
                                         llvm::StringRef moduleName,
                                         const JitOptions &options = {});

/// A position-independent ELF relocatable object for \p cppSource: the bytes
/// of NAME.o, which the caller writes out (for `gradc compile --emit o`).
/// The object references math and BLAS symbols the final link must provide.
llvm::Expected<std::string> emitObject(llvm::StringRef cppSource,
                                       llvm::StringRef moduleName,
                                       const JitOptions &options = {});

} // namespace gradc

#endif // GRADC_RUNTIME_JIT_H
