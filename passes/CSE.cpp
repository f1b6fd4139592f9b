//===- passes/CSE.cpp - Common subexpression elimination ------------------===//
#include "passes/CSE.h"

#include "passes/GraphRewrite.h"

#include <unordered_map>

namespace gradc {
namespace {

/// Everything that decides a node's value, as a string key. Operands are
/// identified by their (already canonical) node ids.
std::string valueKey(const Node *n) {
  std::vector<int> ids;
  for (const Node *o : n->operands) ids.push_back(o->id);
  if (isCommutative(n->op) && ids.size() == 2 && ids[1] < ids[0])
    std::swap(ids[0], ids[1]);
  std::string k = std::to_string(static_cast<int>(n->op)) + "(";
  for (int id : ids) k += std::to_string(id) + ",";
  k += ")";
  for (const auto &kv : n->attrs) k += kv.first + "=" + attrToString(kv.second) + ";";
  k += ":" + n->type.str();
  // The flags decide what dumps and the module report about a node.
  k += n->requiresGrad ? "|rg" : "";
  k += n->noGrad ? "|ng" : "";
  return k;
}

} // namespace

bool eliminateCommonSubexpressions(Graph &g) {
  std::unordered_map<std::string, Node *> seen;
  std::vector<Node *> nodes;
  for (const auto &n : g.nodes()) nodes.push_back(n.get());
  bool changed = false;
  // Operands are rewritten before their users are keyed (topological
  // order), so chains of duplicates collapse in one sweep.
  Replacements rep;
  for (Node *n : nodes) {
    if (n->op == OpKind::Input || n->op == OpKind::Seed) continue;
    rep.rewriteOperands(n);
    auto [it, fresh] = seen.emplace(valueKey(n), n);
    if (fresh || !canReplace(g, n, it->second)) continue;
    rep.add(n, it->second);
    changed = true;
  }
  rep.apply(g);
  if (changed) removeDeadNodes(g);
  return changed;
}

std::unique_ptr<Pass> createCSEPass() {
  return makePass("cse", eliminateCommonSubexpressions);
}

} // namespace gradc
