//===- tools/RunSetup.h - Shared set-up of run, bench and check -*- C++ -*-===//
#ifndef GRADC_TOOLS_RUNSETUP_H
#define GRADC_TOOLS_RUNSETUP_H

#include "ir/SizeVars.h"
#include "runtime/Session.h"
#include "tools/Args.h"

#include <map>
#include <memory>

namespace gradc {

/// A compiled graph, a session with its inputs set, and the backward roots
/// chosen by --backward / --seeds (or the default: every scalar output that
/// requires grad, plus every seeded output).
struct RunSetup {
  std::unique_ptr<Graph> graph;
  std::unique_ptr<Compiler> compiler;
  std::unique_ptr<CompiledGraph> compiled;
  std::unique_ptr<Session> session;
  std::map<std::string, Tensor> seeds;
  /// The values read from --inputs (the session holds them too).
  std::map<std::string, Tensor> inputs;
  std::vector<Root> roots;
  /// The values of the graph's size variables (empty when it has none).
  SizeBinding sizes;
};

/// Loads args.positional[0], compiles it (-O0..-O3), applies --inputs and
/// --seeds, and picks the roots.
RunSetup prepareRun(const Args &args);

/// The -O0..-O3 switch of a command line, else CompileOptions' default.
int optLevelFlag(const Args &args);

} // namespace gradc

#endif // GRADC_TOOLS_RUNSETUP_H
