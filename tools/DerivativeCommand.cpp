//===- tools/DerivativeCommand.cpp - gradc jacobian / gradc hessian -------===//
//
// Full Jacobians and Hessians (DESIGN.md, "Higher-order AD"), each computed
// by one compiled, batched sweep (runtime/Derivatives).
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "runtime/Derivatives.h"
#include "runtime/TorchFormat.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/RunSetup.h"
#include "tools/SizeFlags.h"
#include "tools/TensorIO.h"

#include <iostream>
#include <optional>

namespace gradc {

static const char *kJacobianHelp =
    R"HELP(usage: gradc jacobian GRAPH --of OUT --wrt IN [--inputs FILE.json]
                      [--mode rev|fwd|auto] [--format json|torch]

Prints the Jacobian d OUT / d IN, of shape [*OUT.shape, *IN.shape] (the
layout of torch.autograd.functional.jacobian), computed in one compiled
sweep with all rows (rev) or columns (fwd) stacked along a batch dimension.
  --of OUT        the output to differentiate
  --wrt IN        a requires_grad input
  --inputs FILE   input values, as for gradc run (else their init)
  --mode M        rev: vector-Jacobian products, one per element of OUT;
                  fwd: Jacobian-vector products, one per element of IN;
                  auto (default): fwd when IN has fewer elements than OUT
  --format F      json (default): {"jacobian": {"shape", "data"}}; torch
  -O0..-O3        optimization level of the generated code
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32); the others come from the shapes in --inputs
)HELP";

static const char *kHessianHelp =
    R"HELP(usage: gradc hessian GRAPH --of OUT --wrt IN [--inputs FILE.json]
                     [--format json|torch]

Prints the Hessian of the one-element output OUT with respect to the
requires_grad input IN, of shape [*IN.shape, *IN.shape], computed by
forward-over-reverse (forward mode over the gradient) in one compiled sweep
with all numel(IN) directions stacked along a batch dimension.
  --of OUT        the scalar output
  --wrt IN        a requires_grad input
  --inputs FILE   input values, as for gradc run (else their init)
  --format F      json (default): {"hessian": {"shape", "data"}}; torch
  -O0..-O3        optimization level of the generated code
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32); the others come from the shapes in --inputs
)HELP";

namespace {

struct Setup {
  std::unique_ptr<Graph> graph;
  std::unique_ptr<Compiler> compiler;
  std::map<std::string, Tensor> inputs;
  std::string of, wrt, format;
};

Setup prepare(const Args &args) {
  if (args.positional.size() != 1)
    throw Error(args.positional.empty() ? "no graph file given"
                                        : "expected one graph file, got " +
                                              std::to_string(args.positional.size()));
  if (!args.has("--of")) throw Error("--of OUT is required");
  if (!args.has("--wrt")) throw Error("--wrt IN is required");
  Setup s;
  s.of = args.get("--of");
  s.wrt = args.get("--wrt");
  s.format = args.get("--format", "json");
  if (s.format != "json" && s.format != "torch")
    throw Error("--format must be json or torch, got '" + s.format + "'");
  const std::string &path = args.positional[0];
  CompileOptions co;
  std::optional<TensorFile> inputs;
  if (args.has("--inputs")) inputs.emplace(args.get("--inputs"), "input", co.maxBytes);
  s.graph = loadBoundGraph(args, path, nullptr, inputs ? &*inputs : nullptr);
  co.optLevel = optLevelFlag(args);
  co.sourceName = path;
  co.useCache = !args.has("--no-cache");
  if (inputs) {
    std::map<std::string, TensorType> types;
    for (const Node *in : s.graph->inputs()) types[in->name] = in->type;
    s.inputs = inputs->tensors(types);
  }
  s.compiler = std::make_unique<Compiler>(co);
  return s;
}

int print(const Setup &s, const char *key, const Tensor &t) {
  if (s.format == "json") {
    std::cout << "{\"" << key << "\": " << tensorToJson(t) << "}\n";
    return 0;
  }
  std::cout << formatTorchTensor(t.toDoubles(), t.shape(), t.dtype(), {}) << "\n";
  return 0;
}

ArgSpec spec(bool withMode) {
  ArgSpec sp;
  sp.withValue = {"--of", "--wrt", "--inputs", "--format"};
  if (withMode) sp.withValue.insert("--mode");
  sp.multi = {"--size"};
  sp.switches = {"--help", "-h", "-O0", "-O1", "-O2", "-O3", "--no-cache"};
  return sp;
}

} // namespace

int jacobianCommand(int argc, char **argv) {
  Args args = parseArgs(argc, argv, 1, spec(true));
  if (args.has("--help") || args.has("-h")) {
    std::cout << kJacobianHelp;
    return 0;
  }
  JacobianMode mode = parseJacobianMode(args.get("--mode", "auto"));
  Setup s = prepare(args);
  return print(s, "jacobian",
               jacobian(*s.compiler, *s.graph, s.of, s.wrt, s.inputs, mode));
}

int hessianCommand(int argc, char **argv) {
  Args args = parseArgs(argc, argv, 1, spec(false));
  if (args.has("--help") || args.has("-h")) {
    std::cout << kHessianHelp;
    return 0;
  }
  Setup s = prepare(args);
  return print(s, "hessian", hessian(*s.compiler, *s.graph, s.of, s.wrt, s.inputs));
}

} // namespace gradc
