//===- codegen/LoopEmitter.cpp - One loop nest for a fused kernel ---------===//
#include "codegen/LoopEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"
#include "codegen/LoopSpace.h"
#include "codegen/ReductionCode.h"
#include "codegen/OpEmitter.h"
#include "ir/Error.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace gradc {
namespace {

constexpr int kLanes = kReductionLanes;
constexpr int64_t kTiny = 256;          // at most this many: no versions
constexpr int64_t kParallelMin = 1 << 18; // at least this many: blocks
constexpr int64_t kBlock = 1 << 15;     // elements per parallel block
// A reduction over dim 0 of a parallel nest whose results are kept in
// place (not a trailing run) gets one partial result array per block; the
// arrays together live on the stack, within this many bytes.
constexpr int64_t kBlockPartialBytes = 256 * 1024;

using emit::num;

/// A value read from memory (or a literal) by the loop.
struct Access {
  BufferRef buf;
  std::string name;          ///< Parameter, literal or array name.
  std::vector<bool> present; ///< Per collapsed dim: indexed (else broadcast).
  const Node *seed = nullptr;  ///< Set when it is a possibly-null seed.
  bool scalar = false;       ///< One element: loaded once before the loop.
};

/// Where one operand of a loop node comes from.
struct Operand {
  const Node *reg = nullptr; ///< A register value of this loop, or
  int access = -1;           ///< an index into accesses_.
};

/// Which specialization of the loop body to emit.
struct Variant {
  bool generic = true;                 ///< Test seeds and gradients inline.
  bool substituted = false; ///< Tiny loops: null pointers were replaced by
                            ///< zeros / a dummy before the loop.
  std::unordered_set<std::string> nullSeeds; ///< Seeds known to be null.
};

class LoopEmitter {
public:
  LoopEmitter(const KernelPlan &k, const LoopEnv &env, KernelParams &params)
      : k_(k), env_(env), params_(params) {}

  LoopCode run() {
    collapse();
    resolve();
    LoopCode code;
    if (useLanes()) code.helpers += laneTypedefs(reds_);
    CodeWriter fast(0, kKernelStep);
    loops(fast, code.helpers);
    std::vector<std::string> grads = gradSinks();
    if (numel() <= kTiny || grads.empty()) {
      code.body = fast.str();
    } else {
      // Null gradient pointers are rare (the host API passes them all). The
      // loops compute such a gradient into a zeroed temporary, freed after:
      // one nest serves both cases, with the same blocks and so the same
      // sums, instead of a second copy of the loops that costs the JIT as
      // much time as the first.
      CodeWriter w(0, kKernelStep);
      for (const std::string &g : grads) {
        std::string T = gradType(g), t = g + "_t";
        w.line(T + " *" + t + " = nullptr;");
        w.open("if (!" + g + ")");
        w.line(t + " = (" + T + " *)calloc(" + std::to_string(gradElements(g)) +
               "ULL, sizeof(" + T + "));");
        w.line("if (!" + t + ") __builtin_trap(); // out of memory");
        w.line(g + " = " + t + ";");
        w.close();
      }
      w.lines(fast.str());
      for (const std::string &g : grads) w.line("free(" + g + "_t);");
      code.body = w.str();
    }
    code.usesFlags = usesFlags_;
    return code;
  }

  /// The loop code: in-place reductions set up, the nest (in blocks run
  /// by the thread pool when large), results finished.
  void loops(CodeWriter &w, std::string &helpers) {
    accDecl(w);
    for (const Reduction &r : reds_)
      if (r.suffix < 0) w.lines(initInPlace(r, *space_));
    bool blocked = parallel();
    if (blocked) blockedNests(w, helpers);
    else versions(w, false);
    for (const Reduction &r : reds_)
      if (blocked && blockPartial(r)) combineBlockPartials(w, r);
    for (const Reduction &r : reds_)
      if (r.suffix < 0) w.lines(finishInPlace(r, *space_));
    for (const Reduction &r : reds_)
      if (blocked && r.suffix == 0) w.lines(finishPartials(r, nblocks_));
  }

private:
  // --- Iteration space ---------------------------------------------------
  /// Merges neighbouring dims every access treats alike (codegen/LoopSpace.h).
  void collapse() {
    size_t r = k_.domain.size();
    std::vector<DimPattern> pats;
    for (const Node *n : k_.loop) {
      for (const Node *o : n->operands)
        pats.push_back(LoopSpace::presentDims(o->type.shape, k_.domain));
      if (isReduction(n->op)) pats.push_back(LoopSpace::reducedDims(n, r));
    }
    space_ = std::make_unique<LoopSpace>(k_.domain, pats);
  }

