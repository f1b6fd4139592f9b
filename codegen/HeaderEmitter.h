//===- codegen/HeaderEmitter.h - Ahead-of-time header ----------*- C++ -*-===//
#ifndef GRADC_CODEGEN_HEADEREMITTER_H
#define GRADC_CODEGEN_HEADEREMITTER_H

#include "codegen/ModuleInfo.h"

#include <string>

namespace gradc {

/// The NAME.h of an ahead-of-time build: the entry points' prototypes,
/// the argument order and shapes as constants, and the buffer sizes. It
/// includes nothing, so it compiles as C and as C++.
std::string emitHeader(const ModuleInfo &info);

} // namespace gradc

#endif // GRADC_CODEGEN_HEADEREMITTER_H
