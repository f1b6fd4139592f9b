//===- codegen/AotClassEmitter.cpp - The C++ class of an AOT header -------===//
//
// The class is the C++ layer of NAME.h; all its member functions are
// inline. It allocates one 64-byte aligned block holding every buffer
// (scratch, context, inputs, outputs, gradients, seeds), lays them out at
// offsets computed here, and passes pointer arrays to the C entry points.
// Member names come from the graph's names through mangleIdentifier() plus
// a role prefix (input_, output_, grad_, seed_); a NameTable makes them
// unique even when two user names would produce the same identifier.
//
//===----------------------------------------------------------------------===//
#include "codegen/AotClassEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"
#include "codegen/Mangle.h"
#include "ir/Error.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace gradc {
namespace {

constexpr uint64_t kAlign = 64;

uint64_t alignUp(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

std::string cppString(const std::string &s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      r += '\\';
      r += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f && c != '?') { // '?': no trigraphs
      r += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      r += buf;
    }
  }
  return r + "\"";
}

const char *dtypeEnumerator(DType t) {
  switch (t) {
  case DType::F32: return "F32";
  case DType::F64: return "F64";
  case DType::I32: return "I32";
  case DType::I64: return "I64";
  case DType::Bool: return "Bool";
  }
  return "F32";
}

std::string shapeList(const Shape &s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r;
}

/// "f32[2, 2]" for comments.
std::string typeText(const TensorType &t) {
  return std::string(dtypeName(t.dtype)) + "[" + shapeList(t.shape) + "]";
}

/// Hands out member names, never the same one twice.
class NameTable {
public:
  NameTable(std::initializer_list<const char *> fixed) {
    for (const char *f : fixed) used_.insert(f);
  }
  std::string claim(const std::string &want) {
    std::string name = want;
    for (int i = 2; used_.count(name); ++i) name = want + "_" + std::to_string(i);
    used_.insert(name);
    return name;
  }

private:
  std::set<std::string> used_;
};

/// One tensor buffer of the class: its names and where it lives.
struct Member {
  const TensorArg *arg = nullptr;
  std::string accessor, setter, type, shape, spec, seedField;
  uint64_t offset = 0;
  int index = 0; ///< Position in the entry point's array.
  std::string cppType() const { return dtypeCppName(arg->type.dtype); }
};

/// The expression an output is defined by, from the source graph, e.g.
/// "mean(z)" or "sum(z, dim=[1], keepdim=true)".
std::string describeNode(const Node &n) {
  if (n.op == OpKind::Input) return "the input '" + n.name + "'";
  std::string r = std::string(n.info().name) + "(";
  bool first = true;
  for (const Node *o : n.operands) {
    r += first ? "" : ", ";
    first = false;
    if (o->op == OpKind::Constant && o->attrs.count("value") &&
        !o->attrs.count("data"))
      r += formatDouble(getFloat(o->attrs, "value", 0));
    else
      r += o->displayName();
  }
  for (const auto &[key, value] : n.attrs) {
    r += first ? "" : ", ";
    first = false;
    r += key + "=" + attrToString(value);
  }
  return r + ")";
}

/// The declared init of an input, for comments ("" if none).
std::string describeInit(const Node &input) {
  std::string kind = getString(input.attrs, "init", "");
  if (kind == "value") return formatDouble(getFloat(input.attrs, "init_value", 0));
  if (kind == "randn" || kind == "rand")
    return kind + "(seed " + std::to_string(getInt(input.attrs, "init_seed", 0)) +
           ")";
  return kind;
}

class ClassEmitter {
public:
  ClassEmitter(const ModuleInfo &info, const HeaderOptions &options,
               const Graph *source)
      : info_(info), opts_(options), source_(source) {}

