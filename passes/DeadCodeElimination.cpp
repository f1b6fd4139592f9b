//===- passes/DeadCodeElimination.cpp - Removes unused nodes --------------===//
#include "passes/DeadCodeElimination.h"

#include <unordered_set>

namespace gradc {

bool eliminateDeadCode(Graph &g) {
  std::unordered_set<const Node *> live;
  std::vector<const Node *> work;
  auto mark = [&](const Node *n) {
    if (live.insert(n).second) work.push_back(n);
  };
  for (const auto &o : g.outputs()) mark(o.node);
  for (const auto &r : g.gradients()) mark(r.value);
  // An explicit worklist rather than recursion: graphs can be 100k deep.
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    for (const Node *o : n->operands) mark(o);
  }
  size_t before = g.nodes().size();
  g.removeNodesIf([&](const Node *n) {
    return n->op != OpKind::Input && !live.count(n);
  });
  return g.nodes().size() != before;
}

namespace {
class DCEPass : public Pass {
public:
  std::string name() const override { return "dce"; }
  bool run(Graph &g) override { return eliminateDeadCode(g); }
};
} // namespace

std::unique_ptr<Pass> createDCEPass() { return std::make_unique<DCEPass>(); }

} // namespace gradc
