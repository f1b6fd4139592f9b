//===- codegen/LoopSpace.cpp - The iteration space of a loop kernel -------===//
#include "codegen/LoopSpace.h"

namespace gradc {

LoopSpace::LoopSpace(const Shape &domain, const std::vector<DimPattern> &patterns) {
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < domain.size(); ++i) {
    bool join = !groups.empty();
    if (join)
      for (const DimPattern &p : patterns) join = join && p[i] == p[groups.back().back()];
    if (join) groups.back().push_back(i);
    else groups.push_back({i});
  }
  for (const auto &g : groups) {
    int64_t n = 1;
    for (size_t i : g) n *= domain[i];
    dims_.push_back(n);
    firstOf_.push_back(g.front());
  }
}

DimPattern LoopSpace::presentDims(const Shape &s, const Shape &domain) {
  size_t domainRank = domain.size();
  DimPattern p(domainRank, false);
  for (size_t i = 0; i < s.size(); ++i) {
    size_t d = domainRank - s.size() + i;
    p[d] = s[i] != 1 || domain[d] == 1;
  }
  return p;
}

DimPattern LoopSpace::reducedDims(const Node *n, size_t domainRank) {
  DimPattern red(domainRank, false);
  std::vector<int64_t> all;
  for (size_t i = 0; i < domainRank; ++i) all.push_back(static_cast<int64_t>(i));
  for (int64_t d : getInts(n->attrs, "dim", all)) red[d] = true;
  return red;
}

DimPattern LoopSpace::collapse(const DimPattern &orig) const {
  DimPattern p;
  for (size_t f : firstOf_) p.push_back(orig[f]);
  return p;
}

int64_t LoopSpace::numel() const {
  int64_t n = 1;
  for (int64_t v : dims_) n *= v;
  return n;
}

std::string LoopSpace::offset(const DimPattern &mask) const {
  std::string e;
  int64_t stride = 1;
  for (int g = rank() - 1; g >= 0; --g) {
    if (!mask[g]) continue;
    std::string t = "i" + std::to_string(g);
    if (stride != 1) t += " * " + std::to_string(stride) + "LL";
    e = e.empty() ? t : t + " + " + e;
    stride *= dims_[g];
  }
  return e.empty() ? "0" : e;
}

} // namespace gradc