  std::string run();

private:
  void layout();
  void emitDoc(CodeWriter &w);
  void emitStatic(CodeWriter &w);
  void emitSpec(CodeWriter &w, const Member &m, const char *role);
  void emitInstance(CodeWriter &w);
  void emitAccessors(CodeWriter &w);
  void emitCalls(CodeWriter &w);
  std::string pointerArray(const std::vector<Member> &ms, bool isConst,
                           const std::string &name, bool bindable) const;
  std::string seedList() const;

  const Node *sourceNode(const std::string &name) const {
    return source_ ? source_->findNode(name) : nullptr;
  }

  const ModuleInfo &info_;
  const HeaderOptions &opts_;
  const Graph *source_;
  std::string cls_;
  NameTable names_{"DType", "TensorSpec", "Seeds", "run", "forward",
                   "backward", "zero_grads", "reset_inputs", "default_seeds",
                   "input_data", "output_data", "grad_data", "has_context",
                   "kInputs", "kOutputs", "kGrads", "kGraphName",
                   "kGradcVersion", "kNumInputs", "kNumOutputs", "kNumGrads",
                   "kFusedWorkspaceBytes", "kContextBytes", "kWorkspaceBytes",
                   "kArgumentBytes", "kAllocationBytes", "mem_", "bound_",
                   "has_context_", "release", "swap", "operator="};
  std::vector<Member> inputs_, outputs_, grads_, seeds_;
  uint64_t contextOffset_ = 0, workspaceOffset_ = 0, argumentBytes_ = 0,
           totalBytes_ = 0;
};

void ClassEmitter::layout() {
  // Scratch first: the fused workspace and, overlapping it, the context
  // and workspace of forward()/backward(). run() therefore ends any
  // retain-graph context, which the class tracks in has_context_.
  contextOffset_ = 0;
  workspaceOffset_ = alignUp(info_.contextBytes);
  uint64_t off = alignUp(std::max<uint64_t>(
      info_.fusedWorkspaceBytes, workspaceOffset_ + info_.workspaceBytes));
  uint64_t argsStart = off;
  auto place = [&](std::vector<Member> &list, const TensorArg &a, int index) {
    Member m;
    m.arg = &a;
    m.offset = off;
    m.index = index;
    off += alignUp(static_cast<uint64_t>(a.type.bytes()));
    list.push_back(m);
    return &list.back();
  };
  for (size_t i = 0; i < info_.inputs.size(); ++i) {
    Member *m = place(inputs_, info_.inputs[i], static_cast<int>(i));
    std::string id = mangleIdentifier(m->arg->name);
    m->accessor = names_.claim("input_" + id);
    m->setter = names_.claim("set_input_" + id + "_data");
    m->type = names_.claim("input_" + id + "_type");
    m->shape = names_.claim("input_" + id + "_shape");
    m->spec = names_.claim("input_" + id + "_spec");
  }
  for (size_t k = 0; k < info_.outputs.size(); ++k) {
    Member *m = place(outputs_, info_.outputs[k], static_cast<int>(k));
    std::string id = mangleIdentifier(m->arg->name);
    m->accessor = names_.claim("output_" + id);
    m->type = names_.claim("output_" + id + "_type");
    m->shape = names_.claim("output_" + id + "_shape");
    m->spec = names_.claim("output_" + id + "_spec");
  }
  for (size_t j = 0; j < info_.gradInputs.size(); ++j) {
    const TensorArg &a = info_.inputs[info_.gradInputs[j]];
    Member *m = place(grads_, a, static_cast<int>(j));
    m->accessor = names_.claim("grad_" + mangleIdentifier(a.name));
  }
  NameTable fields({"Seeds"});
  for (size_t k = 0; k < info_.outputs.size(); ++k) {
    if (!info_.outputs[k].hasSeed) continue;
    Member *m = place(seeds_, info_.outputs[k], static_cast<int>(k));
    std::string id = mangleIdentifier(m->arg->name);
    m->accessor = names_.claim("seed_" + id);
    m->seedField = fields.claim(id);
  }
  argumentBytes_ = off - argsStart;
  totalBytes_ = std::max<uint64_t>(off, kAlign);
}