  int rank() const { return space_->rank(); }
  int64_t numel() const { return space_->numel(); }
  const std::vector<int64_t> &dims() const { return space_->dims(); }
  std::string offset(const DimPattern &mask) const { return space_->offset(mask); }
  std::string flat() const { return space_->flat(); }

  // --- Operands and results ---------------------------------------------
  void resolve() {
    std::unordered_set<const Node *> inLoop(k_.loop.begin(), k_.loop.end());
    size_t r = k_.domain.size();
    for (const Node *n : k_.loop) {
      std::vector<Operand> ops;
      for (const Node *o : n->operands) {
        if (inLoop.count(o) && isElementwise(o->op)) {
          ops.push_back({o, -1});
          continue;
        }
        const Node *root = storageRoot(o);
        Access a;
        a.buf = env_.storage(root);
        a.present = space_->collapse(LoopSpace::presentDims(o->type.shape, k_.domain));
        a.scalar = std::none_of(a.present.begin(), a.present.end(),
                                [](bool b) { return b; });
        if (root->op == OpKind::Seed && env_.nullableSeed(root)) a.seed = root;
        a.name = params_.use(a.buf);
        ops.push_back({nullptr, addAccess(a)});
      }
      operands_[n] = ops;
      if (isReduction(n->op)) reds_.push_back(reduction(n, r));
      else sinks_[n] = sinks(n);
    }
  }

  int addAccess(const Access &a) {
    std::string key = a.buf.key + "|" + a.buf.literal + "|" + a.buf.global + "|";
    for (bool p : a.present) key += p ? '1' : '0';
    auto [it, fresh] = accessIndex_.emplace(key, static_cast<int>(accesses_.size()));
    if (fresh) accesses_.push_back(a);
    return it->second;
  }

  std::vector<Sink> sinks(const Node *n) {
    std::vector<Sink> s;
    const ValuePlace &vp = env_.placeOf(n);
    auto add = [&](const Place &p) {
      if (p.kind == Place::Reg) return;
      BufferRef b = env_.place(p, n->type.dtype);
      s.push_back({params_.use(b, true), p.kind == Place::Grad});
      usesFlags_ |= p.kind == Place::Grad;
    };
    add(vp.home);
    for (const Place &p : vp.extras) add(p);
    return s;
  }

  Reduction reduction(const Node *n, size_t r) {
    Reduction red;
    red.node = n;
    red.reduced = space_->collapse(LoopSpace::reducedDims(n, r));
    int g = rank();
    while (g > 0 && red.reduced[g - 1]) --g;
    bool suffix = true;
    for (int i = 0; i < g; ++i) suffix = suffix && !red.reduced[i];
    red.suffix = suffix ? g : -1;
    red.tail = g;
    for (int i = 0; i < rank(); ++i)
      if (red.reduced[i]) red.count *= dims()[i];
    setAccumulator(red);
    DType t = n->type.dtype;
    const ValuePlace &vp = env_.placeOf(n);
    if (vp.home.kind == Place::Reg)
      throw InternalError("codegen", "reduction '" + n->displayName() +
                                         "' has no memory for its result");
    red.home = params_.use(env_.place(vp.home, t), true);
    for (const Place &p : vp.extras) {
      red.extras.push_back({params_.use(env_.place(p, t), true),
                            p.kind == Place::Grad});
      usesFlags_ |= p.kind == Place::Grad;
    }
    return red;
  }

