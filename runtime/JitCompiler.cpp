//===- runtime/JitCompiler.cpp - clang as a library, for the JIT ----------===//
//
// One clang -cc1 invocation per compile, entirely in memory: the source is a
// MemoryBuffer input, diagnostics and outputs go to strings (or an
// llvm::Module). Nothing here is shared between calls except the
// immutable host description, so concurrent compiles are safe.
//
//===----------------------------------------------------------------------===//

#include "runtime/JitCompiler.h"

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/CodeGen/CodeGenAction.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/FrontendOptions.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace gradc::jit_detail {
namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// LLVM's target registries are global; they must be filled exactly once
/// before any thread creates a TargetMachine.
llvm::Error initializeNativeTargetOnce() {
  static std::once_flag once;
  static bool failed = false;
  std::call_once(once, [] {
    failed = llvm::InitializeNativeTarget() ||
             llvm::InitializeNativeTargetAsmPrinter() ||
             llvm::InitializeNativeTargetAsmParser();
  });
  if (failed)
    return makeError("gradc JIT: LLVM has no native target for " +
                     llvm::sys::getProcessTriple());
  return llvm::Error::success();
}

/// The host as clang should see it with -march=native.
struct HostDescription {
  std::string triple;
  std::string cpu;
  std::vector<std::string> features;
};

/// Host detection reads /proc and cpuid; do it once and share the result.
const HostDescription &host() {
  static const HostDescription description = [] {
    HostDescription h;
    h.triple = llvm::sys::getProcessTriple();
    h.cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      h.features.push_back((feature.second ? "+" : "-") +
                           feature.first().str());
    // StringMap order is unspecified; sorting keeps IR dumps reproducible.
    std::sort(h.features.begin(), h.features.end());
    return h;
  }();
  return description;
}

/// glibc's libmvec has the vector variants clang's -fveclib=libmvec calls
/// (x86-64 only). Loaded once, for good, so the JIT can resolve them.
bool vectorMathAvailable(const std::string &triple) {
  llvm::Triple t(triple);
  if (t.getArch() != llvm::Triple::x86_64 || !t.isOSLinux() ||
      t.getEnvironment() != llvm::Triple::GNU)
    return false;
  static const bool loaded =
      llvm::sys::DynamicLibrary::getPermanentLibrary(kVectorMathLibrary).isValid();
  return loaded;
}

llvm::Error checkCPUName(const std::string &triple, const std::string &cpu) {
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target)
    return makeError("gradc JIT: " + lookupError);
  // Ask a generic subtarget: creating one for a bad name prints a warning.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu))
    return makeError("gradc JIT: unknown target CPU '" + cpu + "' for " +
                     triple);
  return llvm::Error::success();
}

/// The -cc1 command line. What is left out matters as much: no
/// -ffast-math (IEEE NaN/Inf), no -fmath-errno (so libm calls are pure and
/// can be hoisted), no exceptions, no include paths (the source has none).
std::vector<std::string> cc1Arguments(const TargetConfig &target,
                                      bool keepValueNames) {
  std::vector<std::string> args = {
      "-triple", target.triple, "-target-cpu", target.cpu,
      "-O" + std::to_string(target.optLevel),
      // The language options come from here, not from the input we add
      // later, so the language must be spelled out.
      "-x", "c++", "-std=c++17", "-fno-rtti",
      // The clang driver's default: a*b+c within one expression may become
      // an FMA (one IEEE rounding instead of two; NaN/Inf unaffected).
      "-ffp-contract=on",
      // The object file may end up in a user's shared library.
      "-mrelocation-model", "pic", "-pic-level", "2", "-nostdsysteminc",
      "-nobuiltininc", "-ferror-limit", "20",
      // No predefined macros: generated code uses none (it has no
      // #include), and clang would otherwise write and lex some 400
      // #defines of the target's features before every compile.
      "-undef"};
  for (const std::string &feature : target.features) {
    args.push_back("-target-feature");
    args.push_back(feature);
  }
  // The driver turns these on at -O2 and above; -cc1 does not, and without
  // them nothing gets vectorized. gradc turns them on at -O1 as well: the
  // generated loops are already fused and flat, so -O1 plus the vectorizers
  // gives the code -O2 gives, in less compile time (docs/performance.md).
  if (target.optLevel >= 1) {
    args.push_back("-vectorize-loops");
    args.push_back("-vectorize-slp");
  }
  // Vectorized loops call libmvec's exp, log, sin, cos and pow (at most 4
  // ulp from the correctly rounded result, as glibc documents) instead of
  // leaving those calls scalar.
  if (target.vectorMath)
    args.push_back("-fveclib=libmvec");
  // Value names only help a human reading the IR; they cost time otherwise.
  if (!keepValueNames)
    args.push_back("-discard-value-names");
  // The IR comes from clang itself, so verifying it before and after the
  // pipeline only finds clang bugs; the clang driver of a release build
  // leaves it out too. About 3% of a small unit's compile (callgrind).
  args.push_back("-disable-llvm-verifier");
  return args;
}

/// The -cc1 command line of \p target, parsed. Parsing it (a hundred
/// target features among them) costs about half a millisecond, the same
/// for every compile, so each distinct command line is parsed once and
/// copied per compile. Null when clang rejects the arguments; the reasons
/// go to \p printer.
std::shared_ptr<const clang::CompilerInvocation>
parsedInvocation(const TargetConfig &target, bool keepValueNames,
                 llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> options,
                 clang::TextDiagnosticPrinter &printer) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const clang::CompilerInvocation>>
      parsed;
  std::vector<std::string> args = cc1Arguments(target, keepValueNames);
  std::string key;
  for (const std::string &arg : args)
    key += arg + '\n';
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = parsed.find(key);
    if (found != parsed.end())
      return found->second;
  }
  std::vector<const char *> argv;
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  clang::DiagnosticsEngine diagnostics(new clang::DiagnosticIDs(), options,
                                       &printer, /*ShouldOwnClient=*/false);
  if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv,
                                                 diagnostics))
    return nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  return parsed.emplace(key, std::move(invocation)).first->second;
}

