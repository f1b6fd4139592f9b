//===- ir/LoweringPlan.cpp - The vocabulary of the lowering plan ----------===//
#include "ir/LoweringPlan.h"

namespace gradc {

uint64_t slotBytes(const Node *n) {
  uint64_t b = static_cast<uint64_t>(n->type.bytes());
  return (b + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
}

bool isStorageView(const Node *n) {
  if (isAlias(n->op)) return true;
  return n->info().cls != OpClass::Leaf && kernelOf(n) < 0;
}

const Node *storageRoot(const Node *n) {
  while (isStorageView(n) && n->operands.size() == 1) n = n->operands[0];
  return n;
}

} // namespace gradc
