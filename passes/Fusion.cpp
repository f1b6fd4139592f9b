//===- passes/Fusion.cpp - Groups nodes into kernels ----------------------===//
#include "passes/Fusion.h"

#include "passes/GraphRewrite.h"
#include "passes/Lowering.h"

#include <algorithm>
#include <queue>
#include <set>
#include <unordered_set>

namespace gradc {
namespace {

/// Kernel edges one cycle check may follow before it assumes a cycle (see
/// Fuser::indirectPath): far more than a graph of a few hundred kernels
/// ever needs, so those fuse exactly as with an unbounded search.
constexpr int kMaxPathSearchSteps = 64;

/// A transpose of the last two dims whose every user is a BLAS matmul: the
/// GEMM reads its operand with a transposed layout instead.
bool foldsIntoGemm(const Node *t,
                   const std::vector<const Node *> &users, bool isInterface) {
  if (t->op != OpKind::Transpose || isInterface || users.empty()) return false;
  int64_t r = t->type.rank();
  if (r < 2) return false;
  int64_t d0 = getInt(t->attrs, "dim0", 0), d1 = getInt(t->attrs, "dim1", 0);
  if (std::min(d0, d1) != r - 2 || std::max(d0, d1) != r - 1) return false;
  for (const Node *u : users)
    if (!isMatmulLike(u) || loweringRole(u) != LoweringRole::Gemm)
      return false;
  return true;
}

class Fuser {
public:
  Fuser(Graph &g, bool fuse) : g_(g), fuse_(fuse) {}

  bool run() {
    bool hadPlan = false;
    for (const auto &n : g_.nodes()) {
      hadPlan |= n->plan.kernel >= 0 || n->plan.fused || n->plan.split;
      n->plan = NodePlan{};
    }
    classify();
    if (fuse_) {
      for (Node *c : nodes_) {
        LoweringRole rc = role_[c];
        if (rc != LoweringRole::Elementwise && rc != LoweringRole::Reduction)
          continue;
        for (Node *o : c->operands) {
          LoweringRole ro = role_[o];
          if ((ro == LoweringRole::Elementwise || ro == LoweringRole::Gemm) &&
              o->type.shape == loopDomain(c))
            tryMerge(find(index_[o]), find(index_[c]));
        }
      }
    }
    std::vector<int> order = kernelOrder();
    assign(order);
    return hadPlan || !order.empty();
  }

private:
  /// A kernel while fusion runs (indexed by its union-find root).
  struct Kernel {
    std::vector<const Node *> members;
    bool gemm = false, opaque = false;
    int minPos = 0, maxPos = 0;
    /// Positions of nodes reading it, in order; entries that joined this
    /// kernel are dropped lazily.
    std::set<int> succ;
  };

  void classify() {
    std::unordered_map<const Node *, std::vector<const Node *>> users;
    for (const auto &np : g_.nodes())
      for (const Node *o : np->operands) users[o].push_back(np.get());
    std::unordered_set<const Node *> iface;
    for (const auto &o : g_.outputs()) iface.insert(o.node);
    for (const auto &r : g_.gradients()) iface.insert(r.value);
    for (const auto &np : g_.nodes()) {
      Node *n = np.get();
      index_[n] = static_cast<int>(nodes_.size());
      nodes_.push_back(n);
      LoweringRole r = loweringRole(n);
      if (foldsIntoGemm(n, users[n], iface.count(n) > 0))
        r = LoweringRole::View;
      role_[n] = r;
    }
    parent_.resize(nodes_.size());
    for (size_t i = 0; i < nodes_.size(); ++i) {
      parent_[i] = static_cast<int>(i);
      Node *n = nodes_[i];
      if (!computed(n)) continue;
      Kernel &k = kernels_[static_cast<int>(i)];
      k.members = {n};
      k.gemm = role_[n] == LoweringRole::Gemm;
      k.opaque = role_[n] == LoweringRole::Opaque;
      k.minPos = k.maxPos = static_cast<int>(i);
    }
    // Who reads each storage owner, through views; and the kernel graph.
    for (Node *n : nodes_) {
      if (!computed(n)) continue;
      for (Node *o : n->operands) {
        Node *r = root(o);
        if (!computed(r)) continue;
        readers_[r].push_back(n);
        if (r != n) kernels_[index_[r]].succ.insert(index_[n]);
      }
    }
  }

