//===- tests/frontend/NodeOrderTest.cpp - Order of a file's nodes ---------===//
#include "frontend/NodeOrder.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

using List = std::vector<size_t>;

TEST(NodeOrder, FileOrderWhenAlreadyTopological) {
  NodeOrder r = orderNodes({{}, {0}, {0, 1}, {2, 2}});
  EXPECT_EQ(r.order, (List{0, 1, 2, 3}));
  EXPECT_TRUE(r.cycle.empty());
}

TEST(NodeOrder, ForwardReferencesTakeTheEarliestReadyNode) {
  // 0 reads 3, 1 reads nothing, 2 reads 0, 3 reads nothing: ready at first
  // are 1 and 3; 1 comes first in the file.
  NodeOrder r = orderNodes({{3}, {}, {0}, {}});
  EXPECT_EQ(r.order, (List{1, 3, 0, 2}));
}

TEST(NodeOrder, CycleInDataFlowOrderFromItsEarliestNode) {
  // 0 is fine; 3 -> 1 -> 2 -> 3 is a cycle (1 reads 3, 2 reads 1, 3 reads
  // 2); 4 reads the cycle and is stuck behind it.
  NodeOrder r = orderNodes({{}, {3}, {1}, {2}, {2, 0}});
  EXPECT_TRUE(r.order.empty());
  EXPECT_EQ(r.cycle, (List{1, 2, 3}));
  EXPECT_EQ(orderNodes({{0}}).cycle, (List{0}));
}

} // namespace