  // --- Loop body ---------------------------------------------------------
  std::string read(const Access &a, const Variant &v) const {
    if (!a.buf.literal.empty()) return a.buf.literal;
    if (a.scalar && a.seed) return a.name + "_0";
    std::string idx = a.name + "[" + offset(a.present) + "]";
    if (!a.seed) return idx;
    if (v.substituted) return a.name + "_s[" + offset(a.present) + "]";
    if (v.nullSeeds.count(a.buf.key)) return "(" + a.buf.elemType + ")0";
    if (v.generic) return "(" + a.name + " ? " + idx + " : (" + a.buf.elemType + ")0)";
    return idx;
  }

  /// Statements computing every node for the current index, `lane` naming
  /// the partial sum a reduction feeds. `staged`: the strip-mined main loop,
  /// where reduction operands go to a vector z<id> added to the lanes after
  /// each strip (a whole-vector update clang turns into SIMD adds).
  void body(CodeWriter &w, const Variant &v, const std::string &lane,
            bool staged = false) const {
    for (const Node *n : k_.loop) {
      std::vector<std::string> args;
      for (const Operand &o : operands_.at(n))
        args.push_back(o.reg ? "v" + std::to_string(o.reg->id)
                             : read(accesses_[o.access], v));
      if (!isReduction(n->op)) {
        w.line("const " + std::string(dtypeCppName(n->type.dtype)) + " v" +
               std::to_string(n->id) + " = " + elementwiseExpr(n, args) + ";");
        continue;
      }
      const Reduction &r = *std::find_if(reds_.begin(), reds_.end(),
                                         [&](const Reduction &x) { return x.node == n; });
      std::string x = args[0];
      std::string T = dtypeCppName(n->type.dtype);
      bool mx = n->op == OpKind::Max, mn = n->op == OpKind::Min;
      if (r.suffix == rank()) { // reduces only size-1 dims: the identity
        w.openLine("{ const " + T + " r = " + reductionResult(r, "(" + r.acc + ")" + x) +
                   ";");
        w.lines(storeResult(r, offset(notReduced(r)), "r"));
        w.close();
      } else if (laneReduced(r) && staged) {
        w.line("z" + std::to_string(n->id) + "[" + lane + "] = " + x + ";");
      } else if (laneReduced(r)) {
        w.lines(accumulateLane(r, lane, x));
      } else {
        std::string h = inPlaceBase(r) + "[" + offset(notReduced(r)) + "]";
        if (mx || mn)
          w.line(h + " = gc_" + (mx ? "max" : "min") + "<" + T + ">(" + h + ", " + x + ");");
        else
          w.line(h + " += " + x + ";");
      }
    }
    std::string f = flat();
    for (const Node *n : k_.loop) {
      auto it = sinks_.find(n);
      if (it == sinks_.end()) continue;
      std::string val = "v" + std::to_string(n->id);
      for (const Sink &k : it->second) {
        std::string dst = k.name + "[" + f + "]";
        if (!k.grad) {
          w.line(dst + " = " + val + ";");
          continue;
        }
        if (v.substituted) dst = k.name + "_g[" + f + "]";
        std::string st = dst + " = acc ? " + dst + " + " + val + " : " + val + ";";
        w.line(v.generic && !v.substituted ? "if (" + k.name + ") " + st : st);
      }
    }
  }

  static std::vector<bool> notReduced(const Reduction &r) {
    std::vector<bool> m;
    for (bool b : r.reduced) m.push_back(!b);
    return m;
  }

  /// Whether `r` sums a trailing run of dims in lane accumulators: a
  /// reduction whose reduced dims are all trailing, or an in-place one
  /// whose last dim is reduced (its run total then goes into the result).
  bool laneReduced(const Reduction &r) const { return r.tail < rank(); }

  bool useLanes() const {
    if (rank() == 0 || numel() <= kTiny) return false;
    bool any = false;
    for (const Reduction &r : reds_) any |= laneReduced(r);
    return any && dims().back() >= 2 * kLanes;
  }

