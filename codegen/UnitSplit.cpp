//===- codegen/UnitSplit.cpp - A unit in parts for a parallel compile -----===//
#include "codegen/UnitSplit.h"

#include <algorithm>

namespace gradc {

std::vector<std::string> splitFusedUnit(const GeneratedModule &m,
                                        unsigned maxParts,
                                        size_t minPartBytes) {
  // Only out-of-line kernels move; their sizes decide the shares.
  size_t movable = 0;
  for (const KernelText &k : m.fusedKernels)
    if (!k.inlined) movable += k.definition.size();
  size_t parts = std::min<size_t>(maxParts, movable / std::max<size_t>(minPartBytes, 1));
  if (parts < 2) return {m.fusedUnit};

  // Contiguous shares of about equal size, in call order (neighbours tend to
  // be alike, and contiguous shares keep each part's text deterministic).
  std::vector<std::string> units(parts, m.fusedHead);
  std::string mainDecls, mainKernels;
  size_t target = (movable + parts - 1) / parts, filled = 0, part = 0;
  for (const KernelText &k : m.fusedKernels) {
    if (k.inlined) {
      mainKernels += k.definition;
      continue;
    }
    if (part == 0) {
      mainKernels += k.definition;
    } else {
      // External linkage: the first part's entry point calls it.
      units[part] += k.helpers + k.function;
      mainDecls += k.declaration;
    }
    filled += k.definition.size();
    if (filled >= target * (part + 1) && part + 1 < parts) ++part;
  }
  units[0] += mainDecls + mainKernels + m.fusedTail;
  // A share can come out empty when one kernel outweighs the rest.
  units.erase(std::remove(units.begin() + 1, units.end(), m.fusedHead),
              units.end());
  return units;
}

} // namespace gradc
