//===- tools/SizeFlags.cpp - Binding size variables on the command line ---===//
#include "tools/SizeFlags.h"

#include "frontend/LoadGraph.h"
#include "ir/Error.h"

#include <algorithm>
#include <charconv>

namespace gradc {

SizeBinding sizeFlags(const Args &args) {
  if (!args.has("--size")) return {};
  return parseSizeAssignments(args.all("--size"));
}

bool hasSizeRange(const Args &args) {
  if (!args.has("--size")) return false;
  for (const std::string &item : args.all("--size"))
    if (item.find("..") != std::string::npos) return true;
  return false;
}

namespace {

/// A whole number (a sign allowed), or an error naming the item.
int64_t wholeNumber(const std::string &text, const std::string &item) {
  int64_t v = 0;
  const char *end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end)
    throw Error("--size " + item + ": '" + text +
                "' is not a whole number (expected NAME=N or NAME=LO..HI)");
  return v;
}

} // namespace

std::vector<SizeRange> sizeRangeFlags(const Args &args, const GraphSignature &sig) {
  const std::vector<std::string> names = sig.sizeNames();
  std::string known;
  for (const std::string &n : names) known += (known.empty() ? "" : ", ") + n;
  std::vector<SizeRange> given;
  for (const std::string &item : args.all("--size")) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || !isSizeVariableName(item.substr(0, eq)))
      throw Error("--size expects NAME=N or NAME=LO..HI, like B=1..256, got '" + item + "'");
    SizeRange r;
    r.name = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    size_t dots = value.find("..");
    r.lo = wholeNumber(value.substr(0, dots), item);
    r.hi = dots == std::string::npos ? r.lo : wholeNumber(value.substr(dots + 2), item);
    if (std::find(names.begin(), names.end(), r.name) == names.end())
      throw Error("--size " + item + ": the graph has no size variable '" + r.name + "'" +
                  (names.empty() ? std::string(" (it has none)") : " (it has: " + known + ")"));
    for (const SizeRange &g : given)
      if (g.name == r.name) throw Error("--size gives '" + r.name + "' twice");
    given.push_back(r);
  }
  std::vector<SizeRange> ranges;
  for (const std::string &n : names) {
    auto it = std::find_if(given.begin(), given.end(), [&](const SizeRange &r) { return r.name == n; });
    if (it == given.end())
      throw Error("--size: size '" + n + "' is not bound: a range build needs every size " +
                  "variable (" + known + "), as " + n + "=N or " + n + "=LO..HI");
    ranges.push_back(*it);
  }
  return ranges;
}

std::unique_ptr<Graph> loadBoundGraph(const Args &args, const std::string &path,
                                      SizeBinding *bound, const TensorFile *inputs) {
  SizeBinding explicitSizes = sizeFlags(args);
  if (bound) bound->clear();
  // Bound while the file is parsed, from the signature of that one parse;
  // the inputs file is only read ahead for a graph with size variables
  // (and then parsed once: the caller reads its tensors from the same
  // TensorFile).
  return loadGraphFile(path, [&](const GraphSignature &sig) {
    if (!sig.symbolic() && explicitSizes.empty()) return SizeBinding{};
    std::map<std::string, Shape> shapes;
    if (inputs) shapes = inputs->shapes();
    SizeBinding sizes = bindSizes(sig, explicitSizes, shapes);
    if (bound) *bound = sizes;
    return sizes;
  });
}

} // namespace gradc