  /// The loop nest over dims [0, rank), dim 0 restricted to [lo, lo + n)
  /// when `lo` is non-empty (a parallel block). `partial`: store each full
  /// reduction's lane sum to part<id>[blk] instead of finishing it.
  void nest(CodeWriter &w, const Variant &v, const std::string &lo, int64_t n0,
            bool partial) const {
    int lanes = useLanes() ? kLanes : 1;
    for (int d = 0; d <= rank(); ++d) {
      declareAccumulators(w, d, lanes);
      if (d == rank()) break;
      std::string iv = "i" + std::to_string(d);
      int64_t n = d == 0 && !lo.empty() ? n0 : dims()[d];
      std::string start = d == 0 && !lo.empty() ? lo : "0LL";
      if (d == rank() - 1 && lanes > 1) {
        int64_t main = n - n % lanes;
        // The strip variable runs over absolute positions: "b + l" lets
        // clang see consecutive accesses ("lo + b + l" defeated it).
        w.open("for (long long b = " + start + "; b < " + start + " + " + num(main) +
               "; b += " + std::to_string(lanes) + ")");
        stageVectors(w);
        w.open("for (int l = 0; l < " + std::to_string(lanes) + "; ++l)");
        w.line("const long long " + iv + " = b + l;");
        body(w, v, "l", true);
        w.close();
        addStaged(w);
        w.close();
        if (n % lanes) {
          w.open("for (int l = 0; l < " + std::to_string(n % lanes) + "; ++l)");
          w.line("const long long " + iv + " = " + start + " + " + num(main) + " + l;");
          body(w, v, "l");
          w.close();
        }
        for (int e = d; e >= 0; --e) {
          if (e < d) w.close();
          finishAccumulators(w, e, lanes, partial);
        }
        return;
      }
      w.open("for (long long " + iv + " = " + start + "; " + iv + " < " + start + " + " +
             num(n) + "; ++" + iv + ")");
    }
    body(w, v, "0");
    for (int e = rank() - 1; e >= 0; --e) {
      w.close();
      finishAccumulators(w, e, lanes, partial);
    }
  }

  void declareAccumulators(CodeWriter &w, int d, int lanes) const {
    for (const Reduction &r : reds_)
      if (d != rank() && r.tail == d) w.lines(declareAccumulator(r, lanes));
  }

  /// One staging vector per lane-reduced value, for a strip.
  void stageVectors(CodeWriter &w) const {
    for (const Reduction &r : reds_)
      if (laneReduced(r)) w.lines(stageVector(r));
  }

  /// Adds (or takes the max/min of) a strip's staged values into the lanes.
  void addStaged(CodeWriter &w) const {
    for (const Reduction &r : reds_)
      if (laneReduced(r)) w.lines(gradc::addStaged(r));
  }

  void finishAccumulators(CodeWriter &w, int d, int lanes, bool partial) const {
    for (const Reduction &r : reds_) {
      if (r.suffix < 0 && laneReduced(r) && r.tail == d) {
        // The run's total joins the in-place result (finishInPlace
        // divides a mean once every run is in).
        std::string T = dtypeCppName(r.node->type.dtype);
        std::string h = inPlaceBase(r) + "[" + offset(notReduced(r)) + "]";
        std::string total = "(" + T + ")(" + laneTree(r, "a" + std::to_string(r.node->id),
                                                      0, lanes) + ")";
        w.line(h + " = " + combineValues(r, h, total) + ";");
        continue;
      }
      if (r.suffix != d || d == rank()) continue;
      std::string a = "a" + std::to_string(r.node->id);
      std::string tree = laneTree(r, a, 0, lanes);
      if (partial && d == 0) {
        w.line("part" + std::to_string(r.node->id) + "[blk] = " + tree + ";");
        continue;
      }
      w.openLine("{ const " + std::string(dtypeCppName(r.node->type.dtype)) + " r = " +
                 reductionResult(r, tree) + ";");
      w.lines(storeResult(r, offset(notReduced(r)), "r"));
      w.close();
    }
  }

