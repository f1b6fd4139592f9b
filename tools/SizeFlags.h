//===- tools/SizeFlags.h - Binding size variables on the command line -*- C++ -*-===//
#ifndef GRADC_TOOLS_SIZEFLAGS_H
#define GRADC_TOOLS_SIZEFLAGS_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"
#include "tools/Args.h"
#include "tools/TensorIO.h"

#include <memory>
#include <string>

namespace gradc {

/// The `--size NAME=VALUE` assignments of a command line (repeatable, or
/// comma-separated). Throws gradc::Error for a malformed or repeated one.
SizeBinding sizeFlags(const Args &args);

/// Loads the graph file `path` with its size variables bound: from
/// `--size`, then from the shapes of `inputs` (the command's `--inputs`
/// file, read only if the graph has size variables). A graph without size
/// variables loads as it is (and `--size` is then an error naming what it
/// has). `bound`, when given, receives the binding.
std::unique_ptr<Graph> loadBoundGraph(const Args &args, const std::string &path,
                                      SizeBinding *bound = nullptr,
                                      const TensorFile *inputs = nullptr);

} // namespace gradc

#endif // GRADC_TOOLS_SIZEFLAGS_H
