//===- codegen/Schedule.cpp - The lowering plan, read from the IR ---------===//
#include "codegen/Schedule.h"

#include "ir/Error.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace gradc {
namespace {

[[noreturn]] void bad(const Node *n, const std::string &what) {
  throw InternalError("codegen", "inconsistent lowering plan at node '" +
                                     n->displayName() + "' (" +
                                     n->info().name + "): " + what);
}

bool isSplatConstant(const Node *n) {
  return n->op == OpKind::Constant && !n->attrs.count("data");
}

class Reader {
public:
  explicit Reader(const Graph &g) : g_(g) {}

  Schedule run() {
    bool any = false;
    for (const auto &np : g_.nodes()) {
      const Node *n = np.get();
      bool bw = n->op == OpKind::Seed;
      for (const Node *o : n->operands) bw = bw || s_.isBackward[o];
      s_.isBackward[n] = bw;
      any |= kernelOf(n) >= 0;
    }
    bool computes = false;
    for (const auto &np : g_.nodes())
      computes |= np->info().cls != OpClass::Leaf && !isAlias(np->op);
    if (!any && computes)
      throw Error("codegen needs a graph lowered by the optimization "
                  "pipeline (the fusion and buffer-plan passes)");
    for (const auto &np : g_.nodes()) {
      const Node *n = np.get();
      if (n->info().cls != OpClass::Leaf && !isAlias(n->op) &&
          kernelOf(n) < 0 && n->op != OpKind::Transpose)
        bad(n, "a computed node without a kernel");
    }
    s_.fused = entry(Entry::Fused);
    s_.forward = entry(Entry::Forward);
    s_.backward = entry(Entry::Backward);
    sizes();
    return std::move(s_);
  }

private:
  EntryPlan entry(Entry e) {
    EntryPlan p;
    p.entry = e;
    for (const auto &np : g_.nodes()) {
      const Node *n = np.get();
      const std::optional<ValuePlace> &v =
          e == Entry::Fused ? n->plan.fused : n->plan.split;
      if (v) {
        p.places[n] = *v;
      } else if (kernelOf(n) >= 0) {
        bad(n, std::string("no ") + (e == Entry::Fused ? "fused" : "split") +
                   " placement");
      }
    }
    std::map<int, std::vector<const Node *>> groups;
    for (const auto &np : g_.nodes()) {
      const Node *n = np.get();
      int k = kernelOf(n);
      if (k < 0) continue;
      bool bw = s_.isBackward.at(n);
      if ((e == Entry::Forward && bw) || (e == Entry::Backward && !bw))
        continue;
      groups[k].push_back(n);
    }
    for (auto &kv : groups) p.kernels.push_back(kernel(kv.first, kv.second));
    check(p);
    return p;
  }

  static bool gemmable(const Node *m) {
    if (m->type.numel() == 0) return false;
    for (const Node *o : m->operands) {
      const Node *r = o;
      while (r->operands.size() == 1 &&
             (isAlias(r->op) || r->op == OpKind::Transpose))
        r = r->operands[0];
      if (isSplatConstant(r) || o->type.numel() == 0) return false;
    }
    return true;
  }

  KernelPlan kernel(int id, const std::vector<const Node *> &nodes) {
    KernelPlan k;
    k.id = id;
    for (const Node *n : nodes) {
      bool loopNode = isElementwise(n->op) || isReduction(n->op);
      if (loopNode) {
        k.loop.push_back(n);
        const Shape &d = isReduction(n->op)
                             ? n->operands[0]->type.shape
                             : n->type.shape;
        if (k.loop.size() == 1) k.domain = d;
        else if (d != k.domain) bad(n, "kernel " + std::to_string(id) +
                                           " mixes iteration shapes");
      } else {
        if (k.head) bad(n, "kernel " + std::to_string(id) +
                               " has two non-loop nodes");
        k.head = n;
      }
    }
    if (!k.head) return k;
    if (isMatmulLike(k.head->op) && gemmable(k.head)) {
      k.kind = KernelPlan::Gemm;
      if (!k.loop.empty() && k.domain != k.head->type.shape)
        bad(k.head, "the epilogue does not iterate over the GEMM result");
      if (k.loop.empty()) k.domain = k.head->type.shape;
      return k;
    }
    if (!k.loop.empty())
      bad(k.head, "an opaque node shares kernel " + std::to_string(id));
    k.kind = KernelPlan::Opaque;
    return k;
  }

