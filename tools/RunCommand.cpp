//===- tools/RunCommand.cpp - gradc run -----------------------------------===//
//
// Compiles a graph with the JIT, runs the fused entry point once, and prints
// outputs and gradients as PyTorch would (--format torch) or as the
// normative JSON of DESIGN.md (--format json).
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "runtime/Derivatives.h"
#include "runtime/Session.h"
#include "runtime/TorchFormat.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/RunSetup.h"
#include "tools/TensorIO.h"

#include <iostream>

namespace gradc {

static const char *kRunHelp =
    R"HELP(usage: gradc run GRAPH [--inputs FILE.json] [--seeds FILE.json]
                 [--backward NAME...] [--accumulate] [--tangents FILE.json]
                 [--format torch|json] [--size NAME=N...]

JIT-compiles GRAPH and runs forward and backward once.
  --inputs FILE   input values: {NAME: nested list | number |
                  {"shape": [...], "data": [...]}}; inputs not listed use
                  their declared init. Integers are exact (64 bits); NaN,
                  Infinity and -Infinity are numbers, as --format json
                  writes them
  --seeds FILE    seeds (cotangents) of outputs, same format: z.backward(seed)
  --backward N..  the backward roots (outputs). Default: every scalar output
                  that requires grad, plus every output given a seed
  --accumulate    add into the gradient buffers (they start at zero here)
  --tangents FILE tangents of requires_grad inputs, same format as --inputs
                  (inputs not listed: zero); adds the forward-mode JVP of
                  every output ("tangents" in --format json, NAME.tangent
                  in --format torch), computed by a second compiled module
  --format F      torch (default): print like PyTorch, with grad_fn=<...>;
                  json: {"outputs": {NAME: {"shape", "data"}}, "grads": {...}}
  -O0..-O3        optimization level of the generated code (default -O1)
  --no-cache      compile without the on-disk compile cache ($GRADC_CACHE_DIR)
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32); the others come from the shapes in --inputs
)HELP";

static std::vector<std::string> suffixesOf(const TensorArg &a, bool isInput) {
  if (isInput) return a.requiresGrad ? std::vector<std::string>{"requires_grad=True"}
                                     : std::vector<std::string>{};
  if (!a.gradFn.empty()) return {"grad_fn=<" + a.gradFn + ">"};
  if (a.requiresGrad) return {"requires_grad=True"}; // an input as output
  return {};
}

/// Compiles the forward-mode graph (passes/ForwardMode) and runs it on the
/// same inputs with the tangents of `path`; returns (output, tangent) pairs
/// in output order.
static std::vector<std::pair<std::string, Tensor>>
runTangents(const RunSetup &setup, const std::string &path) {
  std::map<std::string, TensorType> types;
  for (const Node *in : setup.graph->inputs())
    if (getBool(in->attrs, "requires_grad", false)) types[in->name] = in->type;
  std::map<std::string, Tensor> given =
      readTensorFile(path, types, "tangent", setup.compiler->options().maxBytes);
  std::unique_ptr<CompiledGraph> jvp = compileJvp(*setup.compiler, *setup.graph);
  Session js(*jvp);
  for (const auto &kv : setup.inputs) js.setInput(kv.first, kv.second);
  for (const auto &kv : given) js.setInput(tangentName(kv.first), kv.second);
  js.runFused({}, false);
  std::vector<std::pair<std::string, Tensor>> r;
  for (const GraphOutput &o : setup.graph->outputs())
    r.emplace_back(o.name, Tensor::fromDoubles(
                               js.output(tangentName(o.name)).dtype(),
                               js.output(tangentName(o.name)).shape(),
                               js.output(tangentName(o.name)).toDoubles()));
  return r;
}

int runCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"--inputs", "--seeds", "--format", "--tangents"};
  spec.multi = {"--backward", "--size"};
  spec.switches = {"--accumulate", "--help", "-h", "-O0", "-O1", "-O2", "-O3",
                   "--no-cache"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kRunHelp;
    return 0;
  }
  std::string format = args.get("--format", "torch");
  if (format != "torch" && format != "json")
    throw Error("--format must be torch or json, got '" + format + "'");
  RunSetup setup = prepareRun(args);
  Session &s = *setup.session;
  s.runFused(setup.roots, args.has("--accumulate"));
  std::vector<std::pair<std::string, Tensor>> tangents;
  if (args.has("--tangents")) tangents = runTangents(setup, args.get("--tangents"));

  const ModuleInfo &mi = setup.compiled->info();
  if (format == "json") {
    std::string out = "{\"outputs\": {";
    for (size_t k = 0; k < mi.outputs.size(); ++k)
      out += (k ? ", " : "") + jsonString(mi.outputs[k].name) + ": " +
             tensorToJson(s.output(mi.outputs[k].name));
    out += "}, \"grads\": {";
    bool first = true;
    for (size_t i : mi.gradInputs) {
      const Tensor *g = s.grad(mi.inputs[i].name);
      if (!g) continue;
      out += (first ? "" : ", ") + jsonString(mi.inputs[i].name) + ": " +
             tensorToJson(*g);
      first = false;
    }
    out += "}";
    if (args.has("--tangents")) {
      out += ", \"tangents\": {";
      for (size_t k = 0; k < tangents.size(); ++k)
        out += (k ? ", " : "") + jsonString(tangents[k].first) + ": " +
               tensorToJson(tangents[k].second);
      out += "}";
    }
    std::cout << out << "}\n";
    return 0;
  }
  auto show = [](const std::string &label, const Tensor &t,
                 const std::vector<std::string> &suffixes) {
    std::cout << "# " << label << "\n";
    if (t.dtype() == DType::I64) { // exactly: a double holds only 53 bits
      const int64_t *p = static_cast<const int64_t *>(t.data());
      std::cout << formatTorchTensorInt64({p, p + t.numel()}, t.shape(),
                                          suffixes);
    } else {
      std::cout << formatTorchTensor(t.toDoubles(), t.shape(), t.dtype(),
                                     suffixes);
    }
    std::cout << "\n";
  };
  for (const TensorArg &a : mi.inputs) show(a.name, s.input(a.name), suffixesOf(a, true));
  for (const TensorArg &a : mi.outputs)
    show(a.name, s.output(a.name), suffixesOf(a, false));
  for (size_t i : mi.gradInputs) {
    const Tensor *g = s.grad(mi.inputs[i].name);
    if (g) show(mi.inputs[i].name + ".grad", *g, {});
  }
  for (const auto &t : tangents) show(t.first + ".tangent", t.second, {});
  return 0;
}

} // namespace gradc
