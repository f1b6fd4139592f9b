//===- passes/PassManager.h - Runs a pipeline of passes --------*- C++ -*-===//
//
// An explicit, ordered pipeline. It can print the IR after a named pass or
// after every pass ("(unchanged)" when a pass did nothing), write each
// stage to a dump directory as NNN_<pass>.ir, time the passes, and run the
// IR verifier between passes (always in debug builds, on request in
// release builds).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_PASSES_PASSMANAGER_H
#define GRADC_PASSES_PASSMANAGER_H

#include "passes/Pass.h"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace gradc {

/// Instrumentation options of a pipeline run.
struct PassManagerOptions {
  std::vector<std::string> printAfter; ///< Pass names to print after.
  bool printAfterAll = false;
  std::string dumpDir;                 ///< Empty: no dump files.
  bool timePasses = false;
#ifndef NDEBUG
  bool verifyEach = true;
#else
  bool verifyEach = false;
#endif
  std::ostream *out = nullptr;         ///< Where prints go (default stderr).
};

/// Runs passes in order over a graph.
class PassManager {
public:
  explicit PassManager(PassManagerOptions opts = {});
  ~PassManager();

  /// Appends a pass to the pipeline.
  void add(std::unique_ptr<Pass> p);
  /// Runs every pass; returns true if any changed the graph. Throws
  /// gradc::Error if a pass fails or the verifier rejects its output.
  bool run(Graph &g);
  /// Names of the passes, in order.
  std::vector<std::string> passNames() const;
  /// Throws gradc::Error if `name` is not a pass of this pipeline.
  void checkPassName(const std::string &name) const;

private:
  PassManagerOptions opts_;
  std::vector<std::unique_ptr<Pass>> passes_;
};

} // namespace gradc

#endif // GRADC_PASSES_PASSMANAGER_H