void ClassEmitter::emitDoc(CodeWriter &w) {
  auto line = [&](const std::string &s) { w.line("///" + (s.empty() ? "" : " " + s)); };
  line("Graph '" + escapeComment(info_.graphName) + "'" +
       (opts_.sourceName.empty() ? "" : " (" + escapeComment(opts_.sourceName) + ")") +
       ", compiled ahead of time by gradc " GRADC_VERSION_STRING ".");
  line("");
  line("Inputs:");
  for (const Member &m : inputs_) {
    std::string s = "  " + m.accessor + "  '" + escapeComment(m.arg->name) +
                    "' " + typeText(m.arg->type);
    for (const Member &g : grads_)
      if (g.arg == m.arg) s += ", requires_grad (gradient: " + g.accessor + ")";
    if (const Node *n = sourceNode(m.arg->name)) {
      std::string init = describeInit(*n);
      if (!init.empty()) s += ", init " + escapeComment(init);
    }
    line(s);
  }
  line("Outputs:");
  for (const Member &m : outputs_) {
    std::string s = "  " + m.accessor + "  '" + escapeComment(m.arg->name) +
                    "' " + typeText(m.arg->type);
    if (source_)
      for (const GraphOutput &o : source_->outputs())
        if (o.name == m.arg->name && o.node)
          s += " = " + escapeComment(describeNode(*o.node), 200);
    if (!m.arg->gradFn.empty()) s += ", grad_fn=" + escapeComment(m.arg->gradFn);
    line(s);
  }
  line("");
  line("An object owns every buffer of one execution (inputs, outputs,");
  line("gradients, seeds, scratch), zero-filled and 64-byte aligned; inputs");
  line("with a constant init (zeros, ones, a number) start with it, others at");
  line("zero. Objects share nothing: run one per thread. PyTorch's workflow:");
  line("");
  line("  " + cls_ + " m;");
  line("  m.run();                    // loss.backward() after x.grad = None");
  line("  m.run(/*accumulate=*/true); // another backward: gradients add up");
  line("  m.forward();                // retain_graph style: keep the context,");
  line("  m.backward(seeds, true);    // then any number of backward calls");
  line("");
  line("run() and backward() without seeds use the scalar outputs that require");
  line("grad as roots with seed 1 (default_seeds()); a non-scalar root needs a");
  line("seed of its shape, as with z.backward(gradient) in PyTorch.");
}

void ClassEmitter::emitSpec(CodeWriter &w, const Member &m, const char *role) {
  const TensorType &t = m.arg->type;
  std::string rank = std::to_string(t.shape.size());
  w.line(std::string("/// ") + role + " '" + escapeComment(m.arg->name) + "': " +
         typeText(t) + (m.arg->requiresGrad ? ", requires grad" : "") + ".");
  w.line("using " + m.type + " = " + m.cppType() + ";");
  w.line("static constexpr std::array<long long, " + rank + "> " + m.shape + "{{" +
         shapeList(t.shape) + "}};");
  w.line("static constexpr TensorSpec " + m.spec + "{" + cppString(m.arg->name) +
         ", DType::" + dtypeEnumerator(t.dtype) + ", " + rank + ", " + m.shape +
         ".data(), " + std::to_string(t.numel()) + "LL, " + std::to_string(t.bytes()) +
         "ULL, " + (m.arg->requiresGrad ? "true" : "false") + "};");
}

