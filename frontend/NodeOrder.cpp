//===- frontend/NodeOrder.cpp - Topological order of a file's nodes -------===//
#include "frontend/NodeOrder.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace gradc {
namespace {

/// Every node left with pending operands waits on another such node, so
/// walking from one to a pending operand must revisit a node: that loop is a
/// cycle. Returned in data-flow order, starting at its earliest node.
std::vector<size_t> findCycle(const std::vector<std::vector<size_t>> &operands,
                              const std::vector<long> &pending) {
  size_t start = 0;
  while (pending[start] == 0) ++start;
  std::vector<long> seenAt(operands.size(), -1);
  std::vector<size_t> walk;
  size_t cur = start;
  while (seenAt[cur] < 0) {
    seenAt[cur] = static_cast<long>(walk.size());
    walk.push_back(cur);
    for (size_t o : operands[cur])
      if (pending[o] > 0) {
        cur = o;
        break;
      }
  }
  // The walk goes from users to operands; reverse it into data-flow order.
  std::vector<size_t> cycle(walk.begin() + seenAt[cur], walk.end());
  std::reverse(cycle.begin(), cycle.end());
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()),
              cycle.end());
  return cycle;
}

} // namespace

NodeOrder orderNodes(const std::vector<std::vector<size_t>> &operands) {
  const size_t n = operands.size();
  NodeOrder result;
  bool sorted = true;
  std::vector<long> pending(n, 0); // Operands not yet placed.
  std::vector<std::vector<size_t>> users(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t d : operands[i]) {
      sorted &= d < i;
      ++pending[i];
      users[d].push_back(i);
    }
  result.order.reserve(n);
  if (sorted) {
    for (size_t i = 0; i < n; ++i) result.order.push_back(i);
    return result;
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push(i);
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    result.order.push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0) ready.push(u);
  }
  if (result.order.size() != n) {
    result.order.clear();
    result.cycle = findCycle(operands, pending);
  }
  return result;
}

} // namespace gradc