  // --- Specializations ---------------------------------------------------
  std::vector<std::string> nullableSeeds() const {
    std::vector<std::string> s;
    for (const Access &a : accesses_)
      if (a.seed && !a.scalar &&
          std::find(s.begin(), s.end(), a.name) == s.end())
        s.push_back(a.name);
    return s;
  }
  std::vector<std::string> gradSinks() const {
    // In parameter order: sinks_ is keyed by pointer, and its order would
    // make the text (and the compile cache's key) vary between builds.
    std::unordered_set<std::string> grad;
    for (const auto &kv : sinks_)
      for (const Sink &k : kv.second)
        if (k.grad) grad.insert(k.name);
    std::vector<std::string> g;
    for (const auto &p : params_.params())
      if (grad.count(p.name)) g.push_back(p.name);
    return g;
  }

  /// The loop, specialized: gradients all present (else a generic loop
  /// that tests), and each possibly-null seed null or not.
  void accDecl(CodeWriter &w) const {
    if (!usesFlags_) return;
    w.line("const bool acc = (flags & 1ULL) != 0;");
    w.line("(void)acc;");
  }

  /// The nest. Tiny loops replace null seeds by zeros and null gradients by
  /// a dummy up front (branch-free, cheap to compile); others are
  /// specialized per null seed (gradients are present: see run()).
  void versions(CodeWriter &w, bool inBlock, const std::string &lo = "",
                int64_t n0 = 0) const {
    std::unordered_set<std::string> loaded;
    for (const Access &a : accesses_) // a scalar seed: one load, up front
      if (a.scalar && a.seed && loaded.insert(a.name).second)
        w.line("const " + a.buf.elemType + " " + a.name + "_0 = " + a.name + " ? " +
               a.name + "[0] : (" + a.buf.elemType + ")0;");
    if (numel() <= kTiny) {
      // The stand-ins have the size of any tiny loop's (a seed of this
      // loop has at most numel() elements), not this one's: the code then
      // does not change with the sizes, so bindings of a graph with size
      // variables share it (runtime/CodeTemplate.h).
      std::string n = std::to_string(kTiny);
      for (const std::string &name : nullableSeeds()) {
        const Access &a = *std::find_if(accesses_.begin(), accesses_.end(),
                                        [&](const Access &x) { return x.name == name; });
        std::string T = a.buf.elemType;
        w.line("const " + T + " " + name + "_z[" + n + "] = {};");
        w.line("const " + T + " *" + name + "_s = " + name + " ? " + name + " : " + name +
               "_z;");
      }
      for (const std::string &g : gradSinks()) {
        std::string T = gradType(g);
        w.line(T + " " + g + "_d[" + n + "] = {};");
        w.line(T + " *" + g + "_g = " + g + " ? " + g + " : " + g + "_d;");
      }
      Variant v;
      v.substituted = true;
      nest(w, v, lo, n0, inBlock);
      return;
    }
    specialize(w, nullableSeeds(), 0, Variant{false, false, {}}, lo, n0, inBlock);
  }

  /// Elements of the gradient buffer parameter `name`: the largest value
  /// the loop stores there.
  int64_t gradElements(const std::string &name) const {
    int64_t n = 1;
    for (const auto &kv : sinks_)
      for (const Sink &k : kv.second)
        if (k.name == name) n = std::max(n, kv.first->type.numel());
    return n;
  }

  std::string gradType(const std::string &name) const {
    for (const auto &p : params_.params())
      if (p.name == name) return p.ref.elemType;
    return "float";
  }

  void specialize(CodeWriter &w, const std::vector<std::string> &seeds, size_t i,
                  Variant v, const std::string &lo, int64_t n0, bool inBlock) const {
    if (i == seeds.size() || i >= 2) {
      if (i < seeds.size()) v.generic = true; // more than two: test inline
      nest(w, v, lo, n0, inBlock);
      return;
    }
    Variant null = v;
    std::string key;
    for (const Access &a : accesses_)
      if (a.name == seeds[i]) key = a.buf.key;
    null.nullSeeds.insert(key);
    w.open("if (" + seeds[i] + ")");
    specialize(w, seeds, i + 1, v, lo, n0, inBlock);
    w.reopen("else");
    specialize(w, seeds, i + 1, null, lo, n0, inBlock);
    w.close();
  }

