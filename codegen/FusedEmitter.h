//===- codegen/FusedEmitter.h - Kernels and entry points -------*- C++ -*-===//
//
// Emits the translation unit of a lowered graph (codegen/Schedule): one
// static function per kernel (a loop nest, a BLAS call with its epilogue
// loop, or an opaque op's loop nest from codegen/OpEmitter) taking the
// buffers it touches as __restrict__ parameters, and the three extern "C"
// entry points of codegen/ModuleInfo.h, which only compute pointers and
// call kernels in order: no allocation, no global state.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_FUSEDEMITTER_H
#define GRADC_CODEGEN_FUSEDEMITTER_H

#include "codegen/CppEmitter.h"

namespace gradc {

/// The module of `g`, which must carry a lowering plan (the optimization
/// pipeline's fusion and buffer-plan passes). See emitCpp.
GeneratedModule emitFusedModule(const Graph &g, const std::string &sourceName,
                                const std::string &symbolPrefix);

} // namespace gradc

#endif // GRADC_CODEGEN_FUSEDEMITTER_H
