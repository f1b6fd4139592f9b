//===- ir/LoweringPlan.cpp - The vocabulary of the lowering plan ----------===//
#include "ir/LoweringPlan.h"

#include "ir/Error.h"

#include <sstream>

namespace gradc {

uint64_t slotBytes(const Node *n) {
  uint64_t b = static_cast<uint64_t>(n->type.bytes());
  return (b + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
}

std::string Place::str() const {
  switch (kind) {
  case Reg: return "reg";
  case Workspace: return "ws+" + std::to_string(offset);
  case Context: return "ctx+" + std::to_string(offset);
  case Output: return "out#" + std::to_string(index);
  case Grad: return "grad#" + std::to_string(index);
  case None: break;
  }
  return "none";
}

std::string ValuePlace::str() const {
  std::string s = home.str();
  for (const Place &p : extras) s += " " + p.str();
  return s;
}

namespace {

[[noreturn]] void malformed(const Node *n, const std::string &what) {
  throw InternalError("lowering plan", "node '" + n->displayName() + "' (" +
                                           n->info().name + "): " + what);
}

Place parsePlace(const Node *n, const std::string &s) {
  auto number = [&](size_t from) -> uint64_t {
    if (from >= s.size() || s.size() - from > 18)
      malformed(n, "bad placement '" + s + "'");
    for (size_t i = from; i < s.size(); ++i)
      if (s[i] < '0' || s[i] > '9') malformed(n, "bad placement '" + s + "'");
    return std::stoull(s.substr(from));
  };
  Place p;
  if (s == "reg") p.kind = Place::Reg;
  else if (s.rfind("ws+", 0) == 0) p = {Place::Workspace, number(3), 0};
  else if (s.rfind("ctx+", 0) == 0) p = {Place::Context, number(4), 0};
  else if (s.rfind("out#", 0) == 0)
    p = {Place::Output, 0, static_cast<int>(number(4))};
  else if (s.rfind("grad#", 0) == 0)
    p = {Place::Grad, 0, static_cast<int>(number(5))};
  else malformed(n, "unknown placement '" + s + "'");
  return p;
}

} // namespace

std::optional<ValuePlace> placeOf(const Node *n, const char *attr) {
  auto it = n->attrs.find(attr);
  if (it == n->attrs.end()) return std::nullopt;
  const std::string *text = std::get_if<std::string>(&it->second);
  if (!text) malformed(n, std::string("the '") + attr + "' attribute is not a string");
  ValuePlace v;
  std::istringstream in(*text);
  std::string word;
  bool first = true;
  while (in >> word) {
    Place p = parsePlace(n, word);
    if (first) v.home = p;
    else v.extras.push_back(p);
    first = false;
  }
  if (first) malformed(n, "empty placement");
  return v;
}

int kernelOf(const Node *n) {
  auto it = n->attrs.find(kKernelAttr);
  if (it == n->attrs.end()) return -1;
  if (auto *v = std::get_if<int64_t>(&it->second)) return static_cast<int>(*v);
  malformed(n, "malformed kernel attribute");
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
