//===- frontend/JsonWriter.h - Writes graphs in the JSON format -*- C++ -*-===//
//
// The inverse of loadJsonGraph (JsonLoader.h), used by `gradc convert`:
// loadJsonGraph(writeJsonGraph(g)) prints the same IR as g.
//
// Only source-level graphs (what the frontends build, before autodiff) can be
// written: scalar constants appear as number literals in "inputs", placed
// where GraphBuilder puts literals (right before their user, in operand
// order), so that loading recreates them in the same place. Unnamed nodes are
// written as "%<k>", numbered like the IR printer numbers temporaries, and
// user names that look like that are escaped with one more '%' (see
// JsonLoader.h). Output is indented, one input or node per line.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_JSONWRITER_H
#define GRADC_FRONTEND_JSONWRITER_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <string>

namespace gradc {

/// Writes a source-level graph (as produced by the frontends, before
/// autodiff) back to the JSON format. Throws gradc::Error naming the node
/// when the graph has something JSON cannot express: seeds or gradients,
/// non-scalar or shared constants, NaN/infinite numbers, outputs named
/// differently from their value, or strings that are not valid UTF-8.
///
/// With `sizes`, an input declared there writes its shape as declared, size
/// variables as names (`["B", 784]`), instead of the numbers it was loaded
/// with (frontend/SizeVarWriter.h).
std::string writeJsonGraph(const Graph &g, const GraphSignature *sizes = nullptr);

} // namespace gradc

#endif // GRADC_FRONTEND_JSONWRITER_H