void ClassEmitter::emitStatic(CodeWriter &w) {
  auto bytes = [](uint64_t v) { return std::to_string(v) + "ULL;"; };
  w.outdented("public:");
  w.line("/// Element type of a tensor.");
  w.line("enum class DType { F32, F64, I32, I64, Bool };");
  w.line("/// Static description of one tensor argument.");
  w.open("struct TensorSpec");
  w.line("const char *name;        ///< As written in the graph.");
  w.line("DType dtype;");
  w.line("int rank;");
  w.line("const long long *shape;  ///< `rank` extents, outermost first.");
  w.line("long long numel;");
  w.line("unsigned long long bytes;");
  w.line("bool requires_grad;");
  w.close(";");
  w.blank();
  w.line("static constexpr const char *kGraphName = " + cppString(info_.graphName) + ";");
  w.line("static constexpr const char *kGradcVersion = \"" GRADC_VERSION_STRING "\";");
  w.line("static constexpr int kNumInputs = " + std::to_string(inputs_.size()) + ";");
  w.line("static constexpr int kNumOutputs = " + std::to_string(outputs_.size()) + ";");
  w.line("static constexpr int kNumGrads = " + std::to_string(grads_.size()) + ";");
  for (const auto &kv : opts_.sizes) {
    w.line("/// Size variable '" + kv.first + "' of the graph, as this build binds it.");
    w.line("static constexpr long long " + names_.claim("kSize_" + kv.first) + " = " +
           std::to_string(kv.second) + ";");
  }
  w.line("/// Scratch bytes of the fused entry point (run()).");
  w.line("static constexpr unsigned long long kFusedWorkspaceBytes = " +
         bytes(info_.fusedWorkspaceBytes));
  w.line("/// Bytes forward() saves for backward().");
  w.line("static constexpr unsigned long long kContextBytes = " + bytes(info_.contextBytes));
  w.line("/// Scratch bytes of forward() and backward().");
  w.line("static constexpr unsigned long long kWorkspaceBytes = " +
         bytes(info_.workspaceBytes));
  w.line("/// Bytes of the input, output, gradient and seed buffers, each");
  w.line("/// rounded up to 64.");
  w.line("static constexpr unsigned long long kArgumentBytes = " + bytes(argumentBytes_));
  w.line("/// Bytes one object allocates in all.");
  w.line("static constexpr unsigned long long kAllocationBytes = " + bytes(totalBytes_));
  w.blank();
  for (const Member &m : inputs_) emitSpec(w, m, "Input");
  for (const Member &m : outputs_) emitSpec(w, m, "Output");
  auto specArray = [&](const char *name, const std::vector<Member> &ms,
                       const std::vector<Member> *from) {
    std::string list;
    for (size_t i = 0; i < ms.size(); ++i)
      list += (i ? ", " : "") + (from ? (*from)[info_.gradInputs[i]].spec : ms[i].spec);
    w.line("static constexpr std::array<TensorSpec, " + std::to_string(ms.size()) +
           "> " + name + "{{" + list + "}};");
  };
  w.line("/// Every input, output and gradient (in the entry points' order).");
  specArray("kInputs", inputs_, nullptr);
  specArray("kOutputs", outputs_, nullptr);
  specArray("kGrads", grads_, &inputs_);
  w.blank();
  w.line("/// Backward roots and their seeds (cotangents): one pointer per");
  w.line("/// output that can be a root; null means not a root.");
  w.open("struct Seeds");
  for (const Member &m : seeds_)
    w.line("const " + m.cppType() + " *" + m.seedField + " = nullptr; ///< Seed of '" +
           escapeComment(m.arg->name) + "', " + typeText(m.arg->type) + ".");
  w.close(";");
  w.blank();
  w.line("/// out.backward() for every scalar output that requires grad: those");
  w.line("/// roots with seed 1.");
  w.open("static Seeds default_seeds()");
  w.line("Seeds s;");
  for (const Member &m : seeds_)
    if (m.arg->type.numel() == 1) {
      std::string one = "one_" + std::to_string(m.index);
      w.line("static const " + m.cppType() + " " + one + " = 1;");
      w.line("s." + m.seedField + " = &" + one + ";");
    }
  w.line("return s;");
  w.close();
  w.blank();
}

