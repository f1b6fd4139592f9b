//===- codegen/HeaderEmitter.cpp - Ahead-of-time header -------------------===//
//
// The header has two layers. The C layer (prototypes and macros, emitted
// here) is what NAME.cpp / NAME.o export and what C programs use. The C++
// layer is one class (codegen/AotClassEmitter) on top of it.
//
//===----------------------------------------------------------------------===//
#include "codegen/HeaderEmitter.h"

#include "codegen/AotClassEmitter.h"
#include "codegen/CodeWriter.h"
#include "codegen/Mangle.h"
#include "ir/Error.h"

#include <set>

namespace gradc {

const EntrySignature kEntrySignatures[6] = {
    {"fwd_bwd",
     "const void *const *inputs, void *const *outputs, void *const *grads, "
     "const void *const *seeds, unsigned long long flags, void *workspace",
     "inputs, outputs, grads, seeds, flags, workspace", true},
    {"forward", "const void *const *inputs, void *const *outputs, void *context, void *workspace",
     "inputs, outputs, context, workspace", true},
    {"backward",
     "const void *context, void *const *grads, const void *const *seeds, unsigned long long "
     "flags, void *workspace",
     "context, grads, seeds, flags, workspace", true},
    {"fused_workspace_bytes", "", "", false},
    {"context_bytes", "", "", false},
    {"workspace_bytes", "", "", false}};

namespace {

bool isCppKeyword(const std::string &s) {
  static const std::set<std::string> words = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
      "bool", "break", "case", "catch", "char", "char16_t", "char32_t",
      "char8_t", "class", "compl", "concept", "const", "const_cast",
      "consteval", "constexpr", "constinit", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do",
      "double", "dynamic_cast", "else", "enum", "explicit", "export",
      "extern", "false", "float", "for", "friend", "goto", "if", "inline",
      "int", "long", "mutable", "namespace", "new", "noexcept", "not",
      "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected",
      "public", "register", "reinterpret_cast", "requires", "return", "short",
      "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
      "switch", "template", "this", "thread_local", "throw", "true", "try",
      "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
      "std", "main"};
  return words.count(s) > 0;
}

/// The C layer: argument list comment, macros and prototypes.
std::string emitCDeclarations(const ModuleInfo &info, const HeaderOptions &options) {
  const std::string &p = info.symbolPrefix;
  std::string P = upperIdentifier(p);
  CodeWriter w;
  // " = [B, 784]" after an input whose declared shape names a size variable.
  auto declared = [&](const std::string &input) -> std::string {
    const InputSignature *d = options.sizes.empty() ? nullptr : options.signature.find(input);
    bool symbolic = false;
    for (size_t k = 0; d && k < d->dims.size(); ++k) symbolic |= d->dims[k].symbolic();
    return symbolic ? " = " + escapeComment(options.signature.shapeOf(input)) : "";
  };
  w.line("// Arguments (row-major buffers of the listed dtype and shape):");
  for (size_t i = 0; i < info.inputs.size(); ++i)
    w.line("//   inputs[" + std::to_string(i) + "]  '" + escapeComment(info.inputs[i].name) +
           "' " + info.inputs[i].type.str() + declared(info.inputs[i].name) +
           (info.inputs[i].requiresGrad ? " (requires_grad)" : ""));
  for (size_t k = 0; k < info.outputs.size(); ++k)
    w.line("//   outputs[" + std::to_string(k) + "] '" +
           escapeComment(info.outputs[k].name) + "' " + info.outputs[k].type.str() +
           "; seeds[" + std::to_string(k) + "] has the same type (null: not a backward root)");
  for (size_t j = 0; j < info.gradInputs.size(); ++j)
    w.line("//   grads[" + std::to_string(j) + "]   d/d '" +
           escapeComment(info.inputs[info.gradInputs[j]].name) + "' " +
           info.inputs[info.gradInputs[j]].type.str());
  w.line("// flags bit 0: accumulate into grads instead of overwriting.");
  w.line("// Workspaces and contexts must be 64-byte aligned.");
  w.line("// Each entry point returns 0, or a status when a value read from the");
  w.line("// data is out of range (no buffer is touched outside its bounds):");
  w.line("// bits 48-63 the check site, bits 0-47 the value (two's complement).");
  for (size_t k = 0; k < info.statusSites.size(); ++k) {
    const StatusSite &site = info.statusSites[k];
    w.line("//   site " + std::to_string(k + 1) + ": " + site.what + " in [0, " +
           std::to_string(site.bound) + ") in node '" + escapeComment(site.node) + "'");
  }
  if (!options.sizes.empty()) {
    std::string list;
    for (const auto &kv : options.sizes)
      list += (list.empty() ? "" : ", ") + kv.first + "=" + std::to_string(kv.second);
    w.line("// Built at the sizes " + list + " of the graph's size variables: the");
    w.line("// shapes above hold them, and another binding needs another build");
    w.line("// (gradc compile --size). " + P + "_SIZE_<name> gives each.");
  }
  w.blank();
  auto define = [&](const std::string &name, const std::string &value) {
    w.line("#define " + P + "_" + name + " " + value);
  };
  // Size variables are C identifiers (isSizeVariableName), so they can
  // end a macro name.
  for (const auto &kv : options.sizes)
    define("SIZE_" + kv.first, std::to_string(kv.second) + "LL");
  define("NUM_INPUTS", std::to_string(info.inputs.size()));
  define("NUM_OUTPUTS", std::to_string(info.outputs.size()));
  define("NUM_GRADS", std::to_string(info.gradInputs.size()));
  define("FUSED_WORKSPACE_BYTES", std::to_string(info.fusedWorkspaceBytes) + "ULL");
  define("CONTEXT_BYTES", std::to_string(info.contextBytes) + "ULL");
  define("WORKSPACE_BYTES", std::to_string(info.workspaceBytes) + "ULL");
  w.blank();
  // The prototypes with C linkage; an extern "C" block does not indent.
  w.lines("#ifdef __cplusplus\nextern \"C\" {\n#endif");
  for (const EntrySignature &e : kEntrySignatures)
    w.line("unsigned long long " + p + "_" + e.name + "(" + (*e.params ? e.params : "void") +
           ");");
  w.lines("#ifdef __cplusplus\n}\n#endif");
  return w.str();
}

/// Splits "a::b" into {"a", "b"}; throws on an unusable component.
std::vector<std::string> namespaceParts(const std::string &ns) {
  std::vector<std::string> parts;
  if (ns.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t end = ns.find("::", start);
    std::string part = ns.substr(start, end == std::string::npos ? end : end - start);
    if (!isUsableCppIdentifier(part))
      throw Error("--namespace: '" + ns + "' is not a C++ namespace name ('" +
                  part + "' is not a usable identifier)");
    parts.push_back(part);
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return parts;
}

} // namespace

bool isUsableCppIdentifier(const std::string &s) {
  if (s.empty() || s[0] == '_' || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      return false;
  return s.find("__") == std::string::npos && !isCppKeyword(s);
}

std::string aotSymbolPrefix(const std::string &className,
                            const std::string &namespaceName) {
  if (!isUsableCppIdentifier(className))
    throw Error("--class: '" + className +
                "' is not a usable C++ class name (a C identifier without "
                "'__' or a leading '_', and not a keyword)");
  std::string prefix;
  for (const std::string &part : namespaceParts(namespaceName))
    prefix += part + "_";
  return prefix + className;
}

std::string emitHeader(const ModuleInfo &info, const HeaderOptions &options,
                       const Graph *source) {
  if (!options.className.empty()) aotSymbolPrefix(options.className, "");
  namespaceParts(options.namespaceName);
  const std::string cls =
      options.className.empty() ? info.symbolPrefix : options.className;
  std::string guard = "GRADC_GENERATED_" + upperIdentifier(info.symbolPrefix) + "_H";
  CodeWriter w;
  w.line("// Generated by gradc " GRADC_VERSION_STRING " from graph '" +
         escapeComment(info.graphName) + "'" +
         (options.sourceName.empty() ? "" : " (" + escapeComment(options.sourceName) + ")") +
         ". Do not edit.");
  w.line("//");
  w.line("// The entry points below are defined in " + cls + ".cpp (or " + cls +
         ".o); the");
  w.line("// code calls cblas_sgemm/cblas_dgemm and libm: link -lopenblas -lm.");
  w.line("// C++ programs use the class " +
         (options.namespaceName.empty() ? "" : options.namespaceName + "::") + cls +
         " further down.");
  w.line("#ifndef " + guard);
  w.line("#define " + guard);
  w.blank();
  w.lines(emitCDeclarations(info, options));
  w.blank();
  w.line("#ifdef __cplusplus");
  w.blank();
  w.lines(emitAotClass(info, options, source));
  w.blank();
  w.line("#endif // __cplusplus");
  w.line("#endif // " + guard);
  return w.str();
}

} // namespace gradc
