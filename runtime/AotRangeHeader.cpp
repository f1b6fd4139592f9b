//===- runtime/AotRangeHeader.cpp - The header of a range build -----------===//
#include "runtime/AotRangeHeader.h"

#include "codegen/CodeWriter.h"
#include "codegen/Mangle.h"

namespace gradc {

namespace {

/// The C layer: what the arguments are, the size parameters, prototypes.
void emitC(CodeWriter &w, const AotRangeModule &m, const HeaderOptions &o) {
  const ModuleInfo &info = m.info;
  const std::string &p = info.symbolPrefix;
  const std::string P = upperIdentifier(p);
  std::string first;
  for (const SizeRange &r : m.ranges)
    first += (first.empty() ? "" : ", ") + r.name + "=" + std::to_string(r.lo);
  w.line("// Size parameters: the array `sizes` every entry point takes first, in");
  w.line("// this order (" + P + "_SIZE_<name>_INDEX):");
  for (size_t k = 0; k < m.ranges.size(); ++k)
    w.line("//   sizes[" + std::to_string(k) + "]  " + m.ranges[k].name + " in [" +
           std::to_string(m.ranges[k].lo) + ", " + std::to_string(m.ranges[k].hi) + "]");
  w.line("// Arguments (row-major buffers of the listed dtype and shape at the sizes;");
  w.line("// outputs are shown at " + first + "):");
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    std::string declared = o.signature.shapeOf(info.inputs[i].name);
    w.line("//   inputs[" + std::to_string(i) + "]  '" + escapeComment(info.inputs[i].name) +
           "' " +
           (declared.empty() ? info.inputs[i].type.str()
                             : escapeComment(dtypeName(info.inputs[i].type.dtype) + declared)) +
           (info.inputs[i].requiresGrad ? " (requires_grad)" : ""));
  }
  for (size_t k = 0; k < info.outputs.size(); ++k)
    w.line("//   outputs[" + std::to_string(k) + "] '" + escapeComment(info.outputs[k].name) +
           "' " + info.outputs[k].type.str() + "; seeds[" + std::to_string(k) +
           "] has the same type (null: not a backward root)");
  for (size_t j = 0; j < info.gradInputs.size(); ++j) {
    const TensorArg &in = info.inputs[info.gradInputs[j]];
    std::string declared = o.signature.shapeOf(in.name);
    w.line("//   grads[" + std::to_string(j) + "]   d/d '" + escapeComment(in.name) + "' " +
           (declared.empty() ? in.type.str() : escapeComment(dtypeName(in.type.dtype) + declared)));
  }
  w.line("// flags bit 0: accumulate into grads instead of overwriting.");
  w.line("// Workspaces and contexts must be 64-byte aligned, of the bytes the");
  w.line("// " + p + "_sized_*_bytes functions give for the same sizes.");
  w.line("// Each entry point returns 0; or, for sizes outside their ranges (or no");
  w.line("// sizes), " + P + "_SIZE_STATUS_SITE in bits 48-63 and the first size out of");
  w.line("// range in bits 0-47 (the byte-size functions return 0 then).");
  if (!info.statusSites.empty())
    w.line("// A failed check returns its site in bits 48-63, the value in bits 0-47:");
  for (size_t k = 0; k < info.statusSites.size(); ++k)
    w.line("//   site " + std::to_string(k + 1) + ": " + info.statusSites[k].what + " in node '" +
           escapeComment(info.statusSites[k].node) + "'");
  w.line("// Entry points are reentrant: threads may call them at the same time, at");
  w.line("// the same or different sizes, each with buffers of its own.");
  w.blank();
  auto define = [&](const std::string &name, const std::string &value) {
    w.line("#define " + P + "_" + name + " " + value);
  };
  define("NUM_SIZES", std::to_string(m.ranges.size()));
  for (size_t k = 0; k < m.ranges.size(); ++k) {
    define("SIZE_" + m.ranges[k].name + "_INDEX", std::to_string(k));
    define("SIZE_" + m.ranges[k].name + "_MIN", std::to_string(m.ranges[k].lo) + "LL");
    define("SIZE_" + m.ranges[k].name + "_MAX", std::to_string(m.ranges[k].hi) + "LL");
  }
  define("SIZE_STATUS_SITE", "0xFFFFULL");
  static_assert(kSizeStatusSite == 0xFFFF, "the macro above spells it");
  define("NUM_INPUTS", std::to_string(info.inputs.size()));
  define("NUM_OUTPUTS", std::to_string(info.outputs.size()));
  define("NUM_GRADS", std::to_string(info.gradInputs.size()));
  w.blank();
  w.lines("#ifdef __cplusplus\nextern \"C\" {\n#endif");
  for (const EntrySignature &e : kEntrySignatures)
    w.line("unsigned long long " + p + "_sized_" + e.name + "(const long long *sizes" +
           (*e.params ? std::string(", ") + e.params : "") + ");");
  w.lines("#ifdef __cplusplus\n}\n#endif");
}

/// The C++ layer: the size parameters as constants, and a class that runs
/// at sizes given to its constructor with a workspace and context it owns.
void emitClass(CodeWriter &w, const AotRangeModule &m, const std::string &cls,
               const std::string &ns) {
  const std::string &p = m.info.symbolPrefix;
  const std::string n = std::to_string(m.ranges.size());
  w.line("#include <array>");
  w.line("#include <cstdlib>");
  w.line("#include <memory>");
  w.line("#include <stdexcept>");
  w.blank();
  if (!ns.empty()) w.line("namespace " + ns + " {");
  w.line("/// The graph at sizes chosen at run time (one object: one binding). Not");
  w.line("/// to be shared between threads: it owns one workspace and one context.");
  w.open("class " + cls);
  w.outdented("public:");
  w.line("/// Indices of the size parameters in Sizes.");
  std::string e;
  for (size_t k = 0; k < m.ranges.size(); ++k)
    e += (k ? ", " : "") + std::string("kSize_") + m.ranges[k].name + " = " + std::to_string(k);
  w.line("enum SizeIndex : int { " + e + " };");
  w.line("static constexpr int kNumSizes = " + n + ";");
  w.line("using Sizes = std::array<long long, kNumSizes>;");
  std::string names, lo, hi;
  for (size_t k = 0; k < m.ranges.size(); ++k) {
    names += (k ? ", \"" : "\"") + m.ranges[k].name + "\"";
    lo += (k ? ", " : "") + std::to_string(m.ranges[k].lo) + "LL";
    hi += (k ? ", " : "") + std::to_string(m.ranges[k].hi) + "LL";
  }
  w.line("/// The size variables' names and ranges, in the order of Sizes.");
  w.line("static constexpr const char *kSizeNames[kNumSizes] = {" + names + "};");
  w.line("static constexpr long long kSizeMin[kNumSizes] = {" + lo + "};");
  w.line("static constexpr long long kSizeMax[kNumSizes] = {" + hi + "};");
  w.blank();
  w.line("/// True when every size is within its range.");
  w.open("static bool inRange(const Sizes &s)");
  w.line("for (int k = 0; k < kNumSizes; ++k)");
  w.line("  if (s[k] < kSizeMin[k] || s[k] > kSizeMax[k]) return false;");
  w.line("return true;");
  w.close();
  w.line("/// Throws std::out_of_range for sizes outside the ranges.");
  w.open("explicit " + cls + "(const Sizes &sizes) : sizes_(sizes)");
  w.line("if (!inRange(sizes)) throw std::out_of_range(\"" + cls +
         ": sizes outside the ranges of this build\");");
  w.line("workspace_ = allocate(" + p + "_sized_fused_workspace_bytes(sizes_.data()));");
  w.line("forwardWorkspace_ = allocate(" + p + "_sized_workspace_bytes(sizes_.data()));");
  w.line("context_ = allocate(" + p + "_sized_context_bytes(sizes_.data()));");
  w.close();
  w.line("/// The sizes this object runs at.");
  w.line("const Sizes &sizes() const { return sizes_; }");
  w.line("/// Forward and backward in one call (" + p + "_sized_fwd_bwd); returns its status.");
  w.open("unsigned long long run(const void *const *inputs, void *const *outputs, void *const "
         "*grads, const void *const *seeds, unsigned long long flags)");
  w.line("return " + p + "_sized_fwd_bwd(sizes_.data(), inputs, outputs, grads, seeds, flags, "
         "workspace_.get());");
  w.close();
  w.line("/// The forward pass, keeping what backward() needs in the object.");
  w.open("unsigned long long forward(const void *const *inputs, void *const *outputs)");
  w.line("return " + p + "_sized_forward(sizes_.data(), inputs, outputs, context_.get(), "
         "forwardWorkspace_.get());");
  w.close();
  w.line("/// The backward pass of the last forward().");
  w.open("unsigned long long backward(void *const *grads, const void *const *seeds, "
         "unsigned long long flags)");
  w.line("return " + p + "_sized_backward(sizes_.data(), context_.get(), grads, seeds, flags, "
         "forwardWorkspace_.get());");
  w.close();
  w.blank();
  w.outdented("private:");
  w.line("struct Free { void operator()(void *q) const { std::free(q); } };");
  w.line("using Buffer = std::unique_ptr<void, Free>;");
  w.line("/// 64-byte aligned and zeroed; at least 64 bytes, so never null.");
  w.open("static Buffer allocate(unsigned long long bytes)");
  w.line("bytes = (bytes + 63) / 64 * 64 + 64;");
  w.line("void *q = std::aligned_alloc(64, bytes);");
  w.line("if (!q) throw std::bad_alloc();");
  w.line("for (unsigned long long i = 0; i < bytes; ++i) static_cast<char *>(q)[i] = 0;");
  w.line("return Buffer(q);");
  w.close();
  w.line("Sizes sizes_;");
  w.line("Buffer workspace_, forwardWorkspace_, context_;");
  w.close(";");
  if (!ns.empty()) w.line("} // namespace " + ns);
}

} // namespace