std::string ClassEmitter::pointerArray(const std::vector<Member> &ms,
                                       bool isConst, const std::string &name,
                                       bool bindable) const {
  // Arrays of length zero are not C++; the entry points do not read them.
  std::string r = std::string(isConst ? "const void *const " : "void *const ") +
                  name + "[" + std::to_string(std::max<size_t>(ms.size(), 1)) + "] = {";
  if (ms.empty()) r += "nullptr";
  for (size_t i = 0; i < ms.size(); ++i) {
    std::string own = "mem_ + " + std::to_string(ms[i].offset) + "ULL";
    r += (i ? ", " : "");
    r += bindable ? "bound_[" + std::to_string(i) + "] ? bound_[" +
                        std::to_string(i) + "] : " + own
                  : own;
  }
  return r + "};";
}

/// The seeds of every output, in output order ("nullptr" where an output
/// cannot be a root).
std::string ClassEmitter::seedList() const {
  if (outputs_.empty()) return "nullptr";
  std::string r;
  for (size_t k = 0; k < outputs_.size(); ++k) {
    r += k ? ", " : "";
    std::string field;
    for (const Member &m : seeds_)
      if (m.index == static_cast<int>(k)) field = m.seedField;
    r += field.empty() ? "nullptr" : "seeds." + field;
  }
  return r;
}

void ClassEmitter::emitInstance(CodeWriter &w) {
  w.line("/// Allocates and initializes the buffers (see the class comment).");
  w.line("/// Throws std::bad_alloc if memory is short.");
  w.line(cls_ + "()");
  // A constructor's initializer on continuation lines.
  w.line("    : mem_(static_cast<char *>(::operator new(");
  w.open("          kAllocationBytes, std::align_val_t(64))))");
  w.line("std::memset(mem_, 0, kAllocationBytes);");
  w.line("reset_inputs();");
  for (const Member &m : seeds_)
    if (m.arg->type.numel() == 1) w.line("*" + m.accessor + "() = 1;");
  w.close();
  w.line("~" + cls_ + "() { release(); }");
  w.line(cls_ + "(const " + cls_ + " &) = delete;");
  w.line(cls_ + " &operator=(const " + cls_ + " &) = delete;");
  w.line("/// Takes over \\p other's buffers; \\p other is left empty and may");
  w.line("/// only be destroyed or assigned to.");
  w.line(cls_ + "(" + cls_ + " &&other) noexcept { swap(other); }");
  w.open(cls_ + " &operator=(" + cls_ + " &&other) noexcept");
  w.line("if (this != &other) { release(); swap(other); }");
  w.line("return *this;");
  w.close();
  w.blank();
  w.line("/// Sets inputs with a constant init back to it, the others to zero,");
  w.line("/// and reads every input from its own buffer again.");
  w.open("void reset_inputs()");
  for (const Member &m : inputs_) {
    w.line("bound_[" + std::to_string(m.index) + "] = nullptr;");
    const Node *n = sourceNode(m.arg->name);
    std::string kind = n ? getString(n->attrs, "init", "") : "";
    double v = 0;
    if (kind == "ones") v = 1;
    else if (kind == "value") v = getFloat(n->attrs, "init_value", 0);
    w.line("{ " + m.cppType() + " *p = " + m.accessor + "(); for (long long i = 0; i < " +
           std::to_string(m.arg->type.numel()) + "LL; ++i) p[i] = " +
           literal(v, m.arg->type.dtype) + "; }");
  }
  w.close();
  w.blank();
}

