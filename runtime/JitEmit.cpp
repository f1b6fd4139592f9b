//===- runtime/JitEmit.cpp - Text and object outputs of the JIT's clang ---===//
//
// The emit* functions of Jit.h: the same clang invocation the JIT runs,
// stopped at LLVM IR text, assembly or a relocatable object, for
// `gradc dump --emit llvm|asm` and `gradc compile --emit o`. No ORC here.
//
//===----------------------------------------------------------------------===//
#include "runtime/Jit.h"

#include "runtime/JitCompiler.h"

namespace gradc {

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