  bool computed(const Node *n) const {
    LoweringRole r = role_.at(n);
    return r != LoweringRole::Leaf && r != LoweringRole::View;
  }
  Node *root(Node *n) const {
    while (role_.at(n) == LoweringRole::View) n = n->operands[0];
    return n;
  }
  int find(int i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  const Shape &domainOf(int k) { return loopDomain(kernels_[k].members.front()); }

  /// The kernels reading k through nodes positioned before `limit`.
  std::vector<int> successors(int k, int limit) {
    std::vector<int> out;
    std::set<int> &succ = kernels_[k].succ;
    for (auto it = succ.begin(); it != succ.end() && *it < limit;) {
      int r = find(*it);
      if (r == k) { // merged into k since: an internal edge now
        it = succ.erase(it);
        continue;
      }
      out.push_back(r);
      ++it;
    }
    return out;
  }

  /// True if `to` is reachable from `from` through some other kernel.
  /// Fusion visits consumers in graph order and merges only up to the
  /// current one, so every node at or after `limit` (just past the current
  /// consumer) is still a kernel of its own; edges run forward in graph
  /// order, so such a kernel cannot lead back to `to`.
  ///
  /// The search gives up after kMaxPathSearchSteps kernel edges and then
  /// answers "reachable", which only forgoes a merge. Without the bound one
  /// query could walk every kernel of the graph, and a long forward chain
  /// with its backward asked that once per backward node: fusion of a
  /// 200k-node chain took 20 s, four times the 100k one.
  bool indirectPath(int from, int to, int limit) {
    int budget = kMaxPathSearchSteps;
    std::vector<int> work;
    std::unordered_set<int> seen = {from, to};
    for (int s : successors(from, limit))
      if (seen.insert(s).second) work.push_back(s);
    while (!work.empty()) {
      int k = work.back();
      work.pop_back();
      for (int s : successors(k, limit)) {
        if (s == to || --budget < 0) return true;
        if (seen.insert(s).second) work.push_back(s);
      }
    }
    return false;
  }

  /// A read of `r` by `n` inside one kernel must find the value in the loop:
  /// an elementwise value at the same index, or the GEMM result (complete
  /// before the loop). A GEMM's own operands come from outside.
  bool legalRead(const Node *n, const Node *o, const Node *r) const {
    if (role_.at(n) == LoweringRole::Gemm || o != r) return false;
    LoweringRole rr = role_.at(r);
    return rr == LoweringRole::Elementwise || rr == LoweringRole::Gemm;
  }

  /// Only reads between the two kernels become internal by merging them.
  bool readsLegal(int small, int large) {
    for (const Node *m : kernels_[small].members) {
      for (Node *o : m->operands) {
        Node *r = root(o);
        if (computed(r) && find(index_.at(r)) == large && !legalRead(m, o, r))
          return false;
      }
      auto it = readers_.find(m);
      if (it == readers_.end()) continue;
      for (const Node *c : it->second) {
        if (find(index_.at(c)) != large) continue;
        for (Node *o : c->operands)
          if (root(o) == m && !legalRead(c, o, m)) return false;
      }
    }
    return true;
  }

  void tryMerge(int a, int b) {
    if (a == b) return;
    Kernel &A = kernels_[a], &B = kernels_[b];
    if (A.opaque || B.opaque || (A.gemm && B.gemm)) return;
    if (A.members.size() + B.members.size() > kMaxKernelNodes) return;
    if (domainOf(a) != domainOf(b)) return;
    bool aSmall = A.members.size() < B.members.size();
    if (!readsLegal(aSmall ? a : b, aSmall ? b : a)) return;
    int limit = std::max(A.maxPos, B.maxPos) + 1;
    if (indirectPath(a, b, limit) || indirectPath(b, a, limit)) return;
    // Union by size; the bigger kernel's id survives.
    int keep = aSmall ? b : a, gone = aSmall ? a : b;
    Kernel &K = kernels_[keep], &G = kernels_[gone];
    parent_[gone] = keep;
    K.members.insert(K.members.end(), G.members.begin(), G.members.end());
    K.gemm = K.gemm || G.gemm;
    K.minPos = std::min(K.minPos, G.minPos);
    K.maxPos = std::max(K.maxPos, G.maxPos);
    K.succ.insert(G.succ.begin(), G.succ.end()); // small into large
    kernels_.erase(gone);
  }

  /// Kernels in a topological order; among ready kernels, the one whose
  /// first node comes first in the graph runs first.
  std::vector<int> kernelOrder() {
    std::unordered_map<int, int> indeg;
    for (auto &kv : kernels_) indeg[kv.first] += 0;
    std::vector<int> ids;
    for (auto &kv : kernels_) ids.push_back(kv.first);
    const int all = static_cast<int>(nodes_.size());
    std::unordered_map<int, std::vector<int>> next;
    for (int k : ids) {
      std::vector<int> s = successors(k, all);
      std::sort(s.begin(), s.end());
      s.erase(std::unique(s.begin(), s.end()), s.end());
      for (int x : s) indeg[x]++;
      next[k] = std::move(s);
    }
    auto later = [&](int x, int y) { return kernels_[x].minPos > kernels_[y].minPos; };
    std::priority_queue<int, std::vector<int>, decltype(later)> ready(later);
    for (auto &kv : indeg)
      if (kv.second == 0) ready.push(kv.first);
    std::vector<int> order;
    while (!ready.empty()) {
      int k = ready.top();
      ready.pop();
      order.push_back(k);
      for (int s : next[k])
        if (--indeg[s] == 0) ready.push(s);
    }
    return order;
  }

  void assign(const std::vector<int> &order) {
    std::unordered_map<int, int> rank;
    for (size_t i = 0; i < order.size(); ++i)
      rank[order[i]] = static_cast<int>(i);
    // Sort key: kernel rank (leaves -1, views follow their storage owner),
    // then the GEMM head first within a kernel, views last, then graph order.
    struct Key {
      int rank, sub, pos;
    };
    std::unordered_map<const Node *, Key> key;
    for (Node *n : nodes_) {
      int pos = index_[n];
      if (computed(n)) {
        int k = rank.at(find(pos));
        n->plan.kernel = k;
        key[n] = {k, role_[n] == LoweringRole::Gemm ? 0 : 1, pos};
      } else if (role_[n] == LoweringRole::View) {
        key[n] = {key.at(n->operands[0]).rank, 2, pos};
      } else {
        key[n] = {-1, 0, pos};
      }
    }
    std::vector<Node *> sorted = nodes_;
    std::stable_sort(sorted.begin(), sorted.end(), [&](Node *x, Node *y) {
      const Key &a = key.at(x), &b = key.at(y);
      if (a.rank != b.rank) return a.rank < b.rank;
      if (a.sub != b.sub) return a.sub < b.sub;
      return a.pos < b.pos;
    });
    g_.reorder(sorted);
    restoreTopologicalOrder(g_); // a no-op unless the keys above were wrong
  }

  Graph &g_;
  bool fuse_;
  std::vector<Node *> nodes_;
  std::unordered_map<const Node *, int> index_;
  std::unordered_map<const Node *, LoweringRole> role_;
  std::unordered_map<const Node *, std::vector<const Node *>> readers_;
  std::vector<int> parent_;
  std::unordered_map<int, Kernel> kernels_;
};

} // namespace

bool fuseKernels(Graph &g, bool fuse) { return Fuser(g, fuse).run(); }

std::unique_ptr<Pass> createFusionPass() {
  return makePass("fusion", [](Graph &g) { return fuseKernels(g); });
}

} // namespace gradc
