//===- codegen/AotClassEmitter.h - The C++ class of an AOT header -*- C++ -*-===//
#ifndef GRADC_CODEGEN_AOTCLASSEMITTER_H
#define GRADC_CODEGEN_AOTCLASSEMITTER_H

#include "codegen/HeaderEmitter.h"

#include <string>

namespace gradc {

/// The C++ part of NAME.h (see HeaderEmitter.h): standard includes and the
/// class options.className (default: info.symbolPrefix) in
/// options.namespaceName, calling the entry points of `info`, which the C
/// part declares. The caller has checked the names. Throws gradc::Error if
/// the class would be named like one of its members.
std::string emitAotClass(const ModuleInfo &info, const HeaderOptions &options,
                         const Graph *source);

} // namespace gradc

#endif // GRADC_CODEGEN_AOTCLASSEMITTER_H
