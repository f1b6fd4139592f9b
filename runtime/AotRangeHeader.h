//===- runtime/AotRangeHeader.h - The header of a range build -*- C++ -*-===//
//
// NAME.h of `gradc compile GRAPH --size B=LO..HI`: the size parameters
// (their order, names and ranges, as macros and as constants of a C++
// class), the prototypes of the sized entry points (runtime/AotRange.h),
// and a small C++ class that runs the graph at sizes given at run time with
// buffers of its own for the workspace and context.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_AOTRANGEHEADER_H
#define GRADC_RUNTIME_AOTRANGEHEADER_H

#include "codegen/HeaderEmitter.h"
#include "runtime/AotRange.h"

#include <string>

namespace gradc {

/// The header text of `m`. `options` gives the class, namespace and source
/// names (its `sizes` are not used) and `options.signature` the declared
/// input shapes, shown for each argument. Throws gradc::Error for an
/// unusable class or namespace name.
std::string emitRangeHeader(const AotRangeModule &m, const HeaderOptions &options);

} // namespace gradc

#endif // GRADC_RUNTIME_AOTRANGEHEADER_H
