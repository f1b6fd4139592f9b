//===- codegen/HeaderEmitter.cpp - Ahead-of-time header -------------------===//
//
// The header has two layers. The C layer (prototypes and macros, emitted
// here) is what NAME.cpp / NAME.o export and what C programs use. The C++
// layer is one class (codegen/AotClassEmitter) on top of it.
//
//===----------------------------------------------------------------------===//
#include "codegen/HeaderEmitter.h"

#include "codegen/AotClassEmitter.h"
#include "codegen/Mangle.h"
#include "ir/Error.h"

#include <set>
#include <sstream>

namespace gradc {
namespace {

std::string upper(std::string s) {
  for (char &c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

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

/// A C++ string literal for arbitrary bytes. Octal escapes (at most three
/// digits) cannot swallow the characters that follow, unlike \x.
std::string emitCDeclarations(const ModuleInfo &info) {
  const std::string &p = info.symbolPrefix;
  std::string P = upper(p);
  std::ostringstream os;
  os << "// Arguments (row-major buffers of the listed dtype and shape):\n";
  for (size_t i = 0; i < info.inputs.size(); ++i)
    os << "//   inputs[" << i << "]  '" << escapeComment(info.inputs[i].name)
       << "' " << info.inputs[i].type.str()
       << (info.inputs[i].requiresGrad ? " (requires_grad)" : "") << "\n";
  for (size_t k = 0; k < info.outputs.size(); ++k)
    os << "//   outputs[" << k << "] '" << escapeComment(info.outputs[k].name)
       << "' " << info.outputs[k].type.str() << "; seeds[" << k
       << "] has the same type (null: not a backward root)\n";
  for (size_t j = 0; j < info.gradInputs.size(); ++j)
    os << "//   grads[" << j << "]   d/d '"
       << escapeComment(info.inputs[info.gradInputs[j]].name) << "' "
       << info.inputs[info.gradInputs[j]].type.str() << "\n";
  os << "// flags bit 0: accumulate into grads instead of overwriting.\n"
     << "// Workspaces and contexts must be 64-byte aligned.\n"
     << "// Each entry point returns 0, or a status when a value read from the\n"
     << "// data is out of range (no buffer is touched outside its bounds):\n"
     << "// bits 48-63 the check site, bits 0-47 the value (two's complement).\n";
  for (size_t k = 0; k < info.statusSites.size(); ++k) {
    const StatusSite &site = info.statusSites[k];
    os << "//   site " << k + 1 << ": " << site.what << " in [0, " << site.bound
       << ") in node '" << escapeComment(site.node) << "'\n";
  }
  os << "\n";
  os << "#define " << P << "_NUM_INPUTS " << info.inputs.size() << "\n"
     << "#define " << P << "_NUM_OUTPUTS " << info.outputs.size() << "\n"
     << "#define " << P << "_NUM_GRADS " << info.gradInputs.size() << "\n"
     << "#define " << P << "_FUSED_WORKSPACE_BYTES " << info.fusedWorkspaceBytes
     << "ULL\n#define " << P << "_CONTEXT_BYTES " << info.contextBytes
     << "ULL\n#define " << P << "_WORKSPACE_BYTES " << info.workspaceBytes
     << "ULL\n\n";
  os << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
     << "unsigned long long " << p << "_fwd_bwd(const void *const *inputs, void *const *outputs, "
     << "void *const *grads, const void *const *seeds, unsigned long long flags, "
     << "void *workspace);\n"
     << "unsigned long long " << p << "_forward(const void *const *inputs, void *const *outputs, "
     << "void *context, void *workspace);\n"
     << "unsigned long long " << p << "_backward(const void *context, void *const *grads, "
     << "const void *const *seeds, unsigned long long flags, void *workspace);\n"
     << "unsigned long long " << p << "_fused_workspace_bytes(void);\n"
     << "unsigned long long " << p << "_context_bytes(void);\n"
     << "unsigned long long " << p << "_workspace_bytes(void);\n"
     << "#ifdef __cplusplus\n}\n#endif\n";
  return os.str();
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
  std::string guard = "GRADC_GENERATED_" + upper(info.symbolPrefix) + "_H";
  std::ostringstream os;
  os << "// Generated by gradc " GRADC_VERSION_STRING " from graph '"
     << escapeComment(info.graphName) << "'";
  if (!options.sourceName.empty())
    os << " (" << escapeComment(options.sourceName) << ")";
  os << ". Do not edit.\n"
     << "//\n"
     << "// The entry points below are defined in " << cls << ".cpp (or "
     << cls << ".o); the\n"
     << "// code calls cblas_sgemm/cblas_dgemm and libm: link -lopenblas -lm.\n"
     << "// C++ programs use the class "
     << (options.namespaceName.empty() ? "" : options.namespaceName + "::")
     << cls << " further down.\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n";
  os << emitCDeclarations(info);
  os << "\n#ifdef __cplusplus\n\n"
     << emitAotClass(info, options, source)
     << "\n#endif // __cplusplus\n#endif // " << guard << "\n";
  return os.str();
}

} // namespace gradc
