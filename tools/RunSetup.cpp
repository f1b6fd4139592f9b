//===- tools/RunSetup.cpp - Shared set-up of run, bench and check ---------===//
#include "tools/RunSetup.h"

#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "runtime/Derivatives.h"
#include "tools/SizeFlags.h"
#include "tools/TensorIO.h"

#include <algorithm>
#include <optional>

namespace gradc {

int optLevelFlag(const Args &args) {
  for (int l = 0; l <= 3; ++l)
    if (args.has("-O" + std::to_string(l))) return l;
  return CompileOptions{}.optLevel;
}

RunSetup prepareRun(const Args &args) {
  if (args.positional.size() != 1)
    throw Error(args.positional.empty() ? "no graph file given"
                                        : "expected one graph file, got " +
                                              std::to_string(args.positional.size()));
  RunSetup r;
  const std::string &path = args.positional[0];
  std::optional<TensorFile> inputsFile;
  if (args.has("--inputs"))
    inputsFile.emplace(args.get("--inputs"), "input", CompileOptions{}.maxBytes);
  r.graph = loadBoundGraph(args, path, &r.sizes, inputsFile ? &*inputsFile : nullptr);
  // gradc bench --jvp: the forward-mode graph (primal and tangents of every
  // output in one entry point) is what gets compiled and timed.
  if (args.has("--jvp")) applyForwardMode(*r.graph, ForwardModeOptions{});
  // gradc bench --jacobian/--hessian: the graph of the batched sweep.
  if (args.has("--jacobian") || args.has("--hessian")) {
    if (!args.has("--wrt")) throw Error("--wrt IN is required");
    r.graph = args.has("--hessian")
                  ? buildHessianGraph(*r.graph, args.get("--hessian"), args.get("--wrt")).graph
                  : buildJacobianGraph(*r.graph, args.get("--jacobian"), args.get("--wrt"),
                                       parseJacobianMode(args.get("--mode", "auto")))
                        .graph;
  }
  CompileOptions co;
  co.optLevel = optLevelFlag(args);
  co.sourceName = path;
  co.useCache = !args.has("--no-cache");
  if (args.has("--compile-threads")) {
    const std::string &v = args.get("--compile-threads");
    if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(v) < 1)
      throw Error("--compile-threads expects a whole number from 1 to 9999, got '" + v + "'");
    co.compileThreads = static_cast<unsigned>(std::stoi(v));
  }

  // The inputs and seeds are read before the compile, from the graph's
  // declared types, so a bad or oversized file fails in milliseconds
  // instead of after the JIT; the file's size is held to the memory cap
  // before a byte of it is parsed.
  std::map<std::string, Tensor> inputs;
  if (inputsFile) {
    std::map<std::string, TensorType> types;
    for (const Node *in : r.graph->inputs()) types[in->name] = in->type;
    inputs = inputsFile->tensors(types);
  }
  if (args.has("--seeds")) {
    std::map<std::string, TensorType> types;
    for (const GraphOutput &o : r.graph->outputs()) types[o.name] = o.node->type;
    r.seeds = readTensorFile(args.get("--seeds"), types, "seed", co.maxBytes);
  }

  r.compiler = std::make_unique<Compiler>(co);
  r.compiled = r.compiler->compile(*r.graph);
  r.session = std::make_unique<Session>(*r.compiled);
  const ModuleInfo &mi = r.compiled->info();
  for (auto &kv : inputs) r.session->setInput(kv.first, kv.second);
  r.inputs = std::move(inputs); // kept for a second module (--tangents)
  std::vector<std::string> names = args.all("--backward");
  if (names.empty()) {
    for (const TensorArg &a : mi.outputs)
      if ((a.requiresGrad && a.type.numel() == 1) || r.seeds.count(a.name))
        names.push_back(a.name);
  } else {
    for (const auto &kv : r.seeds)
      if (std::find(names.begin(), names.end(), kv.first) == names.end())
        throw Error("a seed is given for '" + kv.first +
                    "', which is not among the --backward roots");
  }
  for (const std::string &n : names) {
    auto it = r.seeds.find(n);
    r.roots.push_back({n, it == r.seeds.end() ? nullptr : &it->second});
  }
  return r;
}

} // namespace gradc