void ClassEmitter::emitAccessors(CodeWriter &w) {
  auto ptr = [](const Member &m) {
    return "(mem_ + " + std::to_string(m.offset) + "ULL)";
  };
  // `T *name() { ... }` and its const twin, reading the buffer of `m`.
  auto mutableAccessor = [&](const Member &m) {
    const std::string t = m.cppType();
    w.line(t + " *" + m.accessor + "() { return reinterpret_cast<" + t + " *>" + ptr(m) +
           "; }");
  };
  auto constAccessor = [&](const Member &m) {
    const std::string t = m.cppType();
    w.line("const " + t + " *" + m.accessor + "() const { return reinterpret_cast<const " +
           t + " *>" + ptr(m) + "; }");
  };
  for (const Member &m : inputs_) {
    w.line("/// The own buffer of input '" + escapeComment(m.arg->name) + "' (" +
           typeText(m.arg->type) + "): write its value here.");
    mutableAccessor(m);
    constAccessor(m);
    w.line("/// Reads input '" + escapeComment(m.arg->name) + "' from \\p data (" +
           std::to_string(m.arg->type.numel()) + " elements, row-major) instead,");
    w.line("/// without a copy, until reset_inputs(); null: the own buffer.");
    w.line("void " + m.setter + "(const " + m.cppType() + " *data) { bound_[" +
           std::to_string(m.index) + "] = data; }");
  }
  for (const Member &m : outputs_) {
    w.line("/// Output '" + escapeComment(m.arg->name) + "' (" + typeText(m.arg->type) +
           "), after run() or forward().");
    constAccessor(m);
  }
  for (const Member &m : grads_) {
    w.line("/// d(roots)/d '" + escapeComment(m.arg->name) + "' (" +
           typeText(m.arg->type) + "): x.grad after run() or backward().");
    mutableAccessor(m);
    constAccessor(m);
  }
  for (const Member &m : seeds_) {
    w.line("/// A buffer for a seed of '" + escapeComment(m.arg->name) + "' (" +
           typeText(m.arg->type) + "; starts at " +
           (m.arg->type.numel() == 1 ? "1" : "0") + "): fill it and pass it as Seeds::" +
           m.seedField + ".");
    mutableAccessor(m);
  }
  auto generic = [&](const char *name, const std::vector<Member> &ms,
                     bool isConst) {
    std::string offsets;
    for (size_t i = 0; i < ms.size(); ++i)
      offsets += (i ? ", " : "") + std::to_string(ms[i].offset) + "ULL";
    w.open(std::string(isConst ? "const void *" : "void *") + name + "(int i)" +
           (isConst ? " const" : ""));
    w.line("static constexpr unsigned long long offsets[] = {" +
           (ms.empty() ? std::string("0") : offsets) + "};");
    w.line("return i >= 0 && i < " + std::to_string(ms.size()) +
           " ? mem_ + offsets[i] : nullptr;");
    w.close();
  };
  w.line("/// Buffers by position (kInputs / kOutputs / kGrads order); null");
  w.line("/// when out of range.");
  generic("input_data", inputs_, false);
  generic("output_data", outputs_, true);
  generic("grad_data", grads_, false);
  w.blank();
}

