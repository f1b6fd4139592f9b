//===- runtime/JitCompiler.h - clang as a library, for the JIT --*- C++ -*-===//
//
// Internal to runtime/: the clang half of the JIT. Runs one in-process clang
// invocation on an in-memory C++ buffer and returns the bytes of its output:
// an object file (which ORC links), LLVM IR text or assembly; or an
// optimized llvm::Module for the rare source ORC must compile itself. Jit.cpp owns
// the ORC half and the public API.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_RUNTIME_JITCOMPILER_H
#define GRADC_RUNTIME_JITCOMPILER_H

#include "runtime/Jit.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace gradc::jit_detail {

/// Everything that decides the generated code, resolved once from
/// JitOptions so concurrent compiles only read it.
struct TargetConfig {
  std::string triple;
  std::string cpu;
  /// "+avx2"-style feature switches; empty when an explicit CPU was chosen.
  std::vector<std::string> features;
  int optLevel = 1;
  /// Loops may call glibc's vector math library (libmvec) for exp, log,
  /// sin, cos and pow: clang's -fveclib=libmvec. Set on x86-64 GNU/Linux
  /// when the library loads; the JIT then resolves its symbols.
  bool vectorMath = false;
};

/// The vector math library's file name, loaded with dlopen.
constexpr const char *kVectorMathLibrary = "libmvec.so.1";

/// Initializes the native target once per process (thread-safe) and resolves
/// \p options against the host; fails on an invalid level or CPU name.
llvm::Expected<TargetConfig> resolveTarget(const JitOptions &options);

/// Everything of \p target that reaches the generated code, as text: the
/// exact -cc1 arguments the JIT passes to clang. Part of cache keys.
std::string targetFingerprint(const TargetConfig &target);

/// What a clang run produces besides diagnostics.
enum class ClangOutput { LLVMText, Assembly, Object };

/// Compiles \p source to an optimized module living in \p context (for
/// sources with static constructors, which ORC runs for IR only).
llvm::Expected<std::unique_ptr<llvm::Module>>
compileToModule(llvm::StringRef source, llvm::StringRef moduleName,
                const TargetConfig &target, llvm::LLVMContext &context);

/// Compiles \p source all the way to \p kind and returns its bytes.
llvm::Expected<std::string> compileToBytes(llvm::StringRef source,
                                           llvm::StringRef moduleName,
                                           const TargetConfig &target,
                                           ClangOutput kind);

} // namespace gradc::jit_detail

#endif // GRADC_RUNTIME_JITCOMPILER_H
