//===- passes/Lowering.cpp - How nodes map to loops and buffers -----------===//
#include "passes/Lowering.h"

#include "ir/Error.h"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace gradc {

LoweringRole loweringRole(const Node *n) {
  switch (n->info().lower) {
  case LowerKind::None:
    return LoweringRole::Leaf;
  case LowerKind::Alias:
    return LoweringRole::View;
  case LowerKind::Loop:
    return isReduction(n->op) ? LoweringRole::Reduction
                              : LoweringRole::Elementwise;
  case LowerKind::Blas:
    // BLAS needs memory operands: a splat constant is only a literal.
    for (const Node *o : n->operands) {
      const Node *r = o;
      while (r->operands.size() == 1 &&
             (isAlias(r->op) || r->op == OpKind::Transpose))
        r = r->operands[0];
      if (r->op == OpKind::Constant && !r->attrs.count("data"))
        return LoweringRole::Opaque;
    }
    for (const Node *o : n->operands)
      if (o->type.numel() == 0) return LoweringRole::Opaque;
    if (n->type.numel() == 0) return LoweringRole::Opaque;
    return LoweringRole::Gemm;
  case LowerKind::Special:
    return LoweringRole::Opaque;
  }
  throw InternalError("lowering", "op kind out of range");
}

const Shape &loopDomain(const Node *n) {
  if (isReduction(n->op)) return n->operands[0]->type.shape;
  return n->type.shape;
}

std::unordered_map<const Node *, std::vector<StorageReader>>
storageReaders(const Graph &g) {
  std::unordered_map<const Node *, std::vector<StorageReader>> readers;
  for (const auto &np : g.nodes()) {
    const Node *n = np.get();
    if (kernelOf(n) < 0) continue;
    // This node's entry in each root's list, found again for later operands.
    std::unordered_map<const Node *, size_t> entry;
    for (const Node *o : n->operands) {
      const Node *r = storageRoot(o);
      auto [it, fresh] = entry.emplace(r, readers[r].size());
      if (fresh) readers[r].push_back({n, true});
      if (o != r) readers[r][it->second].direct = false;
    }
  }
  return readers;
}

} // namespace gradc