void ClassEmitter::emitCalls(CodeWriter &w) {
  const std::string &p = info_.symbolPrefix;
  std::string ctx = "mem_ + " + std::to_string(contextOffset_) + "ULL";
  std::string ws = "mem_ + " + std::to_string(workspaceOffset_) + "ULL";
  std::string seedArray = "const void *const sp[" +
                          std::to_string(std::max<size_t>(outputs_.size(), 1)) +
                          "] = {" + seedList() + "};";
  w.line("/// Forward and backward in one call of the fused entry point, from");
  w.line("/// \\p seeds' roots. With \\p accumulate the gradients are added to the");
  w.line("/// grad buffers (.grad accumulates), else they overwrite them (as");
  w.line("/// after x.grad = None). Ends any forward() context.");
  w.line("/// Returns 0, or the entry point's status when an index read from");
  w.line("/// the data is out of range (see the sites listed above).");
  w.open("unsigned long long run(const Seeds &seeds, bool accumulate = false)");
  w.line(pointerArray(inputs_, true, "in", true));
  w.line(pointerArray(outputs_, false, "out", false));
  w.line(pointerArray(grads_, false, "grads", false));
  w.line(seedArray);
  w.line("(void)seeds;");
  w.line("has_context_ = false;");
  w.line("return ::" + p + "_fwd_bwd(in, out, grads, sp, accumulate ? 1ULL : 0ULL, mem_);");
  w.close();
  w.line("/// run() with default_seeds().");
  w.open("unsigned long long run(bool accumulate = false)");
  w.line("return run(default_seeds(), accumulate);");
  w.close();
  w.blank();
  w.line("/// The forward pass: outputs, plus a context that any number of");
  w.line("/// backward() calls use (retain_graph=True).");
  w.line("/// Returns 0, or the status of a failed index check (then there is");
  w.line("/// no context).");
  w.open("unsigned long long forward()");
  w.line(pointerArray(inputs_, true, "in", true));
  w.line(pointerArray(outputs_, false, "out", false));
  w.line("unsigned long long st = ::" + p + "_forward(in, out, " + ctx + ", " + ws + ");");
  w.line("has_context_ = st == 0;");
  w.line("return st;");
  w.close();
  w.blank();
  w.line("/// Backward from \\p seeds' roots on the last forward()'s context;");
  w.line("/// \\p accumulate as in run(). Returns false, doing nothing, if there");
  w.line("/// is no context (no forward() yet, or a run() since).");
  w.open("bool backward(const Seeds &seeds, bool accumulate = false)");
  w.line("if (!has_context_) return false;");
  w.line(pointerArray(grads_, false, "grads", false));
  w.line(seedArray);
  w.line("(void)seeds;");
  w.line("::" + p + "_backward(" + ctx + ", grads, sp, accumulate ? 1ULL : 0ULL, " + ws +
         ");");
  w.line("return true;");
  w.close();
  w.line("/// backward() with default_seeds().");
  w.open("bool backward(bool accumulate = false)");
  w.line("return backward(default_seeds(), accumulate);");
  w.close();
  w.blank();
  w.line("/// Whether backward() has a context to work on.");
  w.line("bool has_context() const { return has_context_; }");
  w.blank();
  w.line("/// Sets every gradient buffer to zero (optimizer.zero_grad()).");
  w.open("void zero_grads()");
  for (const Member &m : grads_)
    w.line("std::memset(mem_ + " + std::to_string(m.offset) + "ULL, 0, " +
           std::to_string(m.arg->type.bytes()) + "ULL);");
  w.close();
  w.blank();
  std::string boundCount = std::to_string(std::max<size_t>(inputs_.size(), 1));
  w.outdented("private:");
  w.open("void release()");
  w.line("if (mem_) ::operator delete(mem_, std::align_val_t(64));");
  w.line("mem_ = nullptr;");
  w.close();
  w.open("void swap(" + cls_ + " &other) noexcept");
  w.line("std::swap(mem_, other.mem_);");
  w.line("for (int i = 0; i < " + boundCount +
         "; ++i) std::swap(bound_[i], other.bound_[i]);");
  w.line("std::swap(has_context_, other.has_context_);");
  w.close();
  w.blank();
  w.line("char *mem_ = nullptr;");
  w.line("const void *bound_[" + boundCount + "] = {};");
  w.line("bool has_context_ = false;");
}

std::string ClassEmitter::run() {
  cls_ = opts_.className.empty() ? info_.symbolPrefix : opts_.className;
  // A member named like the class would be taken for a constructor.
  if (names_.claim(cls_) != cls_)
    throw Error("the class name '" + cls_ +
                "' is also the name of one of its members; choose another "
                "with --class");
  layout();
  CodeWriter w;
  w.lines("#include <array>\n#include <cstring>\n#include <new>\n#include <utility>");
  w.blank();
  // A namespace does not indent what it holds.
  if (!opts_.namespaceName.empty()) {
    w.line("namespace " + opts_.namespaceName + " {");
    w.blank();
  }
  emitDoc(w);
  w.open("class " + cls_);
  emitStatic(w);
  emitInstance(w);
  emitAccessors(w);
  emitCalls(w);
  w.close(";");
  if (!opts_.namespaceName.empty()) {
    w.blank();
    w.line("} // namespace " + opts_.namespaceName);
  }
  return w.str();
}

} // namespace

std::string emitAotClass(const ModuleInfo &info, const HeaderOptions &options,
                         const Graph *source) {
  return ClassEmitter(info, options, source).run();
}

} // namespace gradc
