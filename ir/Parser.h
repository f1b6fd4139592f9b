//===- ir/Parser.h - Reads the IR text form --------------------*- C++ -*-===//
//
// Reads what ir/Printer writes. Every op node is rebuilt through
// Graph::addNode, so its shape rule runs and the declared type must match
// the inferred one; errors carry `FILE:LINE:COL`.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_PARSER_H
#define GRADC_IR_PARSER_H

#include "ir/Graph.h"

#include <memory>
#include <string>

namespace gradc {

/// Parses IR text. `fileName` is used in error messages. Throws
/// gradc::Error ("FILE:LINE:COL: error: ...") on malformed input.
std::unique_ptr<Graph> parseGraph(const std::string &text,
                                  const std::string &fileName = "<ir>");

} // namespace gradc

#endif // GRADC_IR_PARSER_H
