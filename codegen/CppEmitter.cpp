//===- codegen/CppEmitter.cpp - IR to one C++ translation unit ------------===//
//
// The storage model and the kernels come from the lowering plan the
// optimization pipeline records in the IR (passes/Lowering.h, read back by
// codegen/Schedule); codegen/FusedEmitter writes the code.
//
//===----------------------------------------------------------------------===//
#include "codegen/CppEmitter.h"

#include "codegen/FusedEmitter.h"

namespace gradc {

GeneratedModule emitCpp(const Graph &g, const std::string &sourceName,
                        const std::string &symbolPrefix) {
  return emitFusedModule(g, sourceName, symbolPrefix);
}

} // namespace gradc
