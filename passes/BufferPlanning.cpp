//===- passes/BufferPlanning.cpp - Static buffer assignment ---------------===//
#include "passes/BufferPlanning.h"

#include "passes/Fusion.h"
#include "passes/Lowering.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <queue>
#include <unordered_set>

namespace gradc {
namespace {

/// A workspace buffer to place: its size and live range, in positions of
/// the kernel sequence (both ends included).
struct Slot {
  uint64_t bytes = 0;
  int start = 0, end = 0;
  std::vector<const Node *> owners; ///< Values sharing it (in place).
  uint64_t offset = 0;
};

/// Greedy by size: biggest first, each at the lowest offset that does not
/// overlap a placed buffer alive at the same time (TFLite's strategy; tight
/// packing, quadratic in the number of buffers). Returns the total.
uint64_t placeGreedyBySize(std::vector<Slot> &slots) {
  std::vector<size_t> order(slots.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (slots[a].bytes != slots[b].bytes) return slots[a].bytes > slots[b].bytes;
    return slots[a].start < slots[b].start;
  });
  std::vector<size_t> placed;
  uint64_t total = 0;
  for (size_t i : order) {
    Slot &s = slots[i];
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (size_t j : placed) {
      const Slot &p = slots[j];
      if (p.end < s.start || s.end < p.start) continue;
      busy.push_back({p.offset, p.offset + p.bytes});
    }
    std::sort(busy.begin(), busy.end());
    uint64_t off = 0;
    for (auto &b : busy) {
      if (off + s.bytes <= b.first) break;
      off = std::max(off, b.second);
    }
    s.offset = off;
    total = std::max(total, off + s.bytes);
    placed.push_back(i);
  }
  return total;
}

/// Linear scan for large graphs: buffers in order of their first use, each
/// in the best-fitting hole left by buffers already dead (holes coalesce),
/// else at the top. O(n log n).
uint64_t placeLinearScan(std::vector<Slot> &slots) {
  std::vector<size_t> order(slots.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return slots[a].start < slots[b].start;
  });
  using Live = std::pair<int, size_t>; // (end, slot)
  std::priority_queue<Live, std::vector<Live>, std::greater<Live>> live;
  std::map<uint64_t, uint64_t> holes; // offset -> bytes
  // (bytes, offset): best fit is a lower_bound, and removing a hole finds
  // it directly. A multimap keyed by size alone had to scan every hole of
  // that size, and a graph whose buffers all have one size (a long chain)
  // made that scan, and buffer planning, quadratic.
  std::set<std::pair<uint64_t, uint64_t>> bySize;
  auto removeHole = [&](std::map<uint64_t, uint64_t>::iterator h) {
    bySize.erase({h->second, h->first});
    return holes.erase(h);
  };
  auto addHole = [&](uint64_t off, uint64_t bytes) {
    auto next = holes.lower_bound(off);
    if (next != holes.end() && off + bytes == next->first) {
      bytes += next->second;
      next = removeHole(next);
    }
    if (next != holes.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == off) {
        off = prev->first;
        bytes += prev->second;
        removeHole(prev);
      }
    }
    holes[off] = bytes;
    bySize.insert({bytes, off});
  };
  uint64_t top = 0;
  for (size_t i : order) {
    Slot &s = slots[i];
    while (!live.empty() && live.top().first < s.start) {
      const Slot &d = slots[live.top().second];
      addHole(d.offset, d.bytes);
      live.pop();
    }
    auto fit = bySize.lower_bound({s.bytes, 0});
    if (fit != bySize.end()) {
      uint64_t bytes = fit->first, off = fit->second;
      removeHole(holes.find(off));
      s.offset = off;
      if (bytes > s.bytes) addHole(off + s.bytes, bytes - s.bytes);
    } else {
      s.offset = top;
      top += s.bytes;
    }
    live.push({s.end, i});
  }
  uint64_t total = 0;
  for (const Slot &s : slots) total = std::max(total, s.offset + s.bytes);
  return total;
}

/// Places the slots: sequentially without reuse; otherwise greedy by size,
/// or by linear scan for very many buffers. Returns the total.
uint64_t placeSlots(std::vector<Slot> &slots, bool reuse) {
  if (!reuse) { // every buffer alive throughout: no sharing
    uint64_t off = 0;
    for (Slot &s : slots) {
      s.offset = off;
      off += s.bytes;
    }
    return off;
  }
  if (slots.size() <= 512) return placeGreedyBySize(slots);
  return placeLinearScan(slots);
}

