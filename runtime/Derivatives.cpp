//===- runtime/Derivatives.cpp - JVPs, Jacobians and Hessians -------------===//
#include "runtime/Derivatives.h"

#include "ir/Error.h"
#include "runtime/Session.h"

#include <algorithm>
#include <cstring>

namespace gradc {

JacobianMode parseJacobianMode(const std::string &s) {
  if (s == "rev") return JacobianMode::Reverse;
  if (s == "fwd") return JacobianMode::Forward;
  if (s == "auto") return JacobianMode::Auto;
  throw Error("--mode must be rev, fwd or auto, got '" + s + "'");
}

std::unique_ptr<Graph> buildJvpGraph(const Graph &g,
                                     const ForwardModeOptions &opts) {
  std::unique_ptr<Graph> j = g.clone();
  j->setName(g.name() + "_jvp");
  applyForwardMode(*j, opts);
  return j;
}

std::unique_ptr<CompiledGraph> compileJvp(const Compiler &c, const Graph &g,
                                          const ForwardModeOptions &opts) {
  return c.compile(*buildJvpGraph(g, opts));
}

namespace {

const GraphOutput &findOutput(const Graph &g, const std::string &name) {
  for (const GraphOutput &o : g.outputs())
    if (o.name == name) return o;
  throw Error("'" + name + "' is not an output of the graph");
}

Node *findRequiresGradInput(const Graph &g, const std::string &name) {
  Node *in = g.findNode(name);
  if (!in || in->op != OpKind::Input)
    throw Error("'" + name + "' is not an input of the graph");
  if (!getBool(in->attrs, "requires_grad", false))
    throw Error("input '" + name +
                "' does not require grad: derivatives are taken with respect "
                "to requires_grad inputs only");
  return in;
}

/// K unit tangents stacked: the identity reshaped to [K, *shape].
Tensor unitTangents(const TensorType &t) {
  int64_t k = t.numel();
  Shape s{k};
  s.insert(s.end(), t.shape.begin(), t.shape.end());
  Tensor r(t.dtype, s);
  for (int64_t i = 0; i < k; ++i) r.set(i * k + i, 1);
  return r;
}

/// A copy of a (move-only) tensor.
Tensor copyOf(const Tensor &t) {
  Tensor r(t.dtype(), t.shape());
  std::memcpy(r.data(), t.data(), static_cast<size_t>(t.numel() * dtypeSize(t.dtype())));
  return r;
}

/// Compiles `g`, runs it once on `inputs` plus `extra` (the stacked
/// tangents) and returns output `name`.
Tensor runFor(const Compiler &c, const Graph &g,
              const std::map<std::string, Tensor> &inputs,
              const std::string &extraName, const Tensor &extra,
              const std::string &name) {
  std::unique_ptr<CompiledGraph> cg = c.compile(g);
  Session s(*cg);
  for (const auto &kv : inputs) s.setInput(kv.first, kv.second);
  s.setInput(extraName, extra);
  s.runFused({}, false);
  return copyOf(s.output(name));
}

/// [K, *rest] row-major -> [*rest, K] for K rows of `restNumel`.
Tensor moveBatchLast(const Tensor &t, const Shape &rest, int64_t k) {
  Shape s = rest;
  s.push_back(k);
  Tensor r(t.dtype(), s);
  int64_t n = numElements(rest);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) r.set(j * k + i, t.get(i * n + j));
  return r;
}

Tensor reshaped(const Tensor &t, const Shape &s) {
  Tensor r(t.dtype(), s);
  for (int64_t i = 0; i < t.numel(); ++i) r.set(i, t.get(i));
  return r;
}

} // namespace

