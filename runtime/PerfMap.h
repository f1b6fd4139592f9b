//===- runtime/PerfMap.h - Names of JIT code for Linux perf -----*- C++ -*-===//
//
// `perf report` names code it cannot find in a file through
// /tmp/perf-PID.map ("START SIZE NAME" per line). With GRADC_PERF_MAP set
// in the environment, the JIT appends every function of each object it
// links (generated kernels included, which are local symbols), so a
// profile of a compiled graph shows which kernel the time goes to.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_PERFMAP_H
#define GRADC_RUNTIME_PERFMAP_H

#include "llvm/Support/MemoryBufferRef.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gradc {

/// The functions of one object file, by section, before it is linked.
struct ObjectFunctions {
  struct Function {
    std::string name;
    uint64_t offset = 0; ///< Address within its section.
    uint64_t size = 0;
    bool global = false;
  };
  /// Functions per section index.
  std::vector<std::pair<uint64_t, std::vector<Function>>> sections;
};

/// Whether GRADC_PERF_MAP asks for the map.
bool perfMapEnabled();

/// The function symbols of \p object (empty when it cannot be read).
ObjectFunctions objectFunctions(llvm::MemoryBufferRef object);

/// Appends the functions of \p functions to /tmp/perf-PID.map, placing each
/// section by a global function of it whose linked address
/// \p addressOf knows (sections without one are left out). Errors are
/// ignored: the map is a profiling aid, never a reason to fail.
void appendPerfMap(const ObjectFunctions &functions,
                   const std::function<std::optional<uint64_t>(const std::string &)>
                       &addressOf);

} // namespace gradc

#endif // GRADC_RUNTIME_PERFMAP_H