class Planner {
public:
  Planner(Graph &g, bool reuse) : g_(g), reuse_(reuse) {}

  void run() {
    analyze();
    planFused();
    planSplit();
  }

private:
  void analyze() {
    for (const auto &np : g_.nodes()) {
      const Node *n = np.get();
      numKernels_ = std::max(numKernels_, kernelOf(n) + 1);
      if (kernelOf(n) >= 0) members_[kernelOf(n)].push_back(n);
      bool bw = n->op == OpKind::Seed;
      for (const Node *o : n->operands) bw = bw || backward_.count(o);
      if (bw) backward_.insert(n);
    }
    readers_ = storageReaders(g_);
    for (size_t k = 0; k < g_.outputs().size(); ++k)
      outputsOf_[storageRoot(g_.outputs()[k].node)].push_back(k);
    for (size_t j = 0; j < g_.gradients().size(); ++j)
      gradsOf_[storageRoot(g_.gradients()[j].value)].push_back(j);
    // Seeds that need zeros in memory when the caller passes none: read by
    // a BLAS call or an opaque loop nest, or one of more than two
    // non-scalar seeds of a loop kernel (codegen specializes loop kernels
    // for up to two possibly-null seeds).
    std::unordered_map<int, std::vector<const Node *>> seedsOfKernel;
    for (const Node *s : g_.seeds()) {
      for (const StorageReader &sr : readers_[s]) {
        const Node *r = sr.node;
        LoweringRole role = loweringRole(r);
        if (role == LoweringRole::Gemm || role == LoweringRole::Opaque)
          seedFallback_.insert(s);
        else if (s->type.numel() > 1)
          seedsOfKernel[kernelOf(r)].push_back(s);
      }
    }
    for (auto &kv : seedsOfKernel) {
      auto &v = kv.second;
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
      if (v.size() > 2) seedFallback_.insert(v.begin(), v.end());
    }
  }

  /// Position of `n`'s kernel in the fused sequence, or in the split one
  /// (forward parts of all kernels, then backward parts).
  int position(const Node *n, bool split) const {
    int k = kernelOf(n);
    return split && backward_.count(n) ? numKernels_ + k : k;
  }

  /// True if `v` can stay in registers: read only inside its kernel (and
  /// phase, when split), directly, and not an output.
  bool registerOnly(const Node *v, bool split) {
    if (loweringRole(v) != LoweringRole::Elementwise) return false;
    auto it = outputsOf_.find(v);
    if (it != outputsOf_.end() && !it->second.empty()) return false;
    for (const StorageReader &r : readers_[v])
      if (position(r.node, split) != position(v, split) || !r.direct) return false;
    return true;
  }

  int lastUse(const Node *v, bool split) {
    int last = position(v, split);
    for (const StorageReader &r : readers_[v]) last = std::max(last, position(r.node, split));
    return last;
  }

  void planFused() {
    std::vector<Slot> slots;
    std::unordered_map<const Node *, size_t> slotOf;
    std::unordered_map<const Node *, std::vector<Place>> places;
    std::unordered_set<size_t> donated;
    for (const auto &np : g_.nodes()) {
      Node *v = np.get();
      if (kernelOf(v) < 0) continue;
      std::vector<Place> &p = places[v];
      const auto &outs = outputsOf_[v];
      const auto &grads = gradsOf_[v];
      LoweringRole role = loweringRole(v);
      size_t homeOut = outs.size(), homeGrad = grads.size();
      if (registerOnly(v, false)) {
        p.push_back(Place{Place::Reg, 0, 0});
      } else if (!outs.empty()) {
        homeOut = 0;
        p.push_back(Place{Place::Output, 0, static_cast<int>(outs[0])});
      } else if (role == LoweringRole::Gemm && readers_[v].empty() &&
                 !grads.empty()) {
        homeGrad = 0;
        p.push_back(Place{Place::Grad, 0, static_cast<int>(grads[0])});
      } else {
        size_t s = takeOverOperand(v, slots, slotOf, donated);
        if (s == slots.size()) {
          slots.push_back({slotBytes(v), position(v, false), 0, {}, 0});
        }
        slots[s].end = std::max(slots[s].end, lastUse(v, false));
        slots[s].owners.push_back(v);
        slotOf[v] = s;
        p.push_back(Place{Place::Workspace, 0, 0}); // offset filled in after placement
      }
      for (size_t i = 0; i < outs.size(); ++i)
        if (i != homeOut) p.push_back(Place{Place::Output, 0, static_cast<int>(outs[i])});
      for (size_t i = 0; i < grads.size(); ++i)
        if (i != homeGrad) p.push_back(Place{Place::Grad, 0, static_cast<int>(grads[i])});
    }
    finishPlan(slots, slotOf, places, false);
  }

