//===- runtime/HigherOrderCheck.cpp - JVPs and second derivatives ---------===//
#include "runtime/HigherOrderCheck.h"

#include "ir/Error.h"
#include "passes/ExpandGrad.h"
#include "passes/RequiresGrad.h"
#include "runtime/Derivatives.h"
#include "runtime/InputInit.h"
#include "runtime/Random.h"
#include "runtime/Session.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace gradc {
namespace {

/// The source graph with grad nodes expanded and f32 promoted to f64.
std::unique_ptr<Graph> prepare(const Graph &g) {
  std::unique_ptr<Graph> c = g.clone();
  expandGradNodes(*c);
  std::unique_ptr<Graph> g64 = promoteToFloat64(*c);
  analyzeRequiresGrad(*g64);
  return g64;
}

/// The value of input `in`: the caller's (as f64) or its init.
Tensor inputValue(const Node &in, const std::map<std::string, Tensor> &given) {
  auto it = given.find(in.name);
  if (it == given.end()) return materializeInit(in);
  return Tensor::fromDoubles(in.type.dtype, it->second.shape(), it->second.toDoubles());
}

} // namespace

std::vector<JvpCheckOutput> checkJvp(const Graph &g, const Compiler &compiler,
                                     const GradCheckOptions &opts) {
  std::unique_ptr<Graph> g64 = prepare(g);
  // Values forward mode treats as constants (detach, no_grad) must not
  // vary along v: finite differences cannot hold them fixed. An output
  // computed from such a value (batch_norm's NAME.running_mean, say) is
  // skipped, naming the value; the others are checked.
  std::unordered_set<const Node *> varies;
  std::unordered_map<const Node *, const Node *> heldIn; // node -> a held value
  for (const auto &np : g64->nodes()) {
    const Node *n = np.get();
    bool v = n->requiresGrad;
    const Node *held = nullptr;
    for (const Node *o : n->operands) {
      v = v || varies.count(o);
      auto it = heldIn.find(o);
      if (it != heldIn.end() && !held) held = it->second;
    }
    if (v && (n->op == OpKind::Detach || n->noGrad) && !n->operands.empty() && !held)
      held = n;
    if (held) heldIn[n] = held;
    if (v) varies.insert(n);
  }
  std::vector<std::string> skipped(g64->outputs().size());
  bool anyChecked = false;
  for (size_t k = 0; k < g64->outputs().size(); ++k) {
    const Node *o = g64->outputs()[k].node;
    if (!isFloat(o->type.dtype)) continue;
    auto it = heldIn.find(o);
    if (it == heldIn.end()) {
      anyChecked = true;
      continue;
    }
    const Node *held = it->second;
    if (o->noGrad || o->op == OpKind::Detach || held->name.empty())
      skipped[k] = "computed in no_grad (or through detach) from values that "
                   "require grad, which finite differences cannot hold fixed "
                   "along a direction";
    else
      skipped[k] = "computed from '" + held->name + "' (detach or no_grad), "
                   "which finite differences cannot hold fixed along a "
                   "direction";
  }
  SplitMix64 rng{opts.seed};
  std::vector<const Node *> wrt;
  double scale = 1;
  std::map<std::string, Tensor> x, v;
  for (const Node *in : g64->inputs()) {
    x.emplace(in->name, inputValue(*in, opts.inputs));
    if (!in->requiresGrad) continue;
    wrt.push_back(in);
    Tensor t(in->type.dtype, in->type.shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.set(i, rng.normal());
    const Tensor &xv = x.at(in->name);
    for (int64_t i = 0; i < xv.numel(); ++i) scale = std::max(scale, std::fabs(xv.get(i)));
    v.emplace(in->name, std::move(t));
  }
  if (wrt.empty()) throw Error("no input requires grad: there is no JVP to check");
  if (!anyChecked) {
    for (size_t k = 0; k < skipped.size(); ++k)
      if (!skipped[k].empty())
        throw Error("the JVP check has no output to check: '" +
                    g64->outputs()[k].name + "' is " + skipped[k]);
    throw Error("the JVP check has no floating-point output to check");
  }
  // A direction of unit length on average: a step of h then moves x by
  // about h in norm, however many elements it has (fewer kinks crossed,
  // smaller truncation error).
  int64_t total = 0;
  for (const auto &kv : v) total += kv.second.numel();
  double unit = 1 / std::sqrt(static_cast<double>(std::max<int64_t>(total, 1)));
  for (auto &kv : v)
    for (int64_t i = 0; i < kv.second.numel(); ++i)
      kv.second.set(i, kv.second.get(i) * unit);
  double h = opts.eps * scale;

  // Forward mode.
  std::unique_ptr<CompiledGraph> jc = compileJvp(compiler, *g64);
  Session js(*jc);
  for (const auto &kv : x) js.setInput(kv.first, kv.second);
  for (const auto &kv : v) js.setInput(tangentName(kv.first), kv.second);
  js.runFused({}, false);

  // Finite differences of the forward graph along v.
  std::unique_ptr<Graph> fwd = g64->clone();
  for (Node *in : fwd->inputs()) in->attrs.erase("requires_grad");
  std::unique_ptr<CompiledGraph> fc = compiler.compile(*fwd);
  auto at = [&](double sign) {
    Session s(*fc);
    for (const auto &kv : x) {
      auto dir = v.find(kv.first);
      if (dir == v.end()) {
        s.setInput(kv.first, kv.second);
        continue;
      }
      Tensor p(kv.second.dtype(), kv.second.shape());
      for (int64_t i = 0; i < p.numel(); ++i)
        p.set(i, kv.second.get(i) + sign * h * dir->second.get(i));
      s.setInput(kv.first, p);
    }
    s.runFused({}, false);
    std::vector<std::vector<double>> outs;
    for (const GraphOutput &o : fwd->outputs()) outs.push_back(s.output(o.name).toDoubles());
    return outs;
  };
  std::vector<std::vector<double>> plus = at(1), minus = at(-1);

  std::vector<JvpCheckOutput> rep;
  for (size_t k = 0; k < g64->outputs().size(); ++k) {
    const GraphOutput &o = g64->outputs()[k];
    if (!isFloat(o.node->type.dtype)) continue;
    std::vector<double> a = js.output(tangentName(o.name)).toDoubles();
    JvpCheckOutput c;
    c.name = o.name;
    if (!skipped[k].empty()) {
      c.skipped = skipped[k];
      rep.push_back(c);
      continue;
    }
    double big = 0, fmax = 0;
    std::vector<double> n(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      n[i] = (plus[k][i] - minus[k][i]) / (2 * h);
      big = std::max({big, std::fabs(a[i]), std::fabs(n[i])});
      fmax = std::max({fmax, std::fabs(plus[k][i]), std::fabs(minus[k][i])});
    }
    double noise = 8 * DBL_EPSILON * (1 + fmax) / (2 * h);
    for (size_t i = 0; i < a.size() && big > 0; ++i) {
      double e = std::fabs(a[i] - n[i]);
      if (std::isnan(e)) e = std::isnan(a[i]) && std::isnan(n[i]) ? 0 : HUGE_VAL;
      if (e / big > c.maxRelError || c.worstIndex < 0) {
        c.maxRelError = std::max(c.maxRelError, e / big);
        c.worstIndex = static_cast<int64_t>(i);
        c.analytic = a[i];
        c.numeric = n[i];
      }
      c.maxExcessError = std::max(c.maxExcessError, std::max(0.0, e - noise) / big);
    }
    rep.push_back(c);
  }
  return rep;
}

GradCheckReport checkSecondDerivatives(const Graph &g, const Compiler &compiler,
                                       const GradCheckOptions &opts) {
  std::unique_ptr<Graph> h = g.clone();
  expandGradNodes(*h);
  analyzeRequiresGrad(*h);
  std::vector<GraphOutput> roots;
  for (const GraphOutput &o : h->outputs()) {
    bool chosen = opts.roots.empty()
                      ? o.node->requiresGrad && o.node->type.numel() == 1
                      : std::find(opts.roots.begin(), opts.roots.end(), o.name) !=
                            opts.roots.end();
    if (chosen) roots.push_back(o);
  }
  for (const GraphOutput &o : roots)
    if (o.node->type.numel() != 1 || !o.node->requiresGrad)
      throw Error("second derivatives are checked for one-element roots that "
                  "require grad; '" + o.name + "' is not one");
  if (roots.empty())
    throw Error("second derivatives need a one-element output that requires grad");
  std::vector<GraphOutput> grads;
  for (const GraphOutput &o : roots)
    for (Node *in : h->inputs())
      if (in->requiresGrad)
        grads.push_back({"grad(" + o.name + ", " + in->name + ")",
                         h->addNode(OpKind::Grad, {o.node, in})});
  h->outputs() = grads;
  GradCheckOptions second; // random seeds for the gradients; same inputs
  second.eps = opts.eps;
  second.maxElementsPerInput = opts.maxElementsPerInput;
  second.seed = opts.seed;
  for (const auto &kv : opts.inputs) {
    Tensor t(kv.second.dtype(), kv.second.shape());
    std::memcpy(t.data(), kv.second.data(),
                static_cast<size_t>(t.numel() * dtypeSize(t.dtype())));
    second.inputs.emplace(kv.first, std::move(t));
  }
  return checkGradients(*h, compiler, second);
}

} // namespace gradc
