//===- passes/Recompute.cpp - Recompute or store backward values ----------===//
#include "passes/Recompute.h"

#include "passes/GraphRewrite.h"
#include "passes/Lowering.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace gradc {
namespace {

constexpr size_t kMaxChain = 8;

class Rematerializer {
public:
  explicit Rematerializer(Graph &g) : g_(g) {}

  bool run() {
    bool any = false;
    for (const auto &n : g_.nodes()) any |= kernelOf(n.get()) >= 0;
    if (!any) return false;
    bool changed = false;
    std::vector<Node *> nodes;
    for (const auto &n : g_.nodes()) nodes.push_back(n.get());
    for (Node *v : nodes) changed |= consider(v);
    if (changed) {
      removeDeadNodes(g_);
      restoreTopologicalOrder(g_);
      for (const auto &n : g_.nodes()) { // the buffer plan is stale now
        n->attrs.erase(kBufAttr);
        n->attrs.erase(kSplitBufAttr);
      }
    }
    return changed;
  }

private:
  /// Recomputes the analyses after a rewrite (rewrites are rare; most
  /// candidates are rejected without one).
  void refresh() {
    if (!dirty_) return;
    dirty_ = false;
    readers_ = storageReaders(g_);
    position_.clear();
    loaded_.clear();
    int i = 0;
    for (const auto &n : g_.nodes()) {
      position_[n.get()] = i++;
      int k = kernelOf(n.get());
      if (k >= 0)
        for (const Node *o : n->operands) loaded_[k].insert(storageRoot(o));
    }
    outputs_.clear();
    for (const auto &o : g_.outputs()) outputs_.insert(storageRoot(o.node));
  }

  /// In memory only inside its own kernel, at the loop index.
  bool registerValue(const Node *o, int k) {
    if (kernelOf(o) != k || loweringRole(o) != LoweringRole::Elementwise ||
        outputs_.count(o))
      return false;
    for (const Node *r : readers_[o])
      if (kernelOf(r) != k || !readsDirectly(r, o)) return false;
    return true;
  }

  bool consider(Node *v) {
    if (loweringRole(v) != LoweringRole::Elementwise || kernelOf(v) < 0)
      return false;
    refresh();
    int kv = kernelOf(v);
    if (outputs_.count(v)) return false;
    std::map<int, std::vector<Node *>> external; // reading kernel -> readers
    for (const Node *r : readers_[v]) {
      if (kernelOf(r) == kv) {
        if (!readsDirectly(r, v)) return false;
        continue;
      }
      LoweringRole rr = loweringRole(r);
      if (!readsDirectly(r, v) || loopDomain(r) != v->type.shape ||
          (rr != LoweringRole::Elementwise && rr != LoweringRole::Reduction))
        return false;
      external[kernelOf(r)].push_back(const_cast<Node *>(r));
    }
    if (external.empty()) return false;

    // The chain to recompute: v and the register values of its kernel it
    // is computed from; everything else it reads is in memory already.
    std::vector<Node *> chain = {v};
    std::vector<const Node *> frontier;
    std::unordered_set<const Node *> inChain = {v};
    for (size_t i = 0; i < chain.size(); ++i)
      for (Node *o : chain[i]->operands) {
        if (inChain.count(o)) continue;
        if (o->type.shape == v->type.shape && registerValue(o, kv)) {
          chain.push_back(o);
          inChain.insert(o);
        } else {
          frontier.push_back(storageRoot(o));
        }
      }
    if (chain.size() > kMaxChain) return false;

    // Bytes each option moves (splat constants are literals: free).
    uint64_t bytes = static_cast<uint64_t>(v->type.bytes());
    uint64_t store = bytes * (1 + external.size()), recompute = 0;
    for (auto &kv2 : external) {
      const std::unordered_set<const Node *> &loaded = loaded_[kv2.first];
      std::unordered_set<const Node *> counted;
      for (const Node *f : frontier) {
        bool literal = f->op == OpKind::Constant && !f->attrs.count("data");
        if (literal || loaded.count(f) || !counted.insert(f).second) continue;
        recompute += static_cast<uint64_t>(f->type.bytes());
      }
    }
    if (recompute > store) return false;

    std::sort(chain.begin(), chain.end(), [&](const Node *a, const Node *b) {
      return position_.at(a) < position_.at(b);
    });
    for (auto &kv2 : external) cloneInto(chain, kv2.first);
    dirty_ = true;
    return true;
  }

  /// Clones `chain` (in topological order) into kernel k and points k's
  /// readers at the clones.
  void cloneInto(const std::vector<Node *> &chain, int k) {
    std::unordered_map<const Node *, Node *> clone;
    for (Node *c : chain) {
      std::vector<Node *> ops;
      for (Node *o : c->operands) {
        auto it = clone.find(o);
        ops.push_back(it != clone.end() ? it->second : o);
      }
      AttrMap attrs = c->attrs;
      attrs.erase(kKernelAttr);
      attrs.erase(kBufAttr);
      attrs.erase(kSplitBufAttr);
      Node *n = g_.addNode(c->op, ops, attrs);
      n->attrs[kKernelAttr] = static_cast<int64_t>(k);
      clone[c] = n;
    }
    std::unordered_set<const Node *> clones;
    for (auto &kv : clone) clones.insert(kv.second);
    for (const auto &np : g_.nodes()) {
      Node *r = np.get();
      if (kernelOf(r) != k || clones.count(r)) continue;
      for (Node *&o : r->operands) {
        auto it = clone.find(o);
        if (it != clone.end()) o = it->second;
      }
    }
  }

  Graph &g_;
  std::unordered_map<const Node *, std::vector<const Node *>> readers_;
  std::unordered_map<const Node *, int> position_;
  std::unordered_set<const Node *> outputs_;
  /// Storage each kernel reads.
  std::unordered_map<int, std::unordered_set<const Node *>> loaded_;
  bool dirty_ = true;
};

} // namespace

bool rematerializeValues(Graph &g) { return Rematerializer(g).run(); }

namespace {
class RecomputePass : public Pass {
public:
  std::string name() const override { return "recompute"; }
  bool run(Graph &g) override { return rematerializeValues(g); }
};
} // namespace

std::unique_ptr<Pass> createRecomputePass() {
  return std::make_unique<RecomputePass>();
}

} // namespace gradc