SweepGraph buildJacobianGraph(const Graph &g, const std::string &of,
                              const std::string &wrt, JacobianMode mode) {
  const GraphOutput &out = findOutput(g, of);
  Node *in = findRequiresGradInput(g, wrt);
  TensorType ot = out.node->type, it = in->type;
  if (!isFloat(ot.dtype))
    throw Error("output '" + of + "' is not a floating-point tensor");
  if (mode == JacobianMode::Auto)
    mode = it.numel() < ot.numel() ? JacobianMode::Forward : JacobianMode::Reverse;
  SweepGraph sw;
  sw.mode = mode;
  if (mode == JacobianMode::Forward) {
    // Columns: the JVPs of the numel(IN) unit tangents, in one sweep.
    ForwardModeOptions fo;
    fo.batch = it.numel();
    fo.wrt = {wrt};
    fo.of = {of};
    sw.graph = buildJvpGraph(g, fo);
    sw.batchInput = tangentName(wrt);
    sw.result = tangentName(of);
    sw.batch = fo.batch;
    return sw;
  }
  // Rows: v -> v^T J is linear in the cotangent v, so forward mode over
  // the reverse sweep with the numel(OUT) unit cotangents stacked gives
  // every row in one sweep.
  std::unique_ptr<Graph> j = g.clone();
  j->setName(g.name() + "_jac");
  const std::string cot = "cotangent:" + of, row = "jacobian_row:" + of;
  if (j->findNode(cot) || j->findNode(row))
    throw Error("the graph already has a value named '" + cot + "' or '" + row + "'");
  Node *v = j->addInput(cot, ot, {{"requires_grad", true}, {"init", std::string("zeros")}});
  Node *o = findOutput(*j, of).node;
  Node *dot = j->addNode(OpKind::Sum, {j->addNode(OpKind::Mul, {o, v})});
  Node *gw = j->addNode(OpKind::Grad, {dot, j->findNode(wrt)});
  j->outputs().clear();
  j->addOutput(row, gw);
  ForwardModeOptions fo;
  fo.batch = ot.numel();
  fo.wrt = {cot};
  fo.of = {row};
  applyForwardMode(*j, fo);
  sw.graph = std::move(j);
  sw.batchInput = tangentName(cot);
  sw.result = tangentName(row);
  sw.batch = fo.batch;
  return sw;
}

SweepGraph buildHessianGraph(const Graph &g, const std::string &of,
                             const std::string &wrt) {
  const GraphOutput &out = findOutput(g, of);
  Node *in = findRequiresGradInput(g, wrt);
  if (out.node->type.numel() != 1)
    throw Error("the Hessian needs a one-element output; '" + of + "' has shape " +
                shapeToString(out.node->type.shape));
  // Forward-over-reverse: the gradient as a value, then its Jacobian by
  // forward mode with the numel(IN) unit tangents stacked.
  std::unique_ptr<Graph> h = g.clone();
  h->setName(g.name() + "_hess");
  const std::string gname = "gradient:" + of;
  Node *gw = h->addNode(OpKind::Grad, {findOutput(*h, of).node, h->findNode(wrt)});
  h->outputs().clear();
  h->addOutput(gname, gw);
  ForwardModeOptions fo;
  fo.batch = in->type.numel();
  fo.wrt = {wrt};
  fo.of = {gname};
  applyForwardMode(*h, fo);
  SweepGraph sw;
  sw.graph = std::move(h);
  sw.batchInput = tangentName(wrt);
  sw.result = tangentName(gname);
  sw.batch = fo.batch;
  sw.mode = JacobianMode::Forward;
  return sw;
}

Tensor jacobian(const Compiler &c, const Graph &g, const std::string &of,
                const std::string &wrt,
                const std::map<std::string, Tensor> &inputs, JacobianMode mode) {
  SweepGraph sw = buildJacobianGraph(g, of, wrt, mode);
  TensorType ot = findOutput(g, of).node->type, it = g.findNode(wrt)->type;
  Shape full = ot.shape;
  full.insert(full.end(), it.shape.begin(), it.shape.end());
  const TensorType &unit = sw.mode == JacobianMode::Forward ? it : ot;
  Tensor r = runFor(c, *sw.graph, inputs, sw.batchInput, unitTangents(unit), sw.result);
  if (sw.mode == JacobianMode::Forward) // [nIn, *OUT] -> [*OUT, nIn]
    return reshaped(moveBatchLast(r, ot.shape, it.numel()), full);
  return reshaped(r, full); // [nOut, *IN]
}

Tensor hessian(const Compiler &c, const Graph &g, const std::string &of,
               const std::string &wrt,
               const std::map<std::string, Tensor> &inputs) {
  SweepGraph sw = buildHessianGraph(g, of, wrt);
  const TensorType &it = g.findNode(wrt)->type;
  Tensor rows = runFor(c, *sw.graph, inputs, sw.batchInput, unitTangents(it), sw.result);
  Shape full = it.shape;
  full.insert(full.end(), it.shape.begin(), it.shape.end());
  return reshaped(rows, full); // [nIn, *IN]
}

} // namespace gradc
