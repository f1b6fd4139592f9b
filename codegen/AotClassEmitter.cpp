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

#include "codegen/EmitUtil.h"
#include "codegen/Mangle.h"
#include "ir/Error.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

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
  void emitDoc(std::ostringstream &os);
  void emitStatic(std::ostringstream &os);
  void emitSpec(std::ostringstream &os, const Member &m, const char *role);
  void emitInstance(std::ostringstream &os);
  void emitAccessors(std::ostringstream &os);
  void emitCalls(std::ostringstream &os);
  std::string pointerArray(const std::vector<Member> &ms, bool isConst,
                           const std::string &name, bool bindable) const;

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

void ClassEmitter::emitDoc(std::ostringstream &os) {
  auto line = [&](const std::string &s) { os << "///" << (s.empty() ? "" : " ") << s << "\n"; };
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

void ClassEmitter::emitSpec(std::ostringstream &os, const Member &m,
                            const char *role) {
  const TensorType &t = m.arg->type;
  os << "  /// " << role << " '" << escapeComment(m.arg->name) << "': "
     << typeText(t) << (m.arg->requiresGrad ? ", requires grad" : "") << ".\n"
     << "  using " << m.type << " = " << m.cppType() << ";\n"
     << "  static constexpr std::array<long long, " << t.shape.size() << "> "
     << m.shape << "{{" << shapeList(t.shape) << "}};\n"
     << "  static constexpr TensorSpec " << m.spec << "{"
     << cppString(m.arg->name) << ", DType::" << dtypeEnumerator(t.dtype)
     << ", " << t.shape.size() << ", " << m.shape << ".data(), " << t.numel()
     << "LL, " << t.bytes() << "ULL, " << (m.arg->requiresGrad ? "true" : "false")
     << "};\n";
}

void ClassEmitter::emitStatic(std::ostringstream &os) {
  os << "public:\n"
     << "  /// Element type of a tensor.\n"
     << "  enum class DType { F32, F64, I32, I64, Bool };\n"
     << "  /// Static description of one tensor argument.\n"
     << "  struct TensorSpec {\n"
     << "    const char *name;        ///< As written in the graph.\n"
     << "    DType dtype;\n"
     << "    int rank;\n"
     << "    const long long *shape;  ///< `rank` extents, outermost first.\n"
     << "    long long numel;\n"
     << "    unsigned long long bytes;\n"
     << "    bool requires_grad;\n"
     << "  };\n\n"
     << "  static constexpr const char *kGraphName = " << cppString(info_.graphName)
     << ";\n"
     << "  static constexpr const char *kGradcVersion = \"" GRADC_VERSION_STRING
        "\";\n"
     << "  static constexpr int kNumInputs = " << inputs_.size() << ";\n"
     << "  static constexpr int kNumOutputs = " << outputs_.size() << ";\n"
     << "  static constexpr int kNumGrads = " << grads_.size() << ";\n"
     << "  /// Scratch bytes of the fused entry point (run()).\n"
     << "  static constexpr unsigned long long kFusedWorkspaceBytes = "
     << info_.fusedWorkspaceBytes << "ULL;\n"
     << "  /// Bytes forward() saves for backward().\n"
     << "  static constexpr unsigned long long kContextBytes = "
     << info_.contextBytes << "ULL;\n"
     << "  /// Scratch bytes of forward() and backward().\n"
     << "  static constexpr unsigned long long kWorkspaceBytes = "
     << info_.workspaceBytes << "ULL;\n"
     << "  /// Bytes of the input, output, gradient and seed buffers, each\n"
     << "  /// rounded up to 64.\n"
     << "  static constexpr unsigned long long kArgumentBytes = "
     << argumentBytes_ << "ULL;\n"
     << "  /// Bytes one object allocates in all.\n"
     << "  static constexpr unsigned long long kAllocationBytes = "
     << totalBytes_ << "ULL;\n\n";
  for (const Member &m : inputs_) emitSpec(os, m, "Input");
  for (const Member &m : outputs_) emitSpec(os, m, "Output");
  auto specArray = [&](const char *name, const std::vector<Member> &ms,
                       const std::vector<Member> *from) {
    os << "  static constexpr std::array<TensorSpec, " << ms.size() << "> "
       << name << "{{";
    for (size_t i = 0; i < ms.size(); ++i)
      os << (i ? ", " : "")
         << (from ? (*from)[info_.gradInputs[i]].spec : ms[i].spec);
    os << "}};\n";
  };
  os << "  /// Every input, output and gradient (in the entry points' order).\n";
  specArray("kInputs", inputs_, nullptr);
  specArray("kOutputs", outputs_, nullptr);
  specArray("kGrads", grads_, &inputs_);
  os << "\n  /// Backward roots and their seeds (cotangents): one pointer per\n"
     << "  /// output that can be a root; null means not a root.\n"
     << "  struct Seeds {\n";
  for (const Member &m : seeds_)
    os << "    const " << m.cppType() << " *" << m.seedField
       << " = nullptr; ///< Seed of '" << escapeComment(m.arg->name) << "', "
       << typeText(m.arg->type) << ".\n";
  os << "  };\n\n"
     << "  /// out.backward() for every scalar output that requires grad: those\n"
     << "  /// roots with seed 1.\n"
     << "  static Seeds default_seeds() {\n"
     << "    Seeds s;\n";
  for (const Member &m : seeds_)
    if (m.arg->type.numel() == 1)
      os << "    static const " << m.cppType() << " one_" << m.index
         << " = 1;\n    s." << m.seedField << " = &one_" << m.index << ";\n";
  os << "    return s;\n  }\n\n";
}

std::string ClassEmitter::pointerArray(const std::vector<Member> &ms,
                                       bool isConst, const std::string &name,
                                       bool bindable) const {
  // Arrays of length zero are not C++; the entry points do not read them.
  std::string r = std::string("    ") + (isConst ? "const void *const " : "void *const ") +
                  name + "[" + std::to_string(std::max<size_t>(ms.size(), 1)) + "] = {";
  if (ms.empty()) r += "nullptr";
  for (size_t i = 0; i < ms.size(); ++i) {
    std::string own = "mem_ + " + std::to_string(ms[i].offset) + "ULL";
    r += (i ? ", " : "");
    r += bindable ? "bound_[" + std::to_string(i) + "] ? bound_[" +
                        std::to_string(i) + "] : " + own
                  : own;
  }
  return r + "};\n";
}

void ClassEmitter::emitInstance(std::ostringstream &os) {
  os << "  /// Allocates and initializes the buffers (see the class comment).\n"
     << "  /// Throws std::bad_alloc if memory is short.\n"
     << "  " << cls_ << "()\n"
     << "      : mem_(static_cast<char *>(::operator new(\n"
     << "            kAllocationBytes, std::align_val_t(64)))) {\n"
     << "    std::memset(mem_, 0, kAllocationBytes);\n"
     << "    reset_inputs();\n";
  for (const Member &m : seeds_)
    if (m.arg->type.numel() == 1)
      os << "    *" << m.accessor << "() = 1;\n";
  os << "  }\n"
     << "  ~" << cls_ << "() { release(); }\n"
     << "  " << cls_ << "(const " << cls_ << " &) = delete;\n"
     << "  " << cls_ << " &operator=(const " << cls_ << " &) = delete;\n"
     << "  /// Takes over \\p other's buffers; \\p other is left empty and may\n"
     << "  /// only be destroyed or assigned to.\n"
     << "  " << cls_ << "(" << cls_ << " &&other) noexcept { swap(other); }\n"
     << "  " << cls_ << " &operator=(" << cls_ << " &&other) noexcept {\n"
     << "    if (this != &other) { release(); swap(other); }\n"
     << "    return *this;\n  }\n\n"
     << "  /// Sets inputs with a constant init back to it, the others to zero,\n"
     << "  /// and reads every input from its own buffer again.\n"
     << "  void reset_inputs() {\n";
  for (const Member &m : inputs_) {
    os << "    bound_[" << m.index << "] = nullptr;\n";
    const Node *n = sourceNode(m.arg->name);
    std::string kind = n ? getString(n->attrs, "init", "") : "";
    double v = 0;
    if (kind == "ones") v = 1;
    else if (kind == "value") v = getFloat(n->attrs, "init_value", 0);
    os << "    { " << m.cppType() << " *p = " << m.accessor
       << "(); for (long long i = 0; i < " << m.arg->type.numel()
       << "LL; ++i) p[i] = " << literal(v, m.arg->type.dtype) << "; }\n";
  }
  os << "  }\n\n";
}

void ClassEmitter::emitAccessors(std::ostringstream &os) {
  auto ptr = [](const Member &m) {
    return "(mem_ + " + std::to_string(m.offset) + "ULL)";
  };
  for (const Member &m : inputs_) {
    const std::string t = m.cppType();
    os << "  /// The own buffer of input '" << escapeComment(m.arg->name) << "' ("
       << typeText(m.arg->type) << "): write its value here.\n"
       << "  " << t << " *" << m.accessor << "() { return reinterpret_cast<" << t
       << " *>" << ptr(m) << "; }\n"
       << "  const " << t << " *" << m.accessor
       << "() const { return reinterpret_cast<const " << t << " *>" << ptr(m)
       << "; }\n"
       << "  /// Reads input '" << escapeComment(m.arg->name)
       << "' from \\p data (" << m.arg->type.numel()
       << " elements, row-major) instead,\n"
       << "  /// without a copy, until reset_inputs(); null: the own buffer.\n"
       << "  void " << m.setter << "(const " << t << " *data) { bound_["
       << m.index << "] = data; }\n";
  }
  for (const Member &m : outputs_) {
    const std::string t = m.cppType();
    os << "  /// Output '" << escapeComment(m.arg->name) << "' ("
       << typeText(m.arg->type) << "), after run() or forward().\n"
       << "  const " << t << " *" << m.accessor
       << "() const { return reinterpret_cast<const " << t << " *>" << ptr(m)
       << "; }\n";
  }
  for (const Member &m : grads_) {
    const std::string t = m.cppType();
    os << "  /// d(roots)/d '" << escapeComment(m.arg->name) << "' ("
       << typeText(m.arg->type) << "): x.grad after run() or backward().\n"
       << "  " << t << " *" << m.accessor << "() { return reinterpret_cast<" << t
       << " *>" << ptr(m) << "; }\n"
       << "  const " << t << " *" << m.accessor
       << "() const { return reinterpret_cast<const " << t << " *>" << ptr(m)
       << "; }\n";
  }
  for (const Member &m : seeds_) {
    const std::string t = m.cppType();
    os << "  /// A buffer for a seed of '" << escapeComment(m.arg->name) << "' ("
       << typeText(m.arg->type) << "; starts at "
       << (m.arg->type.numel() == 1 ? "1" : "0")
       << "): fill it and pass it as Seeds::" << m.seedField << ".\n"
       << "  " << t << " *" << m.accessor << "() { return reinterpret_cast<" << t
       << " *>" << ptr(m) << "; }\n";
  }
  auto generic = [&](const char *name, const std::vector<Member> &ms,
                     bool isConst) {
    os << "  " << (isConst ? "const void *" : "void *") << name << "(int i)"
       << (isConst ? " const" : "") << " {\n"
       << "    static constexpr unsigned long long offsets[] = {";
    for (size_t i = 0; i < ms.size(); ++i)
      os << (i ? ", " : "") << ms[i].offset << "ULL";
    os << (ms.empty() ? "0" : "") << "};\n"
       << "    return i >= 0 && i < " << ms.size()
       << " ? mem_ + offsets[i] : nullptr;\n  }\n";
  };
  os << "  /// Buffers by position (kInputs / kOutputs / kGrads order); null\n"
     << "  /// when out of range.\n";
  generic("input_data", inputs_, false);
  generic("output_data", outputs_, true);
  generic("grad_data", grads_, false);
  os << "\n";
}

void ClassEmitter::emitCalls(std::ostringstream &os) {
  const std::string &p = info_.symbolPrefix;
  os << "  /// Forward and backward in one call of the fused entry point, from\n"
     << "  /// \\p seeds' roots. With \\p accumulate the gradients are added to the\n"
     << "  /// grad buffers (.grad accumulates), else they overwrite them (as\n"
     << "  /// after x.grad = None). Ends any forward() context.\n"
     << "  /// Returns 0, or the entry point's status when an index read from\n"
     << "  /// the data is out of range (see the sites listed above).\n"
     << "  unsigned long long run(const Seeds &seeds, bool accumulate = false) {\n"
     << pointerArray(inputs_, true, "in", true)
     << pointerArray(outputs_, false, "out", false)
     << pointerArray(grads_, false, "grads", false)
     << "    const void *const sp[" << std::max<size_t>(outputs_.size(), 1)
     << "] = {";
  auto seedList = [&] {
    std::string r;
    for (size_t k = 0; k < outputs_.size(); ++k) {
      r += k ? ", " : "";
      std::string field;
      for (const Member &m : seeds_)
        if (m.index == static_cast<int>(k)) field = m.seedField;
      r += field.empty() ? "nullptr" : "seeds." + field;
    }
    return outputs_.empty() ? std::string("nullptr") : r;
  };
  os << seedList() << "};\n"
     << "    (void)seeds;\n"
     << "    has_context_ = false;\n"
     << "    return ::" << p << "_fwd_bwd(in, out, grads, sp, accumulate ? 1ULL : 0ULL, mem_);\n"
     << "  }\n"
     << "  /// run() with default_seeds().\n"
     << "  unsigned long long run(bool accumulate = false) {\n"
     << "    return run(default_seeds(), accumulate);\n  }\n\n"
     << "  /// The forward pass: outputs, plus a context that any number of\n"
     << "  /// backward() calls use (retain_graph=True).\n"
     << "  /// Returns 0, or the status of a failed index check (then there is\n"
     << "  /// no context).\n"
     << "  unsigned long long forward() {\n"
     << pointerArray(inputs_, true, "in", true)
     << pointerArray(outputs_, false, "out", false)
     << "    unsigned long long st = ::" << p << "_forward(in, out, mem_ + " << contextOffset_
     << "ULL, mem_ + " << workspaceOffset_ << "ULL);\n"
     << "    has_context_ = st == 0;\n    return st;\n  }\n\n"
     << "  /// Backward from \\p seeds' roots on the last forward()'s context;\n"
     << "  /// \\p accumulate as in run(). Returns false, doing nothing, if there\n"
     << "  /// is no context (no forward() yet, or a run() since).\n"
     << "  bool backward(const Seeds &seeds, bool accumulate = false) {\n"
     << "    if (!has_context_) return false;\n"
     << pointerArray(grads_, false, "grads", false)
     << "    const void *const sp[" << std::max<size_t>(outputs_.size(), 1)
     << "] = {" << seedList() << "};\n"
     << "    (void)seeds;\n"
     << "    ::" << p << "_backward(mem_ + " << contextOffset_
     << "ULL, grads, sp, accumulate ? 1ULL : 0ULL, mem_ + " << workspaceOffset_
     << "ULL);\n"
     << "    return true;\n  }\n"
     << "  /// backward() with default_seeds().\n"
     << "  bool backward(bool accumulate = false) {\n"
     << "    return backward(default_seeds(), accumulate);\n  }\n\n"
     << "  /// Whether backward() has a context to work on.\n"
     << "  bool has_context() const { return has_context_; }\n\n"
     << "  /// Sets every gradient buffer to zero (optimizer.zero_grad()).\n"
     << "  void zero_grads() {\n";
  for (const Member &m : grads_)
    os << "    std::memset(mem_ + " << m.offset << "ULL, 0, "
       << m.arg->type.bytes() << "ULL);\n";
  os << "  }\n\n"
     << "private:\n"
     << "  void release() {\n"
     << "    if (mem_) ::operator delete(mem_, std::align_val_t(64));\n"
     << "    mem_ = nullptr;\n  }\n"
     << "  void swap(" << cls_ << " &other) noexcept {\n"
     << "    std::swap(mem_, other.mem_);\n"
     << "    for (int i = 0; i < " << std::max<size_t>(inputs_.size(), 1)
     << "; ++i) std::swap(bound_[i], other.bound_[i]);\n"
     << "    std::swap(has_context_, other.has_context_);\n  }\n\n"
     << "  char *mem_ = nullptr;\n"
     << "  const void *bound_[" << std::max<size_t>(inputs_.size(), 1)
     << "] = {};\n"
     << "  bool has_context_ = false;\n";
}

std::string ClassEmitter::run() {
  cls_ = opts_.className.empty() ? info_.symbolPrefix : opts_.className;
  // A member named like the class would be taken for a constructor.
  if (names_.claim(cls_) != cls_)
    throw Error("the class name '" + cls_ +
                "' is also the name of one of its members; choose another "
                "with --class");
  layout();
  std::ostringstream os;
  os << "#include <array>\n#include <cstring>\n#include <new>\n#include <utility>\n\n";
  if (!opts_.namespaceName.empty())
    os << "namespace " << opts_.namespaceName << " {\n\n";
  emitDoc(os);
  os << "class " << cls_ << " {\n";
  emitStatic(os);
  emitInstance(os);
  emitAccessors(os);
  emitCalls(os);
  os << "};\n";
  if (!opts_.namespaceName.empty())
    os << "\n} // namespace " << opts_.namespaceName << "\n";
  return os.str();
}

/// The C layer: argument list comment, macros and prototypes.
} // namespace

std::string emitAotClass(const ModuleInfo &info, const HeaderOptions &options,
                         const Graph *source) {
  return ClassEmitter(info, options, source).run();
}

} // namespace gradc
