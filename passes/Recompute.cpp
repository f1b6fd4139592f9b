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
    analyze();
    for (Node *v : nodes) changed |= consider(v);
    if (changed) {
      removeDeadNodes(g_);
      restoreTopologicalOrder(g_);
      for (const auto &n : g_.nodes()) { // the buffer plan is stale now
        n->plan.fused.reset();
        n->plan.split.reset();
      }
    }
    return changed;
  }

private:
  /// The analyses, computed once; cloneInto keeps them up to date.
  void analyze() {
    readers_ = storageReaders(g_);
    int i = 0;
    for (const auto &n : g_.nodes()) {
      position_[n.get()] = static_cast<double>(i++);
      int k = kernelOf(n.get());
      if (k < 0) continue;
      kernelSize_[k]++;
      for (const Node *o : n->operands) loaded_[k].insert(storageRoot(o));
    }
    for (const auto &o : g_.outputs()) outputs_.insert(storageRoot(o.node));
  }

  /// In memory only inside its own kernel, at the loop index.
  bool registerValue(const Node *o, int k) {
    if (kernelOf(o) != k || loweringRole(o) != LoweringRole::Elementwise ||
        outputs_.count(o))
      return false;
    for (const StorageReader &r : readers_[o])
      if (kernelOf(r.node) != k || !r.direct) return false;
    return true;
  }

  bool consider(Node *v) {
    if (loweringRole(v) != LoweringRole::Elementwise || kernelOf(v) < 0)
      return false;
    int kv = kernelOf(v);
    if (outputs_.count(v)) return false;
    std::map<int, std::vector<Node *>> external; // reading kernel -> readers
    for (const StorageReader &sr : readers_[v]) {
      const Node *r = sr.node;
      if (kernelOf(r) == kv) {
        if (!sr.direct) return false;
        continue;
      }
      LoweringRole rr = loweringRole(r);
      if (!sr.direct || loopDomain(r) != v->type.shape ||
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
    for (auto &kv2 : external) // the reading kernels must have room
      if (kernelSize_[kv2.first] + chain.size() > kMaxKernelNodes) return false;

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
    for (auto &kv2 : external) cloneInto(chain, kv2.first, kv2.second);
    return true;
  }

  /// Clones `chain` (in topological order; its first value is the one
  /// other kernels read) into kernel k, points `readers` (k's nodes reading
  /// that value) at the clone, and updates the analyses.
  void cloneInto(const std::vector<Node *> &chain, int k,
                 const std::vector<Node *> &readers) {
    std::unordered_map<const Node *, Node *> clone;
    for (Node *c : chain) {
      std::vector<Node *> ops;
      for (Node *o : c->operands) {
        auto it = clone.find(o);
        ops.push_back(it != clone.end() ? it->second : o);
      }
      Node *n = g_.addNode(c->op, ops, c->attrs);
      n->plan.kernel = k;
      clone[c] = n;
    }
    // Only the chain's head is read outside its kernel (the rest are
    // registers there): its readers in k switch to the clone.
    Node *head = nullptr;
    for (Node *c : chain)
      for (Node *r : readers)
        for (Node *o : r->operands)
          if (o == c) head = c;
    std::unordered_set<const Node *> moved(readers.begin(), readers.end());
    for (Node *r : readers)
      for (Node *&o : r->operands)
        if (o == head) o = clone.at(head);
    auto &old = readers_[head];
    old.erase(std::remove_if(old.begin(), old.end(),
                             [&](const StorageReader &x) { return moved.count(x.node); }),
              old.end());
    for (Node *r : readers) readers_[clone.at(head)].push_back({r, true});
    // The clones read each other and the chain's inputs.
    for (auto &kv : clone) {
      Node *n = kv.second;
      std::unordered_map<const Node *, size_t> entry;
      for (Node *o : n->operands) {
        const Node *root = storageRoot(o);
        auto [it, fresh] = entry.emplace(root, readers_[root].size());
        if (fresh) readers_[root].push_back({n, true});
        if (o != root) readers_[root][it->second].direct = false;
        loaded_[k].insert(root);
      }
    }
    double first = position_.at(readers.front());
    for (Node *r : readers) first = std::min(first, position_.at(r));
    for (size_t i = 0; i < chain.size(); ++i)
      position_[clone.at(chain[i])] = first - 1 + double(i + 1) / double(chain.size() + 1);
    kernelSize_[k] += chain.size();
  }

  Graph &g_;
  std::unordered_map<const Node *, std::vector<StorageReader>> readers_;
  /// Graph positions; a clone sits just before its first reader.
  std::unordered_map<const Node *, double> position_;
  std::unordered_set<const Node *> outputs_;
  /// Storage each kernel reads, and how many nodes each kernel has.
  std::unordered_map<int, std::unordered_set<const Node *>> loaded_;
  std::unordered_map<int, size_t> kernelSize_;
};

} // namespace

bool rematerializeValues(Graph &g) { return Rematerializer(g).run(); }

std::unique_ptr<Pass> createRecomputePass() {
  return makePass("recompute", rematerializeValues);
}

} // namespace gradc