  // --- Parallel blocks ---------------------------------------------------
  bool parallel() const {
    if (!env_.parallel || rank() == 0 || numel() < kParallelMin) return false;
    // An in-place reduction that keeps dim 0 writes results no other block
    // writes; one that reduces dim 0 needs a partial array per block.
    int64_t partialBytes = 0;
    for (const Reduction &r : reds_)
      if (blockPartial(r))
        partialBytes += blockCount() * keptCount(r, *space_) *
                        dtypeSize(r.node->type.dtype);
    return partialBytes <= kBlockPartialBytes;
  }

  /// Whether `r` accumulates in place over dim 0, so that a parallel nest
  /// gives each block its own partial results (pr<id>), added in block
  /// order afterwards: the same bits for any thread count.
  static bool blockPartial(const Reduction &r) {
    return r.suffix < 0 && !r.reduced.empty() && r.reduced[0];
  }

  /// Where the in-place reduction `r` accumulates: its result buffer, or
  /// the current block's partial array.
  std::string inPlaceBase(const Reduction &r) const {
    return blockPartials_ && blockPartial(r) ? "pr" + std::to_string(r.node->id)
                                             : r.home;
  }

  /// The blocks' partial results of `r` combined, in block order, into its
  /// result buffer (finishInPlace then finishes it as without blocks).
  void combineBlockPartials(CodeWriter &w, const Reduction &r) const {
    std::string id = std::to_string(r.node->id), T = dtypeCppName(r.node->type.dtype);
    int64_t kept = keptCount(r, *space_);
    w.open("for (long long q = 0; q < " + num(kept) + "; ++q)");
    w.line(T + " t = pin" + id + "[q];");
    w.line("for (long long b = 1; b < " + num(blockCount()) + "; ++b) t = " +
           combineValues(r, "t", "pin" + id + "[b * " + num(kept) + " + q]") + ";");
    w.line(r.home + "[q] = t;");
    w.close();
  }

  int64_t blockCount() const {
    int64_t rows = rowsPerBlock(), n0 = dims()[0];
    return (n0 + rows - 1) / rows;
  }

  int64_t rowsPerBlock() const {
    int64_t inner = numel() / dims()[0];
    return std::max<int64_t>(1, kBlock / std::max<int64_t>(inner, 1));
  }

