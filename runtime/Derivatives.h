//===- runtime/Derivatives.h - JVPs, Jacobians and Hessians ----*- C++ -*-===//
//
// The host API of higher-order AD (DESIGN.md, "Higher-order AD"), built on
// graph transformations compiled by the ordinary pipeline:
//
//   - compileJvp: the forward-mode graph (passes/ForwardMode) of a graph;
//     its inputs are the primal inputs plus "tangent:x", its outputs the
//     primal outputs plus "tangent:o" (the JVP of every output).
//   - jacobian: all rows in one batched sweep. Forward mode pushes the K =
//     numel(IN) unit tangents through the graph at once; reverse mode
//     differentiates grad(sum(OUT * s), IN), which is linear in the
//     cotangent s, in forward mode with the K = numel(OUT) unit cotangents
//     stacked along a batch dimension, so each row is one vector-Jacobian
//     product of the same sweep (the vmap-of-vjp of jax.jacrev).
//   - hessian: forward-over-reverse, the Jacobian of grad(OUT, IN) taken in
//     forward mode with K = numel(IN) stacked tangents.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_DERIVATIVES_H
#define GRADC_RUNTIME_DERIVATIVES_H

#include "passes/ForwardMode.h"
#include "runtime/Compiler.h"
#include "runtime/Tensor.h"

#include <map>
#include <memory>
#include <string>

namespace gradc {

/// How a Jacobian is computed.
enum class JacobianMode {
  Reverse, ///< one batched sweep of vector-Jacobian products (rows)
  Forward, ///< one batched sweep of Jacobian-vector products (columns)
  Auto,    ///< forward when IN has fewer elements than OUT, else reverse
};

/// Parses "rev", "fwd" or "auto"; throws gradc::Error otherwise.
JacobianMode parseJacobianMode(const std::string &s);

/// The forward-mode graph of `g` (a copy), renamed NAME_jvp.
std::unique_ptr<Graph> buildJvpGraph(const Graph &g,
                                     const ForwardModeOptions &opts = {});

/// Compiles the forward-mode graph of `g`: its entry point computes every
/// output and its tangent in one call.
std::unique_ptr<CompiledGraph> compileJvp(const Compiler &c, const Graph &g,
                                          const ForwardModeOptions &opts = {});

/// The graph of one batched sweep: feed `batchInput` the `batch` unit
/// vectors stacked ([batch, *shape], the identity), read output `result`.
struct SweepGraph {
  std::unique_ptr<Graph> graph;
  std::string batchInput, result;
  int64_t batch = 0;
  JacobianMode mode = JacobianMode::Reverse; ///< Never Auto.
};

/// The sweep of jacobian(): `result` is [nIN, *OUT] (forward) or
/// [nOUT, *IN] (reverse).
SweepGraph buildJacobianGraph(const Graph &g, const std::string &of,
                              const std::string &wrt, JacobianMode mode);

/// The sweep of hessian(): `result` is [nIN, *IN].
SweepGraph buildHessianGraph(const Graph &g, const std::string &of,
                             const std::string &wrt);

/// The Jacobian d OUT / d IN of shape [*OUT.shape, *IN.shape] at `inputs`
/// (inputs not given use their init). IN must be a requires_grad input.
Tensor jacobian(const Compiler &c, const Graph &g, const std::string &of,
                const std::string &wrt,
                const std::map<std::string, Tensor> &inputs,
                JacobianMode mode = JacobianMode::Auto);

/// The Hessian of the one-element output `of` with respect to input `wrt`,
/// of shape [*IN.shape, *IN.shape], by forward-over-reverse.
Tensor hessian(const Compiler &c, const Graph &g, const std::string &of,
               const std::string &wrt,
               const std::map<std::string, Tensor> &inputs);

} // namespace gradc

#endif // GRADC_RUNTIME_DERIVATIVES_H