std::string virtualFileName(llvm::StringRef moduleName) {
  return (moduleName.empty() ? std::string("gradc_module") : moduleName.str()) +
         ".cpp";
}

/// Runs \p action on \p source with \p output (may be null) as its output
/// stream. Diagnostics are collected and returned in the error on failure.
llvm::Error runClang(llvm::StringRef source, llvm::StringRef moduleName,
                     const TargetConfig &target, bool keepValueNames,
                     clang::FrontendAction &action,
                     std::unique_ptr<llvm::raw_pwrite_stream> output) {
  std::string diagnosticText;
  llvm::raw_string_ostream diagnosticStream(diagnosticText);
  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> diagnosticOptions(
      new clang::DiagnosticOptions());
  clang::TextDiagnosticPrinter printer(diagnosticStream,
                                       diagnosticOptions.get());
  const std::string fileName = virtualFileName(moduleName);
  auto failure = [&](const llvm::Twine &what) {
    diagnosticStream.flush();
    llvm::StringRef text = llvm::StringRef(diagnosticText).rtrim();
    return makeError("gradc JIT: " + what + " '" + fileName + "'" +
                     (text.empty() ? "" : ":\n") + text);
  };

  std::shared_ptr<const clang::CompilerInvocation> parsed =
      parsedInvocation(target, keepValueNames, diagnosticOptions, printer);
  if (!parsed)
    return failure("bad clang arguments for");
  // Each compile gets its own deep copy: clang's actions edit theirs.
  auto invocation = std::make_shared<clang::CompilerInvocation>(*parsed);

  // Clang's lexer needs a NUL-terminated buffer, which a StringRef is not.
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBufferCopy(source, fileName);
  clang::FrontendOptions &frontend = invocation->getFrontendOpts();
  frontend.Inputs.clear();
  frontend.Inputs.emplace_back(buffer->getMemBufferRef(),
                               clang::InputKind(clang::Language::CXX));

  clang::CompilerInstance compiler;
  compiler.setInvocation(std::move(invocation));
  compiler.createDiagnostics(&printer, /*ShouldOwnClient=*/false);
  // ExecuteAction prints "N errors generated." there; keep stderr clean.
  compiler.setVerboseOutputStream(std::make_unique<llvm::raw_null_ostream>());
  if (output)
    compiler.setOutputStream(std::move(output));
  if (!compiler.ExecuteAction(action) ||
      compiler.getDiagnostics().hasErrorOccurred())
    return failure("clang failed to compile");
  return llvm::Error::success();
}

} // namespace

llvm::Expected<TargetConfig> resolveTarget(const JitOptions &options) {
  if (options.optLevel < 0 || options.optLevel > 3)
    return makeError("gradc JIT: optLevel must be 0..3, got " +
                     llvm::Twine(options.optLevel));
  if (llvm::Error error = initializeNativeTargetOnce())
    return error;
  const HostDescription &h = host();
  TargetConfig config;
  config.triple = h.triple;
  config.optLevel = options.optLevel;
  config.vectorMath = vectorMathAvailable(config.triple);
  if (options.cpu.empty() || options.cpu == "native") {
    config.cpu = h.cpu;
    config.features = h.features;
    return config;
  }
  // A named CPU implies its own feature set, as with -mcpu=NAME.
  config.cpu = options.cpu;
  if (llvm::Error error = checkCPUName(config.triple, config.cpu))
    return error;
  return config;
}

std::string targetFingerprint(const TargetConfig &target) {
  std::string text;
  for (const std::string &arg : cc1Arguments(target, /*keepValueNames=*/false))
    text += arg + '\n';
  return text;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
compileToModule(llvm::StringRef source, llvm::StringRef moduleName,
                const TargetConfig &target, llvm::LLVMContext &context) {
  // Backend_EmitNothing still runs the full -O pipeline with the target's
  // cost model, so the module comes back optimized and vectorized.
  clang::EmitLLVMOnlyAction action(&context);
  if (llvm::Error error = runClang(source, moduleName, target,
                                   /*keepValueNames=*/false, action, nullptr))
    return error;
  std::unique_ptr<llvm::Module> module = action.takeModule();
  if (!module)
    return makeError("gradc JIT: clang produced no module for '" +
                     virtualFileName(moduleName) + "'");
  return module;
}

llvm::Expected<std::string> compileToBytes(llvm::StringRef source,
                                           llvm::StringRef moduleName,
                                           const TargetConfig &target,
                                           ClangOutput kind) {
  std::unique_ptr<clang::CodeGenAction> action;
  switch (kind) {
  case ClangOutput::LLVMText:
    action = std::make_unique<clang::EmitLLVMAction>();
    break;
  case ClangOutput::Assembly:
    action = std::make_unique<clang::EmitAssemblyAction>();
    break;
  case ClangOutput::Object:
    action = std::make_unique<clang::EmitObjAction>();
    break;
  }
  llvm::SmallString<0> bytes;
  // IR is read by people; assembly and objects do not carry value names.
  bool keepNames = kind == ClangOutput::LLVMText;
  if (llvm::Error error =
          runClang(source, moduleName, target, keepNames, *action,
                   std::make_unique<llvm::raw_svector_ostream>(bytes)))
    return error;
  // raw_svector_ostream is unbuffered: every byte is already in `bytes`.
  return std::string(bytes.str());
}

} // namespace gradc::jit_detail
