//===- frontend/SizeVarWriter.cpp - Converts graphs keeping size variables ===//
#include "frontend/SizeVarWriter.h"

#include "ir/Error.h"
#include "ir/Printer.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <vector>

namespace gradc {

namespace {

/// A binding of every size variable: variable i gets value(i). The probes
/// give each variable its own value (so that two variables are never taken
/// for one another) with many divisors (so that a reshape to [-1, 2] or
/// [-1, 3] still loads).
SizeBinding bindAll(const std::vector<std::string> &names, int64_t (*value)(size_t)) {
  SizeBinding b;
  for (size_t i = 0; i < names.size(); ++i) b[names[i]] = value(i);
  return b;
}
int64_t probeA(size_t i) { return 12 * static_cast<int64_t>(i + 1); }
int64_t probeB(size_t i) { return 60 * static_cast<int64_t>(i + 1); }
int64_t small1(size_t i) { return static_cast<int64_t>(i) + 1; }
int64_t small2(size_t i) { return 2 * static_cast<int64_t>(i) + 3; }

std::string bindingText(const SizeBinding &b) {
  std::string s;
  for (const auto &kv : b) s += (s.empty() ? "" : ", ") + kv.first + "=" + std::to_string(kv.second);
  return s;
}

/// The message prefix of every refusal, and what to do instead.
std::string cannot(const std::string &fileName) {
  return fileName + ": cannot convert keeping the size variables (--size writes "
                    "the graph at fixed sizes): ";
}

/// What makes a node the same node in both probes (besides its attributes).
bool sameShape(const Node &a, const Node &b,
               const std::unordered_map<const Node *, size_t> &ia,
               const std::unordered_map<const Node *, size_t> &ib) {
  if (a.op != b.op || a.name != b.name || a.noGrad != b.noGrad ||
      a.gradFn != b.gradFn || a.type.dtype != b.type.dtype ||
      a.type.rank() != b.type.rank() || a.operands.size() != b.operands.size())
    return false;
  for (size_t k = 0; k < a.operands.size(); ++k)
    if (ia.at(a.operands[k]) != ib.at(b.operands[k])) return false;
  return true;
}

/// The first attribute of `a` and `b` that differs, by name ("" if none).
std::string firstDifference(const AttrMap &a, const AttrMap &b) {
  for (const auto &kv : a) {
    auto it = b.find(kv.first);
    if (it == b.end() || !(it->second == kv.second)) return kv.first;
  }
  for (const auto &kv : b)
    if (!a.count(kv.first)) return kv.first;
  return "";
}

/// Rewrites the nodes of `ga` (loaded at probe `pa`) whose attributes
/// differ from those of the same node in `gb` (probe `pb`) to the
/// attributes the frontend gave them; throws when that does not make
/// them agree.
void restoreWritten(Graph &ga, const Graph &gb, const SizeBinding &pa,
                    const SizeBinding &pb, const std::string &fileName) {
  const auto &na = ga.nodes(), &nb = gb.nodes();
  std::string at = " (at " + bindingText(pa) + " and at " + bindingText(pb) + ")";
  if (na.size() != nb.size())
    throw Error(cannot(fileName) + "it expands to " + std::to_string(na.size()) +
                " and to " + std::to_string(nb.size()) + " nodes" + at);
  std::unordered_map<const Node *, size_t> ia, ib;
  for (size_t i = 0; i < na.size(); ++i) ia[na[i].get()] = i, ib[nb[i].get()] = i;
  for (size_t i = 0; i < na.size(); ++i) {
    Node &a = *na[i];
    const Node &b = *nb[i];
    if (!sameShape(a, b, ia, ib)) // gradFn included: both probes load the same file
      throw Error(cannot(fileName) + "node " + a.displayName() + " (" + a.info().name +
                  ") is built differently at different sizes" + at);
    if (a.attrs == b.attrs) continue;
    const AttrMap &wa = a.written.empty() ? a.attrs : a.written;
    const AttrMap &wb = b.written.empty() ? b.attrs : b.written;
    std::string key = firstDifference(wa, wb);
    if (!key.empty()) {
      auto value = [&key](const AttrMap &m) {
        auto it = m.find(key);
        return it == m.end() ? std::string("absent") : attrToString(it->second);
      };
      std::string what = "node " + a.displayName() + " (" + a.info().name + ")";
      if (a.op == OpKind::Constant) {
        // Named by the first named node it flows into: a constant is a
        // temporary, and so are most nodes a composite op expands to.
        const Node *cur = &a;
        for (size_t j = i + 1; j < na.size() && cur->name.empty(); ++j)
          if (std::find(na[j]->operands.begin(), na[j]->operands.end(), cur) !=
              na[j]->operands.end())
            cur = na[j].get();
        if (cur != &a)
          what = "a constant in node " + cur->displayName() + " (" + cur->info().name + ")";
      }
      throw Error(cannot(fileName) + what + " depends on the sizes: its '" + key +
                  "' is " + value(a.attrs) + " at " + bindingText(pa) + " and " +
                  value(b.attrs) + " at " + bindingText(pb));
    }
    AttrMap keep = wa; // wa may be a.attrs itself
    a.attrs = std::move(keep);
  }
  const auto &oa = ga.outputs(), &ob = gb.outputs();
  bool same = oa.size() == ob.size();
  for (size_t k = 0; same && k < oa.size(); ++k)
    same = oa[k].name == ob[k].name && ia.at(oa[k].node) == ib.at(ob[k].node);
  if (!same)
    throw Error(cannot(fileName) + "its outputs differ" + at);
}

/// Loads `text` at `sizes`, or returns null with the message in `why`.
std::unique_ptr<Graph> tryLoad(const std::string &text, const std::string &fileName,
                               GraphFormat format, const SizeBinding &sizes,
                               std::string &why) {
  try {
    return parseGraphText(text, fileName, format, sizes);
  } catch (const Error &e) {
    why = e.what();
    return nullptr;
  }
}

/// The IR of `g` without grad_fn names: a composite op is written as its
/// primitives, whose last one then has its own grad_fn (as any convert).
std::string comparableIR(Graph &g) {
  for (const auto &n : g.nodes()) n->gradFn.clear();
  PrintOptions opts;
  opts.gradFnComments = false;
  return printGraph(g, opts);
}

} // namespace

std::string convertKeepingSizes(const std::string &text, const std::string &fileName,
                                GraphFormat in, GraphFormat out) {
  GraphSignature sig = graphTextSignature(text, fileName, in);
  std::vector<std::string> names = sig.sizeNames();
  if (names.empty())
    throw Error(fileName + ": the graph has no size variables to keep");
  SizeBinding pa = bindAll(names, probeA), pb = bindAll(names, probeB);
  std::string why;
  auto ga = tryLoad(text, fileName, in, pa, why);
  if (!ga)
    throw Error(cannot(fileName) + "it does not load at the probe sizes " + bindingText(pa) +
                ": " + why);
  auto gb = tryLoad(text, fileName, in, pb, why);
  if (!gb)
    throw Error(cannot(fileName) + "it does not load at the probe sizes " + bindingText(pb) +
                ": " + why);
  restoreWritten(*ga, *gb, pa, pb, fileName);
  std::string result = writeGraphText(*ga, out, &sig);

  // Check what was written: at every binding where the original loads,
  // the written graph loads to the same IR. (Where the original does not
  // load, a composite's check may be gone from its primitives, as in any
  // convert: batch_norm refuses one value per channel, its expansion not.)
  std::string converted = "the converted graph";
  for (auto value : {probeA, probeB, small1, small2}) {
    SizeBinding b = bindAll(names, value);
    std::string whyOrig, whyConv;
    auto orig = tryLoad(text, fileName, in, b, whyOrig);
    if (!orig) continue;
    auto conv = tryLoad(result, converted, out, b, whyConv);
    if (!conv || comparableIR(*orig) != comparableIR(*conv))
      throw Error(cannot(fileName) + "at " + bindingText(b) + " the converted graph " +
                  (!conv ? "does not load (" + whyConv + ")" : "differs from the original"));
  }
  return result;
}

} // namespace gradc
