//===- codegen/UnitSplit.h - A unit in parts for a parallel compile -*- C++ -*-===//
//
// clang compiles one translation unit on one thread. A large graph's fused
// unit is therefore split into parts that compile on separate threads and
// link into one JIT module: each part has the prelude and a share of the
// out-of-line kernels (external linkage), and the first part also the
// entry point, which declares the kernels other parts define. Kernels that
// inline into the entry point stay with it. Only the JIT uses the split;
// ahead-of-time output stays one file.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_UNITSPLIT_H
#define GRADC_CODEGEN_UNITSPLIT_H

#include "codegen/CppEmitter.h"

#include <string>
#include <vector>

namespace gradc {

/// The fused unit of `m` as at most `maxParts` translation units that
/// compile separately and link together, each holding at least about
/// `minPartBytes` of kernel code (a part has a fixed cost: the prelude, and
/// clang's and LLVM's per-unit setup). One part, `m.fusedUnit` itself, when
/// the kernels are too small to share out.
std::vector<std::string> splitFusedUnit(const GeneratedModule &m,
                                        unsigned maxParts,
                                        size_t minPartBytes = 24 * 1024);

} // namespace gradc

#endif // GRADC_CODEGEN_UNITSPLIT_H
