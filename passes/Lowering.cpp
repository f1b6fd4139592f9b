//===- passes/Lowering.cpp - How nodes map to loops and buffers -----------===//
#include "passes/Lowering.h"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace gradc {

bool isReshapeView(const Node *n) {
  return n->op == OpKind::Reshape || n->op == OpKind::Squeeze ||
         n->op == OpKind::Unsqueeze || n->op == OpKind::Detach;
}

bool isMatmulLike(const Node *n) {
  // _gemm is matched by name: the op table may not list it in every build.
  return n->op == OpKind::Matmul || std::string(n->info().name) == "_gemm";
}

LoweringRole loweringRole(const Node *n) {
  if (isReshapeView(n)) return LoweringRole::View;
  switch (n->info().cls) {
  case OpClass::Leaf:
    return LoweringRole::Leaf;
  case OpClass::Unary:
  case OpClass::Binary:
  case OpClass::Compare:
  case OpClass::Ternary:
    return LoweringRole::Elementwise;
  case OpClass::Reduce:
    return LoweringRole::Reduction;
  default:
    break;
  }
  if (n->op == OpKind::Expand) return LoweringRole::Elementwise;
  if (isMatmulLike(n)) {
    // BLAS needs memory operands: a splat constant is only a literal.
    for (const Node *o : n->operands) {
      const Node *r = o;
      while (r->operands.size() == 1 &&
             (isReshapeView(r) || r->op == OpKind::Transpose))
        r = r->operands[0];
      if (r->op == OpKind::Constant && !r->attrs.count("data"))
        return LoweringRole::Opaque;
    }
    for (const Node *o : n->operands)
      if (o->type.numel() == 0) return LoweringRole::Opaque;
    if (n->type.numel() == 0) return LoweringRole::Opaque;
    return LoweringRole::Gemm;
  }
  return LoweringRole::Opaque;
}

const Shape &loopDomain(const Node *n) {
  if (n->info().cls == OpClass::Reduce) return n->operands[0]->type.shape;
  return n->type.shape;
}

int kernelOf(const Node *n) {
  auto it = n->attrs.find(kKernelAttr);
  if (it == n->attrs.end()) return -1;
  if (auto *v = std::get_if<int64_t>(&it->second)) return static_cast<int>(*v);
  return -1;
}

const Node *storageRoot(const Node *n) {
  while (n->info().cls != OpClass::Leaf && kernelOf(n) < 0 &&
         n->operands.size() == 1)
    n = n->operands[0];
  return n;
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