  /// Placements refer to real arguments, and every read finds its value:
  /// a register only inside its own kernel, memory everywhere else.
  void check(const EntryPlan &p) {
    std::unordered_map<const Node *, int> kernelOfNode;
    for (const KernelPlan &k : p.kernels) {
      if (k.head) kernelOfNode[k.head] = k.id;
      for (const Node *n : k.loop) kernelOfNode[n] = k.id;
    }
    for (const auto &kv : p.places) {
      const Node *n = kv.first;
      auto checkPlace = [&](const Place &pl, bool home) {
        if (pl.kind == Place::Output &&
            static_cast<size_t>(pl.index) >= g_.outputs().size())
          bad(n, "output index out of range");
        if (pl.kind == Place::Grad &&
            static_cast<size_t>(pl.index) >= g_.gradients().size())
          bad(n, "gradient index out of range");
        if (pl.kind == Place::Context && p.entry == Entry::Fused)
          bad(n, "the fused entry point has no context");
        if (!home && (pl.kind == Place::Reg || pl.kind == Place::Workspace ||
                      pl.kind == Place::Context))
          bad(n, "an extra copy must go to an output or a gradient");
        if (home && pl.kind == Place::Reg && !isElementwise(n->op))
          bad(n, "only elementwise values can stay in registers");
      };
      checkPlace(kv.second.home, true);
      for (const Place &x : kv.second.extras) checkPlace(x, false);
    }
    for (const KernelPlan &k : p.kernels) {
      std::vector<const Node *> all = k.loop;
      if (k.head) all.push_back(k.head);
      for (const Node *n : all)
        for (const Node *o : n->operands) {
          // A folded transpose is a layout only a BLAS call understands,
          // and only as its operand's outermost view.
          for (const Node *v = o; isStorageView(v); v = v->operands[0])
            if (!isAlias(v->op) && (n != k.head || k.kind != KernelPlan::Gemm ||
                                      v != o))
              bad(n, "reads a transpose that has no kernel");
          const Node *r = storageRoot(o);
          if (r->op == OpKind::Input && p.entry == Entry::Backward &&
              !hasHome(p, r, Place::Context))
            bad(n, "reads input '" + r->name + "', which is not saved");
          if (r->info().cls == OpClass::Leaf) continue;
          auto it = p.places.find(r);
          if (it == p.places.end()) bad(n, "reads an unplaced value");
          Place::Kind h = it->second.home.kind;
          if (h == Place::Reg &&
              (kernelOfNode.count(r) == 0 || kernelOfNode[r] != k.id ||
               o != r || n == k.head))
            bad(n, "reads a register value of another loop");
          if (h == Place::Grad) bad(n, "reads a value kept only as a gradient");
          bool across = p.entry == Entry::Backward && !s_.isBackward.at(r);
          if (across && h != Place::Context)
            bad(n, "reads a forward value that is not saved");
        }
    }
  }

  static bool hasHome(const EntryPlan &p, const Node *n, Place::Kind kind) {
    auto it = p.places.find(n);
    return it != p.places.end() && it->second.home.kind == kind;
  }

  void sizes() {
    auto grow = [](uint64_t &total, const EntryPlan &p, Place::Kind kind) {
      for (const auto &kv : p.places)
        if (kv.second.home.kind == kind)
          total = std::max(total, kv.second.home.offset + slotBytes(kv.first));
    };
    grow(s_.fusedWorkspaceBytes, s_.fused, Place::Workspace);
    grow(s_.contextBytes, s_.forward, Place::Context);
    grow(s_.workspaceBytes, s_.forward, Place::Workspace);
  }

  const Graph &g_;
  Schedule s_;
};

} // namespace

Schedule readSchedule(const Graph &g) { return Reader(g).run(); }

} // namespace gradc
