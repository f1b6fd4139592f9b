//===- ir/Printer.cpp - Text form of the IR -------------------------------===//
#include "ir/Printer.h"

#include "ir/GradFn.h"
#include "ir/LoweringPlan.h"

#include <unordered_map>

namespace gradc {

std::string quoteIRString(const std::string &s) {
  return attrToString(Attr(s));
}

static bool isIdentifier(const std::string &s) {
  if (s.empty()) return false;
  auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '.') return false;
  return true;
}

std::string printGraph(const Graph &g, const PrintOptions &opts) {
  std::unordered_map<const Node *, std::string> names;
  int temp = 0;
  for (const auto &n : g.nodes()) {
    if (n->name.empty())
      names[n.get()] = "%" + std::to_string(temp++);
    else if (isIdentifier(n->name))
      names[n.get()] = "%" + n->name;
    else
      names[n.get()] = "%" + quoteIRString(n->name);
  }

  std::string out = "graph " + quoteIRString(g.name()) + " {\n";
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    std::string line = "  " + names[&n] + " = " + n.info().name + "(";
    for (size_t i = 0; i < n.operands.size(); ++i)
      line += (i ? ", " : "") + names[n.operands[i]];
    line += ")";
    AttrMap attrs = n.attrs;
    if (n.noGrad) attrs["no_grad"] = true;
    if (!n.gradFn.empty()) attrs["grad_fn"] = n.gradFn;
    // The lowering plan, in optimized dumps, as attributes.
    if (n.plan.kernel >= 0) attrs[kKernelAttr] = static_cast<int64_t>(n.plan.kernel);
    if (n.plan.fused) attrs[kBufAttr] = n.plan.fused->str();
    if (n.plan.split) attrs[kSplitBufAttr] = n.plan.split->str();
    if (!attrs.empty()) {
      line += " {";
      bool first = true;
      for (const auto &kv : attrs) {
        line += (first ? "" : ", ") + kv.first + " = " + attrToString(kv.second);
        first = false;
      }
      line += "}";
    }
    line += " : " + n.type.str();
    if (opts.gradFnComments && n.requiresGrad) {
      std::string fn = gradFnName(n);
      if (!fn.empty()) line += "  // grad_fn=<" + fn + ">";
    }
    out += line + "\n";
  }
  for (const auto &o : g.outputs())
    out += "  output " + quoteIRString(o.name) + " = " + names[o.node] + "\n";
  for (const auto &r : g.gradients())
    out += "  gradient " + quoteIRString(r.input->name) + " = " +
           names[r.value] + "\n";
  out += "}\n";
  return out;
}

} // namespace gradc
