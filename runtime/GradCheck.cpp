//===- runtime/GradCheck.cpp - Gradients against finite differences -------===//
#include "runtime/GradCheck.h"

#include "ir/Error.h"
#include "ir/OpClasses.h"
#include "passes/ExpandGrad.h"
#include "passes/Pipeline.h"
#include "passes/RequiresGrad.h"
#include "runtime/Random.h"
#include "runtime/Session.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace gradc {

namespace {

using Rng = SplitMix64;

DType promote(DType t) { return t == DType::F32 ? DType::F64 : t; }

/// How rebuild() changes a graph on the way.
struct RebuildSpec {
  /// Nodes replaced by inputs named cutName(n) (values held fixed).
  std::unordered_set<const Node *> cut;
  /// Clears requires_grad on every input (a forward-only graph).
  bool forwardOnly = false;
  /// Extra outputs: these nodes, under cutName(n).
  std::vector<const Node *> extraOutputs;
};

std::string cutName(const Node *n) { return "gradcheck.fixed." + std::to_string(n->id); }

/// Copies `g` node by node with f32 promoted to f64, applying `spec`.
std::unique_ptr<Graph> rebuild(const Graph &g, const RebuildSpec &spec) {
  auto r = std::make_unique<Graph>(g.name());
  std::unordered_map<const Node *, Node *> map;
  for (const auto &np : g.nodes()) {
    const Node *n = np.get();
    TensorType t{promote(n->type.dtype), n->type.shape};
    if (spec.cut.count(n)) {
      map[n] = r->addInput(cutName(n), t, {});
      continue;
    }
    if (n->info().cls != OpClass::Leaf) { // the same op on the mapped operands
      std::vector<Node *> ops;
      for (const Node *o : n->operands) ops.push_back(map.at(o));
      Node *m = r->addNode(n->op, ops, n->attrs, n->name);
      m->noGrad = n->noGrad;
      m->gradFn = n->gradFn;
      map[n] = m;
      continue;
    }
    switch (leafOp(n->op)) {
    case LeafOp::Seed:
      throw Error("the graph is already differentiated; check a source graph");
    case LeafOp::Input: {
      AttrMap attrs = n->attrs;
      if (spec.forwardOnly) attrs.erase("requires_grad");
      map[n] = r->addInput(n->name, t, attrs);
      break;
    }
    case LeafOp::Constant:
      map[n] = r->addConstant(t, getFloat(n->attrs, "value", 0),
                              n->attrs.count("data") ? getFloats(n->attrs, "data")
                                                     : std::vector<double>{});
      break;
    }
  }
  for (const GraphOutput &o : g.outputs()) r->addOutput(o.name, map.at(o.node));
  for (const Node *n : spec.extraOutputs) r->addOutput(cutName(n), map.at(n));
  return r;
}

/// Values PyTorch's gradient holds constant although they vary with a
/// requires_grad input: nodes that do not require grad but depend on one.
std::vector<const Node *> findCuts(const Graph &g) {
  std::unordered_set<const Node *> varies;
  std::vector<const Node *> cuts;
  for (const auto &np : g.nodes()) {
    const Node *n = np.get();
    bool v = n->op == OpKind::Input && n->requiresGrad;
    for (const Node *o : n->operands) v = v || varies.count(o);
    if (!v) continue;
    varies.insert(n);
    if (!n->requiresGrad && n->op != OpKind::Input) {
      cuts.push_back(n);
      varies.erase(n); // its users see a constant
    }
  }
  return cuts;
}

Tensor copyOf(const Tensor &t) {
  return Tensor::fromDoubles(t.dtype(), t.shape(), t.toDoubles());
}

Tensor toF64(const Tensor &t) {
  return Tensor::fromDoubles(promote(t.dtype()), t.shape(), t.toDoubles());
}

/// Sets the caller's input values (converted to f64) on a session.
void setInputs(Session &s, const CompiledGraph &cg,
               const std::map<std::string, Tensor> &inputs) {
  for (const auto &kv : inputs) {
    if (cg.inputIndex(kv.first) < 0)
      throw Error("the graph has no input named '" + kv.first + "'");
    s.setInput(kv.first, toF64(kv.second));
  }
}

/// Which elements of an input of `numel` elements to check.
std::vector<int64_t> sampleElements(int64_t numel, int64_t max, Rng &rng) {
  std::vector<int64_t> idx(static_cast<size_t>(numel));
  std::iota(idx.begin(), idx.end(), 0);
  if (max <= 0 || numel <= max) return idx;
  for (int64_t i = 0; i < max; ++i) { // partial Fisher-Yates
    int64_t j = i + static_cast<int64_t>(rng.next() % static_cast<uint64_t>(numel - i));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(static_cast<size_t>(max));
  std::sort(idx.begin(), idx.end());
  return idx;
}

} // namespace

double GradCheckReport::worstRelError() const {
  double w = 0;
  for (const InputGradCheck &c : inputs) w = std::max(w, c.maxRelError);
  return w;
}

double GradCheckReport::worstExcessError() const {
  double w = 0;
  for (const InputGradCheck &c : inputs) w = std::max(w, c.maxExcessError);
  return w;
}

std::unique_ptr<Graph> promoteToFloat64(const Graph &g) {
  return rebuild(g, RebuildSpec{});
}

GradCheckReport checkGradients(const Graph &g, const Compiler &compiler,
                               const GradCheckOptions &opts) {
  if (isDifferentiated(g))
    throw Error("the graph is already differentiated; check a source graph");
  if (!(opts.eps > 0)) throw Error("the finite-difference step must be positive");
  // Gradients used as values (grad nodes) become ordinary nodes, so the
  // check differentiates through them instead of holding them fixed.
  std::unique_ptr<Graph> expanded = g.clone();
  expandGradNodes(*expanded);
  std::unique_ptr<Graph> g64 = promoteToFloat64(*expanded);
  analyzeRequiresGrad(*g64);
  GradCheckReport rep;
  Rng rng{opts.seed};

  // Roots and their seeds (cotangents).
  std::map<std::string, Tensor> seeds;
  std::vector<std::string> roots = opts.roots;
  if (roots.empty())
    for (const GraphOutput &o : g64->outputs())
      if (o.node->requiresGrad &&
          std::find(roots.begin(), roots.end(), o.name) == roots.end())
        roots.push_back(o.name);
  for (const auto &kv : opts.seeds)
    if (std::find(roots.begin(), roots.end(), kv.first) == roots.end())
      throw Error("a seed is given for '" + kv.first +
                  "', which is not among the backward roots");
  for (const std::string &name : roots) {
    const GraphOutput *o = nullptr;
    for (const GraphOutput &c : g64->outputs())
      if (c.name == name) o = &c;
    if (!o) throw Error("the graph has no output named '" + name + "'");
    if (!o->node->requiresGrad)
      throw Error("output '" + name + "' does not require grad, so it cannot "
                  "be a backward root");
    TensorType t = o->node->type;
    auto given = opts.seeds.find(name);
    if (given != opts.seeds.end()) {
      if (given->second.shape() != t.shape)
        throw Error("the seed of output '" + name + "' must have shape " +
                    shapeToString(t.shape) + ", got " +
                    shapeToString(given->second.shape()));
      seeds.emplace(name, toF64(given->second));
      continue;
    }
    Tensor s(t.dtype, t.shape);
    if (t.numel() == 1) {
      s.fill(1);
    } else {
      for (int64_t i = 0; i < s.numel(); ++i) s.set(i, rng.normal());
      rep.randomSeeds.push_back(name);
    }
    seeds.emplace(name, std::move(s));
  }
  rep.roots = roots;

  // gradc's gradients.
  std::unique_ptr<CompiledGraph> cg = compiler.compile(*g64);
  Session an(*cg);
  setInputs(an, *cg, opts.inputs);
  std::vector<Root> rs;
  for (const std::string &r : roots) rs.push_back({r, &seeds.at(r)});
  an.runFused(rs, false);

  // The values held fixed, computed at the unperturbed point.
  std::vector<const Node *> cuts = findCuts(*g64);
  std::map<std::string, Tensor> fixed;
  if (!cuts.empty()) {
    RebuildSpec aux;
    aux.forwardOnly = true;
    aux.extraOutputs = cuts;
    std::unique_ptr<Graph> ga = rebuild(*g64, aux);
    std::unique_ptr<CompiledGraph> ca = compiler.compile(*ga);
    Session sa(*ca);
    setInputs(sa, *ca, opts.inputs);
    sa.forward();
    for (const Node *c : cuts) {
      fixed.emplace(cutName(c), copyOf(sa.output(cutName(c))));
      rep.cutValues.push_back(c->displayName());
    }
  }

  // The forward-only graph the finite differences run.
  RebuildSpec fs;
  fs.forwardOnly = true;
  fs.cut.insert(cuts.begin(), cuts.end());
  std::unique_ptr<Graph> gf = rebuild(*g64, fs);
  std::unique_ptr<CompiledGraph> cf = compiler.compile(*gf);
  Session fd(*cf);
  setInputs(fd, *cf, opts.inputs);
  for (const auto &kv : fixed) fd.setInput(kv.first, kv.second);

  // L, and the sum of |terms| of L: the scale of its rounding error.
  double magnitude = 0;
  auto objective = [&]() {
    fd.forward();
    long double l = 0, m = 0;
    for (const std::string &r : roots) {
      const Tensor &out = fd.output(r), &s = seeds.at(r);
      for (int64_t i = 0; i < out.numel(); ++i) {
        long double t = static_cast<long double>(s.get(i)) * out.get(i);
        l += t;
        m += t < 0 ? -t : t;
      }
    }
    magnitude = static_cast<double>(m);
    return static_cast<double>(l);
  };
  rep.objective = objective();
  const double kEps = 2.220446049250313e-16; // f64 machine epsilon

  for (const Node *in : g64->inputs()) {
    if (!in->requiresGrad) continue;
    const Tensor *grad = an.grad(in->name);
    Tensor x = copyOf(fd.input(in->name));
    InputGradCheck c;
    c.name = in->name;
    c.elements = x.numel();
    std::vector<int64_t> idx = sampleElements(x.numel(), opts.maxElementsPerInput, rng);
    // The central difference at element i with step h, and the rounding
    // error of that quotient: a few ulps of the terms of L over the step.
    auto difference = [&](int64_t i, double h, double &noise) {
      double x0 = x.get(i);
      x.set(i, x0 + h);
      fd.setInput(in->name, x);
      double lp = objective(), mp = magnitude;
      x.set(i, x0 - h);
      fd.setInput(in->name, x);
      double lm = objective(), mm = magnitude;
      x.set(i, x0); // the session gets it with the next change, or below
      noise = 8 * kEps * (1 + std::max(mp, mm)) / (2 * h);
      return (lp - lm) / (2 * h);
    };
    auto step = [&](int64_t i) { return opts.eps * std::max(1.0, std::fabs(x.get(i))); };
    std::vector<double> a, n, noise;
    for (int64_t i : idx) {
      double nz = 0;
      n.push_back(difference(i, step(i), nz));
      a.push_back(grad ? grad->get(i) : 0.0);
      noise.push_back(nz);
    }
    double scale = 0;
    for (size_t k = 0; k < a.size(); ++k)
      scale = std::max({scale, std::fabs(a[k]), std::fabs(n[k])});
    double floor = std::max(1e-3 * scale, 1e-300);
    auto excessOf = [&](double ak, double nk, double nz) {
      double denom = std::max({std::fabs(ak), std::fabs(nk), floor});
      return std::max(0.0, std::fabs(ak - nk) - nz) / denom;
    };
    // A second look at the elements that fail, with smaller steps.
    for (size_t k = 0; k < a.size(); ++k) {
      if (!(excessOf(a[k], n[k], noise[k]) > opts.recheckAbove)) continue;
      ++c.rechecked;
      for (double shrink : {16.0, 256.0}) {
        double nz = 0, nk = difference(idx[k], step(idx[k]) / shrink, nz);
        if (excessOf(a[k], nk, nz) < excessOf(a[k], n[k], noise[k])) {
          n[k] = nk;
          noise[k] = nz;
        }
      }
      if (!(excessOf(a[k], n[k], noise[k]) > opts.recheckAbove)) ++c.resolvedBySmallerStep;
    }
    fd.setInput(in->name, x);
    for (size_t k = 0; k < a.size(); ++k) {
      double abs = std::fabs(a[k] - n[k]);
      double denom = std::max({std::fabs(a[k]), std::fabs(n[k]), floor});
      double rel = abs / denom;
      double excess = excessOf(a[k], n[k], noise[k]);
      if (std::isnan(abs)) rel = excess = abs = INFINITY; // NaN fails
      c.maxExcessError = std::max(c.maxExcessError, excess);
      if (c.worstIndex < 0 || rel > c.maxRelError) {
        c.maxRelError = rel;
        c.worstIndex = idx[k];
        c.analytic = a[k];
        c.numeric = n[k];
      }
      c.maxAbsError = std::max(c.maxAbsError, abs);
    }
    c.checked = static_cast<int64_t>(idx.size());
    rep.inputs.push_back(c);
  }
  return rep;
}

} // namespace gradc