std::string emitRangeHeader(const AotRangeModule &m, const HeaderOptions &o) {
  const std::string cls = o.className.empty() ? m.info.symbolPrefix : o.className;
  aotSymbolPrefix(cls, o.namespaceName); // checks both names
  std::string guard = "GRADC_GENERATED_" + upperIdentifier(m.info.symbolPrefix) + "_H";
  std::string ranges;
  for (const SizeRange &r : m.ranges)
    ranges += (ranges.empty() ? "" : ", ") + r.name + "=" + std::to_string(r.lo) + ".." +
              std::to_string(r.hi);
  CodeWriter w;
  w.line("// Generated by gradc " GRADC_VERSION_STRING " from graph '" +
         escapeComment(m.info.graphName) + "'" +
         (o.sourceName.empty() ? "" : " (" + escapeComment(o.sourceName) + ")") +
         ", for the sizes " + ranges + ". Do not edit.");
  w.line("//");
  w.line("// One build for every binding of the sizes: the entry points below take");
  w.line("// the sizes first. They are defined in " + cls + ".cpp (or " + cls + ".o); the");
  w.line("// code calls cblas_sgemm/cblas_dgemm and libm: link -lopenblas -lm.");
  w.line("#ifndef " + guard);
  w.line("#define " + guard);
  w.blank();
  emitC(w, m, o);
  w.blank();
  w.line("#ifdef __cplusplus");
  w.blank();
  emitClass(w, m, cls, o.namespaceName);
  w.blank();
  w.line("#endif // __cplusplus");
  w.line("#endif // " + guard);
  return w.str();
}

} // namespace gradc