  /// The nest in fixed blocks of rows, through gradc_parallel_for (the
  /// same blocks for any thread count, so the same sums).
  void blockedNests(CodeWriter &w, std::string &helpers) {
    int64_t rows = rowsPerBlock(), n0 = dims()[0];
    int64_t nb = blockCount(), tail = n0 - (nb - 1) * rows;
    nblocks_ = nb;
    std::string P = env_.prefix;
    // The blocks run in a function whose buffers are __restrict__
    // parameters (clang honors restrict on parameters, also once inlined,
    // not on local pointers): the thread entry only unpacks the arguments.
    std::vector<std::string> fields;
    std::string params, args, init;
    for (const auto &p : params_.params()) {
      std::string ty = std::string(p.written ? "" : "const ") + p.ref.elemType + " *";
      fields.push_back(ty + p.name + ";");
      params += ty + "__restrict__ " + p.name + ", ";
      args += "a->" + p.name + ", ";
      init += (init.empty() ? "" : ", ") + p.name;
    }
    for (const Reduction &r : reds_)
      if (r.suffix == 0) {
        std::string part = "part" + std::to_string(r.node->id);
        fields.push_back(r.acc + " *" + part + ";");
        params += r.acc + " *__restrict__ " + part + ", ";
        args += "a->" + part + ", ";
        init += (init.empty() ? "" : ", ") + part;
      }
    for (const Reduction &r : reds_)
      if (blockPartial(r)) {
        std::string pin = "pin" + std::to_string(r.node->id);
        std::string T = dtypeCppName(r.node->type.dtype);
        fields.push_back(T + " *" + pin + ";");
        params += T + " *__restrict__ " + pin + ", ";
        args += "a->" + pin + ", ";
        init += (init.empty() ? "" : ", ") + pin;
      }
    fields.push_back("unsigned long long flags;");
    init += (init.empty() ? "" : ", ") + std::string(usesFlags_ ? "flags" : "0ULL");
    // The argument struct is a declaration, not kernel code: its members
    // are indented as usual.
    CodeWriter decl;
    decl.open("struct " + P + "_args");
    for (const std::string &f : fields) decl.line(f);
    decl.close(";");
    CodeWriter h(0, kKernelStep);
    h.open("static inline __attribute__((always_inline)) void " + P + "_blocks(" + params +
           "unsigned long long flags, long long b0, long long b1)");
    h.line("(void)flags;");
    accDecl(h);
    h.open("for (long long blk = b0; blk < b1; ++blk)");
    h.line("const long long lo = blk * " + num(rows) + ";");
    blockPartials_ = true;
    for (const Reduction &r : reds_)
      if (blockPartial(r)) {
        std::string id = std::to_string(r.node->id), T = dtypeCppName(r.node->type.dtype);
        int64_t kept = keptCount(r, *space_);
        h.line(T + " *pr" + id + " = pin" + id + " + blk * " + num(kept) + ";");
        h.line("for (long long q = 0; q < " + num(kept) + "; ++q) pr" + id + "[q] = " +
               r.init + ";");
      }
    // The last block apart even when it is full (tail == rows): the code
    // is then the same for every size but its numbers, which bindings of a
    // graph with size variables share (runtime/CodeTemplate.h).
    h.open("if (blk < " + num(nb - 1) + ")");
    versions(h, true, "lo", rows);
    h.reopen("else");
    versions(h, true, "lo", tail);
    h.close();
    h.close();
    h.close();
    // Out of line even where it is also called directly (no thread pool):
    // inlined there, clang would optimize and compile the nest twice.
    h.open("static __attribute__((noinline)) void " + P +
           "_block(void *args, long long b0, long long b1)");
    h.line("const " + P + "_args *a = (const " + P + "_args *)args;");
    h.line(P + "_blocks(" + args + "a->flags, b0, b1);");
    h.close();
    helpers += decl.str() + h.str();
    for (const Reduction &r : reds_)
      if (r.suffix == 0)
        w.line(r.acc + " part" + std::to_string(r.node->id) + "[" + std::to_string(nb) +
               "];");
    for (const Reduction &r : reds_)
      if (blockPartial(r))
        w.line(std::string(dtypeCppName(r.node->type.dtype)) + " pin" +
               std::to_string(r.node->id) + "[" +
               std::to_string(nb * keptCount(r, *space_)) + "];");
    w.line(P + "_args args = {" + init + "};");
    w.line("if (gradc_parallel_for) gradc_parallel_for(" + P + "_block, &args, " + num(nb) +
           ");");
    w.line("else " + P + "_block(&args, 0, " + num(nb) + ");");
  }

  const KernelPlan &k_;
  const LoopEnv &env_;
  KernelParams &params_;
  std::unique_ptr<LoopSpace> space_;
  std::vector<Access> accesses_;
  std::unordered_map<std::string, int> accessIndex_;
  std::unordered_map<const Node *, std::vector<Operand>> operands_;
  std::unordered_map<const Node *, std::vector<Sink>> sinks_;
  std::vector<Reduction> reds_;
  bool usesFlags_ = false;
  int64_t nblocks_ = 1;
  /// Set while the blocks' code is emitted: in-place reductions over dim 0
  /// then accumulate into their block's partial array (inPlaceBase).
  bool blockPartials_ = false;
};

} // namespace

LoopCode emitLoop(const KernelPlan &k, const LoopEnv &env, KernelParams &params) {
  return LoopEmitter(k, env, params).run();
}

} // namespace gradc
