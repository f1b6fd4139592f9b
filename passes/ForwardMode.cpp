//===- passes/ForwardMode.cpp - Forward-mode differentiation pass ---------===//
#include "passes/ForwardMode.h"

#include "ir/Error.h"
#include "passes/ExpandGrad.h"
#include "passes/JvpRules.h"
#include "passes/RequiresGrad.h"

#include <algorithm>
#include <unordered_map>

namespace gradc {

std::string tangentName(const std::string &name) { return "tangent:" + name; }

void applyForwardMode(Graph &g, const ForwardModeOptions &opts) {
  if (!g.gradients().empty() || !g.seeds().empty())
    throw Error("forward mode needs a forward graph; this one is already "
                "differentiated in reverse mode");
  if (opts.batch < 0) throw Error("the tangent batch size must not be negative");
  expandGradNodes(g);
  analyzeRequiresGrad(g);
  auto lead = [&](const Shape &s) {
    if (!opts.batch) return s;
    Shape r{opts.batch};
    r.insert(r.end(), s.begin(), s.end());
    return r;
  };

  // The inputs that get tangents.
  std::vector<Node *> wrt;
  if (opts.wrt.empty()) {
    for (Node *in : g.inputs())
      if (in->requiresGrad) wrt.push_back(in);
  } else {
    for (const std::string &n : opts.wrt) {
      Node *in = g.findNode(n);
      if (!in || in->op != OpKind::Input)
        throw Error("'" + n + "' is not an input of the graph");
      if (!in->requiresGrad)
        throw Error("input '" + n +
                    "' does not require grad: derivatives are taken with "
                    "respect to requires_grad inputs only");
      wrt.push_back(in);
    }
  }
  std::vector<GraphOutput> outs;
  if (opts.of.empty()) {
    outs = g.outputs();
  } else {
    for (const std::string &n : opts.of) {
      auto it = std::find_if(g.outputs().begin(), g.outputs().end(),
                             [&](const GraphOutput &o) { return o.name == n; });
      if (it == g.outputs().end())
        throw Error("'" + n + "' is not an output of the graph");
      outs.push_back(*it);
    }
  }
  for (Node *in : wrt)
    if (g.findNode(tangentName(in->name)))
      throw Error("the graph already has a value named '" +
                  tangentName(in->name) + "'");
  for (const GraphOutput &o : outs)
    for (const GraphOutput &e : g.outputs())
      if (e.name == tangentName(o.name))
        throw Error("the graph already has an output named '" + e.name + "'");

  std::vector<Node *> forward;
  for (const auto &n : g.nodes()) forward.push_back(n.get());

  std::unordered_map<Node *, Node *> tangent;
  for (Node *in : wrt)
    tangent[in] = g.addInput(tangentName(in->name),
                             {in->type.dtype, lead(in->type.shape)},
                             {{"init", std::string("zeros")}});
  GradBuilder b(g);
  for (Node *n : forward) {
    if (n->info().cls == OpClass::Leaf || n->noGrad) continue;
    std::vector<Node *> dx;
    bool any = false;
    for (Node *o : n->operands) {
      auto it = tangent.find(o);
      dx.push_back(it == tangent.end() ? nullptr : it->second);
      any |= dx.back() != nullptr;
    }
    if (!any) continue;
    if (Node *t = buildJVP(b, n, dx, opts.batch)) tangent[n] = t;
  }
  for (const GraphOutput &o : outs) {
    auto it = tangent.find(o.node);
    Node *t = it != tangent.end()
                  ? it->second
                  : b.full(0, {o.node->type.dtype, lead(o.node->type.shape)});
    g.addOutput(tangentName(o.name), t);
  }
  if (!opts.keepRequiresGrad)
    for (Node *in : g.inputs()) in->attrs["requires_grad"] = false;
  analyzeRequiresGrad(g);
}

} // namespace gradc