  /// In place: an elementwise result may reuse the workspace buffer of a
  /// same-sized value that dies in this kernel if every read of it there is
  /// at the loop index (no broadcast, no view). Returns slots.size() if none.
  size_t takeOverOperand(const Node *v, std::vector<Slot> &slots,
                         std::unordered_map<const Node *, size_t> &slotOf,
                         std::unordered_set<size_t> &donated) {
    if (!reuse_ || loweringRole(v) != LoweringRole::Elementwise)
      return slots.size();
    int k = kernelOf(v);
    for (const Node *m : members_[k]) {
      for (const Node *o : m->operands) {
        const Node *b = storageRoot(o);
        auto it = slotOf.find(b);
        if (it == slotOf.end() || donated.count(it->second)) continue;
        Slot &s = slots[it->second];
        if (s.end != k || s.bytes != slotBytes(v) || b->type != v->type ||
            seedFallback_.count(b))
          continue;
        bool sameIndex = true;
        for (const StorageReader &r : readers_[b]) {
          if (kernelOf(r.node) != k) continue;
          LoweringRole rr = loweringRole(r.node);
          sameIndex = sameIndex && r.direct &&
                      (rr == LoweringRole::Elementwise ||
                       rr == LoweringRole::Reduction) &&
                      loopDomain(r.node) == b->type.shape;
        }
        if (!sameIndex) continue;
        donated.insert(it->second);
        return it->second;
      }
    }
    return slots.size();
  }

  void planSplit() {
    std::vector<Slot> slots;
    std::unordered_map<const Node *, size_t> slotOf;
    std::unordered_map<const Node *, std::vector<Place>> places;
    uint64_t ctx = 0;
    auto saved = [&](const Node *v) {
      if (backward_.count(v)) return false;
      if (gradsOf_.count(v) && !gradsOf_[v].empty()) return true;
      for (const StorageReader &r : readers_[v])
        if (backward_.count(r.node)) return true;
      return false;
    };
    for (const auto &np : g_.nodes()) {
      Node *v = np.get();
      if (v->op == OpKind::Input && saved(v)) {
        places[v] = {Place{Place::Context, static_cast<uint64_t>(ctx), 0}};
        ctx += slotBytes(v);
      }
      if (kernelOf(v) < 0) continue;
      std::vector<Place> &p = places[v];
      const auto &outs = outputsOf_[v];
      const auto &grads = gradsOf_[v];
      size_t homeOut = outs.size(), homeGrad = grads.size();
      bool fw = !backward_.count(v);
      if (saved(v)) {
        p.push_back(Place{Place::Context, static_cast<uint64_t>(ctx), 0});
        ctx += slotBytes(v);
      } else if (registerOnly(v, true)) {
        p.push_back(Place{Place::Reg, 0, 0});
      } else if (!outs.empty()) {
        homeOut = 0;
        p.push_back(Place{Place::Output, 0, static_cast<int>(outs[0])});
      } else if (loweringRole(v) == LoweringRole::Gemm &&
                 readers_[v].empty() && !grads.empty()) {
        homeGrad = 0;
        p.push_back(Place{Place::Grad, 0, static_cast<int>(grads[0])});
      } else {
        slots.push_back(
            {slotBytes(v), position(v, true), lastUse(v, true), {v}, 0});
        slotOf[v] = slots.size() - 1;
        p.push_back(Place{Place::Workspace, 0, 0}); // offset filled in after placement
      }
      for (size_t i = 0; i < outs.size(); ++i)
        if (i != homeOut) p.push_back(Place{Place::Output, 0, static_cast<int>(outs[i])});
      // The forward entry point has no gradient buffers: the backward copies
      // a forward value's gradient from the context.
      if (!fw)
        for (size_t i = 0; i < grads.size(); ++i)
          if (i != homeGrad) p.push_back(Place{Place::Grad, 0, static_cast<int>(grads[i])});
    }
    finishPlan(slots, slotOf, places, true);
  }

