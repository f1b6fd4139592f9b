//===- tools/SizeFlags.h - Binding size variables on the command line -*- C++ -*-===//
#ifndef GRADC_TOOLS_SIZEFLAGS_H
#define GRADC_TOOLS_SIZEFLAGS_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"
#include "runtime/AotRange.h"
#include "tools/Args.h"
#include "tools/TensorIO.h"

#include <memory>
#include <string>

namespace gradc {

/// The `--size NAME=VALUE` assignments of a command line (repeatable, or
/// comma-separated). Throws gradc::Error for a malformed or repeated one.
SizeBinding sizeFlags(const Args &args);

/// True when some `--size` item is a range, NAME=LO..HI.
bool hasSizeRange(const Args &args);

/// The `--size` items of `gradc compile` for a range build: every size
/// variable of `sig`, in the graph's order, as a range (NAME=LO..HI, or
/// NAME=N for one size). Throws gradc::Error naming the flag for a
/// malformed item, a name the graph does not have, a name given twice, and
/// a size variable left out. LO > HI and negative sizes are checked by
/// buildAotRange.
std::vector<SizeRange> sizeRangeFlags(const Args &args, const GraphSignature &sig);

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
