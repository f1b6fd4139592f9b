//===- tools/OptCommand.cpp - gradc opt -----------------------------------===//
//
// Runs a chosen list of passes on a graph and prints the IR, as mlir-opt
// does: the driver of the per-pass FileCheck tests (tests/golden/passes).
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonText.h"
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/BufferPlanning.h"
#include "passes/Pipeline.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/SizeFlags.h"

#include <iostream>

namespace gradc {

static const char *kOptHelp =
    R"HELP(usage: gradc opt GRAPH --passes=P1,P2,... [--split-input-file]

Runs exactly the listed passes, in order, on GRAPH (a .gir IR text file, or
a .json / .grad graph) and prints the IR after the last one. The IR is
verified after every pass. Pass names: requires-grad, autodiff, const-fold,
simplify, cse, dce, fusion, recompute, buffer-plan.
  --split-input-file  GRAPH is IR text holding several graphs separated by
                      lines "// -----"; each is run and printed on its own
                      (the cases of one FileCheck test file)
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32): the graph is built at those sizes
)HELP";

namespace {

/// The chunks of `text` between lines that read "// -----".
std::vector<std::pair<std::string, int>> splitCases(const std::string &text) {
  std::vector<std::pair<std::string, int>> cases;
  std::string cur;
  int line = 1, start = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(pos, end - pos);
    if (l == "// -----") {
      cases.emplace_back(cur, start);
      cur.clear();
      start = line + 1;
    } else {
      cur += l + "\n";
    }
    pos = end + 1;
    ++line;
  }
  cases.emplace_back(cur, start);
  return cases;
}

void runPasses(Graph &g, const std::vector<std::string> &names) {
  for (const std::string &name : names) {
    std::unique_ptr<Pass> p = createPassByName(name);
    p->run(g);
    try {
      verifyGraph(g);
    } catch (const Error &e) {
      // A pass that breaks the IR is a bug of that pass.
      throw InternalError("pass '" + name + "'", e.what());
    }
  }
}

} // namespace

int optCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"--passes"};
  spec.multi = {"--size"};
  spec.switches = {"--split-input-file", "--help", "-h"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kOptHelp;
    return 0;
  }
  if (args.positional.size() != 1)
    throw Error(args.positional.empty() ? "no graph file given"
                                        : "expected one graph file");
  if (!args.has("--passes"))
    throw Error("--passes is required (e.g. --passes=cse,dce)");
  std::vector<std::string> names = args.all("--passes");
  for (const std::string &n : names)
    if (!createPassByName(n)) {
      std::string known;
      for (const std::string &k : passNames()) known += (known.empty() ? "" : ", ") + k;
      throw Error("--passes: unknown pass '" + n + "' (known: " + known + ")");
    }
  const std::string &path = args.positional[0];
  if (!args.has("--split-input-file")) {
    auto g = loadBoundGraph(args, path);
    runPasses(*g, names);
    std::cout << printGraph(*g) << describeBufferPlan(*g);
    return 0;
  }
  if (graphFormatOf(path) != GraphFormat::IR)
    throw Error("--split-input-file needs a .gir IR text file");
  bool first = true;
  for (const auto &[text, line] : splitCases(readTextFile(path))) {
    // Blank lines keep the line numbers of messages those of the file.
    auto g = parseGraph(std::string(line - 1, '\n') + text, path);
    verifyGraph(*g);
    runPasses(*g, names);
    std::cout << (first ? "" : "// -----\n") << printGraph(*g)
              << describeBufferPlan(*g);
    first = false;
  }
  return 0;
}

} // namespace gradc