  /// The part both plans end with: each seed that stands for zeros gets a
  /// workspace slot (live from where its entry point starts: position 0
  /// fused, numKernels_ split, where position() puts the backward), the
  /// slots are placed, and every
  /// value's places are written to its plan (Node::plan, fused or split),
  /// workspace offsets filled in.
  void finishPlan(std::vector<Slot> &slots,
                  std::unordered_map<const Node *, size_t> &slotOf,
                  std::unordered_map<const Node *, std::vector<Place>> &places,
                  bool split) {
    for (const Node *s : g_.seeds())
      if (seedFallback_.count(s)) {
        slots.push_back({slotBytes(s), split ? numKernels_ : 0, lastUse(s, split), {s}, 0});
        slotOf[s] = slots.size() - 1;
        places[s] = {Place{Place::Workspace, 0, 0}};
      }
    placeSlots(slots, reuse_);
    for (auto &kv : places) {
      auto it = slotOf.find(kv.first);
      if (it != slotOf.end())
        kv.second[0] = Place{Place::Workspace, slots[it->second].offset, 0};
      ValuePlace vp{kv.second[0], {kv.second.begin() + 1, kv.second.end()}};
      NodePlan &plan = const_cast<Node *>(kv.first)->plan;
      (split ? plan.split : plan.fused) = std::move(vp);
    }
  }

  Graph &g_;
  bool reuse_;
  int numKernels_ = 0;
  std::unordered_set<const Node *> backward_, seedFallback_;
  std::unordered_map<const Node *, std::vector<StorageReader>> readers_;
  std::unordered_map<const Node *, std::vector<size_t>> outputsOf_, gradsOf_;
  std::unordered_map<int, std::vector<const Node *>> members_;
};

} // namespace

bool planBuffers(Graph &g, bool reuse) {
  bool hasKernels = false;
  std::vector<std::pair<std::optional<ValuePlace>, std::optional<ValuePlace>>> before;
  for (const auto &n : g.nodes()) {
    hasKernels |= kernelOf(n.get()) >= 0;
    before.push_back({n->plan.fused, n->plan.split});
    n->plan.fused.reset();
    n->plan.split.reset();
  }
  if (!hasKernels) {
    fuseKernels(g, /*fuse=*/false);
    Planner(g, reuse).run();
    return true;
  }
  Planner(g, reuse).run();
  size_t i = 0;
  bool changed = false;
  for (const auto &n : g.nodes()) {
    changed |= before[i].first != n->plan.fused || before[i].second != n->plan.split;
    ++i;
  }
  return changed;
}

BufferPlanSizes bufferPlanSizes(const Graph &g) {
  BufferPlanSizes s;
  for (const auto &np : g.nodes()) {
    const Node *n = np.get();
    s.kernels = std::max(s.kernels, kernelOf(n) + 1);
    uint64_t bytes = slotBytes(n);
    // Only a value's home takes a slot; extra copies go to caller buffers.
    const std::optional<ValuePlace> &f = n->plan.fused, &p = n->plan.split;
    if (f && f->home.kind == Place::Workspace)
      s.fusedWorkspace = std::max(s.fusedWorkspace, f->home.offset + bytes);
    if (p && p->home.kind == Place::Workspace)
      s.workspace = std::max(s.workspace, p->home.offset + bytes);
    if (p && p->home.kind == Place::Context)
      s.context = std::max(s.context, p->home.offset + bytes);
  }
  return s;
}

std::string describeBufferPlan(const Graph &g) {
  bool planned = false;
  for (const auto &n : g.nodes()) planned |= n->plan.fused.has_value();
  if (!planned) return "";
  BufferPlanSizes s = bufferPlanSizes(g);
  return "// buffer plan: " + std::to_string(s.kernels) +
         (s.kernels == 1 ? " kernel; " : " kernels; ") +
         "fwd_bwd workspace " + std::to_string(s.fusedWorkspace) +
         " bytes; forward/backward context " + std::to_string(s.context) +
         " bytes, workspace " + std::to_string(s.workspace) + " bytes\n";
}

std::unique_ptr<Pass> createBufferPlanningPass(bool reuse) {
  return makePass("buffer-plan", [reuse](Graph &g) { return planBuffers(g, reuse); });
}

} // namespace gradc
