//===- tools/CheckCommand.cpp - gradc check -------------------------------===//
//
// Compares every gradient of a graph with central finite differences in
// f64 (runtime/GradCheck) and prints the worst relative error per input.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "runtime/GradCheck.h"
#include "runtime/HigherOrderCheck.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/RunSetup.h"
#include "tools/SizeFlags.h"
#include "tools/TensorIO.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <iostream>

namespace gradc {

static const char *kCheckHelp =
    R"HELP(usage: gradc check GRAPH [--inputs FILE.json] [--seeds FILE.json]
                   [--backward NAME...] [--eps H] [--tolerance T]
                   [--max-elements N] [--jvp] [--second]
                   [--format text|json]

Compares every gradient gradc computes for GRAPH with central finite
differences, both in f64 (f32 values are promoted). The objective is
L = sum over the roots of <seed, output>; d L / d x_i is estimated as
(L(x + h e_i) - L(x - h e_i)) / 2h with h = H * max(1, |x_i|). Values that
do not require grad (detach, no_grad, comparisons) are held fixed, as
PyTorch's gradient treats them.
  --inputs FILE     input values (as for 'gradc run'); others use their init
  --seeds FILE      cotangents of roots; default 1 for scalar roots and
                    random normal values for the others
  --backward N..    the roots; default every output that requires grad
  --eps H           relative step (default 6e-6)
  --tolerance T     fail (exit 1) when a relative error beyond rounding
                    noise exceeds T (default 1e-5)
  --max-elements N  check at most N elements of each input (a fixed random
                    sample; default 256, 0 checks every element): each
                    element costs two forward runs
  --jvp             also check forward mode: the JVP of every output along
                    random tangents against (f(x + h v) - f(x - h v)) / 2h;
                    outputs computed from detach or no_grad values (such
                    as batch_norm's NAME.running_mean) are skipped
  --second          also check second derivatives: the gradients of every
                    one-element root (as grad nodes) are checked in turn,
                    Hessian-vector products against differences of them
  --format F        text (default) or json
Relative error of an element: |a - n| / max(|a|, |n|, floor) for gradc's
gradient a and the finite difference n, floor being 1e-3 of the largest |a|,
|n| of that input. The verdict allows for the rounding error of the
difference quotient, noise = 8 eps (1 + sum |terms of L|) / 2h: it compares
max(0, |a - n| - noise) / max(|a|, |n|, floor) with the tolerance. An
element beyond the tolerance is measured again with the steps h/16 and
h/256 and its smallest error counts: a kink within h of the point (relu at
0, a near tie in max_pool) drops out of a smaller step, a wrong gradient
does not.
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32); the others come from the shapes in --inputs
)HELP";

static double numberArg(const Args &args, const std::string &flag, double def) {
  if (!args.has(flag)) return def;
  std::string v = args.get(flag);
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (...) {
  }
  throw Error(flag + " needs a number, got '" + v + "'");
}

static std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

static std::string indexText(int64_t flat, const Shape &shape) {
  if (flat < 0) return "-";
  std::vector<int64_t> st = rowMajorStrides(shape);
  std::string r = "[";
  for (size_t d = 0; d < shape.size(); ++d) {
    r += (d ? ", " : "") + std::to_string(flat / st[d]);
    flat %= st[d];
  }
  return r + "]";
}

int checkCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"--inputs", "--seeds", "--eps", "--tolerance",
                    "--max-elements", "--format"};
  spec.multi = {"--backward", "--size"};
  spec.switches = {"--help", "-h", "-O0", "-O1", "-O2", "-O3", "--no-cache",
                   "--jvp", "--second"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kCheckHelp;
    return 0;
  }
  if (args.positional.size() != 1)
    throw Error(args.positional.empty() ? "no graph file given"
                                        : "expected one graph file");
  std::string format = args.get("--format", "text");
  if (format != "text" && format != "json")
    throw Error("--format must be text or json, got '" + format + "'");
  GradCheckOptions opts;
  opts.eps = numberArg(args, "--eps", opts.eps);
  double tol = numberArg(args, "--tolerance", 1e-5);
  double maxEl = numberArg(args, "--max-elements", 256);
  if (!(opts.eps > 0 && opts.eps < 1)) throw Error("--eps must be in (0, 1)");
  if (!(tol >= 0)) throw Error("--tolerance must be non-negative");
  if (!(maxEl >= 0) || maxEl != static_cast<double>(static_cast<int64_t>(maxEl)))
    throw Error("--max-elements needs a non-negative integer");
  opts.maxElementsPerInput = static_cast<int64_t>(maxEl);
  opts.roots = args.all("--backward");

  const std::string &path = args.positional[0];
  std::optional<TensorFile> inputs;
  if (args.has("--inputs")) inputs.emplace(args.get("--inputs"), "input", defaultMaxBytes());
  std::unique_ptr<Graph> g =
      loadBoundGraph(args, path, nullptr, inputs ? &*inputs : nullptr);
  std::unique_ptr<Graph> g64 = promoteToFloat64(*g);
  std::map<std::string, TensorType> inTypes, outTypes;
  for (const Node *in : g64->inputs()) inTypes[in->name] = in->type;
  for (const GraphOutput &o : g64->outputs()) outTypes[o.name] = o.node->type;
  if (inputs) opts.inputs = inputs->tensors(inTypes);
  if (args.has("--seeds"))
    opts.seeds = readTensorFile(args.get("--seeds"), outTypes, "seed",
                                defaultMaxBytes());

  CompileOptions co;
  co.optLevel = optLevelFlag(args);
  co.sourceName = path;
  co.useCache = !args.has("--no-cache");
  Compiler compiler(co);
  opts.recheckAbove = tol;
  GradCheckReport rep = checkGradients(*g, compiler, opts);
  bool ok = rep.worstExcessError() <= tol;
  std::vector<JvpCheckOutput> jvp;
  if (args.has("--jvp")) jvp = checkJvp(*g, compiler, opts);
  std::optional<GradCheckReport> second;
  if (args.has("--second")) second = checkSecondDerivatives(*g, compiler, opts);
  for (const JvpCheckOutput &c : jvp) ok = ok && c.maxExcessError <= tol;
  if (second) ok = ok && second->worstExcessError() <= tol;

  if (format == "json") {
    std::string out = "{\"roots\": [";
    for (size_t i = 0; i < rep.roots.size(); ++i)
      out += (i ? ", " : "") + jsonString(rep.roots[i]);
    out += "], \"random_seeds\": [";
    for (size_t i = 0; i < rep.randomSeeds.size(); ++i)
      out += (i ? ", " : "") + jsonString(rep.randomSeeds[i]);
    out += "], \"inputs\": {";
    for (size_t i = 0; i < rep.inputs.size(); ++i) {
      const InputGradCheck &c = rep.inputs[i];
      out += (i ? ", " : "") + jsonString(c.name) + ": {\"elements\": " +
             std::to_string(c.elements) + ", \"checked\": " +
             std::to_string(c.checked) + ", \"rechecked\": " +
             std::to_string(c.rechecked) + ", \"resolved_by_smaller_step\": " +
             std::to_string(c.resolvedBySmallerStep) + ", \"max_rel_error\": " +
             jsonNumber(c.maxRelError, DType::F64) + ", \"max_excess_error\": " +
             jsonNumber(c.maxExcessError, DType::F64) + ", \"max_abs_error\": " +
             jsonNumber(c.maxAbsError, DType::F64) + ", \"worst_index\": " +
             std::to_string(c.worstIndex) + ", \"analytic\": " +
             jsonNumber(c.analytic, DType::F64) + ", \"numeric\": " +
             jsonNumber(c.numeric, DType::F64) + "}";
    }
    out += "}";
    if (args.has("--jvp")) {
      out += ", \"jvp\": {";
      for (size_t i = 0; i < jvp.size(); ++i)
        out += (i ? ", " : "") + jsonString(jvp[i].name) +
               (jvp[i].skipped.empty()
                    ? ": {\"max_rel_error\": " +
                          jsonNumber(jvp[i].maxRelError, DType::F64) +
                          ", \"max_excess_error\": " +
                          jsonNumber(jvp[i].maxExcessError, DType::F64) + "}"
                    : ": {\"skipped\": " + jsonString(jvp[i].skipped) + "}");
      out += "}";
    }
    if (second) {
      out += ", \"second\": {";
      for (size_t i = 0; i < second->inputs.size(); ++i)
        out += (i ? ", " : "") + jsonString(second->inputs[i].name) +
               ": {\"max_rel_error\": " +
               jsonNumber(second->inputs[i].maxRelError, DType::F64) +
               ", \"max_excess_error\": " +
               jsonNumber(second->inputs[i].maxExcessError, DType::F64) + "}";
      out += "}";
    }
    out += ", \"tolerance\": " + jsonNumber(tol, DType::F64) +
           ", \"ok\": " + (ok ? "true" : "false") + "}";
    std::cout << out << "\n";
    return ok ? 0 : 1;
  }

  std::cout << "gradient check of '" << g->name() << "' (f64, central "
            << "differences, eps " << fmt(opts.eps) << ")\n";
  std::cout << "roots:";
  for (const std::string &r : rep.roots) {
    bool random = false;
    for (const std::string &s : rep.randomSeeds) random = random || s == r;
    std::cout << " " << r << (random ? " (random seed)" : "");
  }
  std::cout << (rep.roots.empty() ? " none (no output requires grad)" : "")
            << "\n";
  if (!rep.cutValues.empty()) {
    std::cout << "held fixed:";
    for (const std::string &c : rep.cutValues) std::cout << " " << c;
    std::cout << "\n";
  }
  if (rep.inputs.empty()) std::cout << "no input requires grad\n";
  for (const InputGradCheck &c : rep.inputs) {
    Shape shape = inTypes.at(c.name).shape;
    std::cout << "  " << c.name << ": worst relative error " << fmt(c.maxRelError)
              << " at " << indexText(c.worstIndex, shape) << " (gradc "
              << fmt(c.analytic) << ", finite difference " << fmt(c.numeric)
              << "); " << c.checked << " of " << c.elements << " elements";
    if (c.rechecked)
      std::cout << "; " << c.rechecked << " measured again with smaller steps, "
                << c.resolvedBySmallerStep << " of them within tolerance then";
    std::cout << "\n";
  }
  for (const JvpCheckOutput &c : jvp)
    if (!c.skipped.empty())
      std::cout << "  jvp of " << c.name << ": skipped, " << c.skipped << "\n";
    else
      std::cout << "  jvp of " << c.name << ": worst relative error "
              << fmt(c.maxRelError) << ", beyond rounding noise "
              << fmt(c.maxExcessError) << " (forward mode " << fmt(c.analytic)
              << ", finite difference " << fmt(c.numeric) << ")\n";
  if (second) {
    std::cout << "second derivatives (roots:";
    for (const std::string &r : second->roots) std::cout << " " << r;
    std::cout << ")\n";
    for (const InputGradCheck &c : second->inputs)
      std::cout << "  " << c.name << ": worst relative error "
                << fmt(c.maxRelError) << ", beyond rounding noise "
                << fmt(c.maxExcessError) << "; " << c.checked << " of "
                << c.elements << " elements\n";
  }
  double worst = rep.worstExcessError();
  for (const JvpCheckOutput &c : jvp) worst = std::max(worst, c.maxExcessError);
  if (second) worst = std::max(worst, second->worstExcessError());
  std::cout << (ok ? "OK" : "FAILED") << ": worst relative error "
            << fmt(rep.worstRelError()) << ", beyond rounding noise "
            << fmt(worst) << (ok ? " <= " : " > ")
            << "tolerance " << fmt(tol) << "\n";
  return ok ? 0 : 1;
}

} // namespace gradc
