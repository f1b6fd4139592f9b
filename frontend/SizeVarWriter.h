//===- frontend/SizeVarWriter.h - Converts graphs keeping size variables -*- C++ -*-===//
//
// `gradc convert` of a graph file whose input shapes have size variables
// (`"shape": ["B", 784]`) writes the other format with the variables kept:
// `x = input(B, 784)`, and `x.reshape(-1, 28, 28)` still with its -1.
//
// The frontends only build graphs at numbers, so the graph is loaded at two
// probe bindings whose sizes all differ. Both loads must have the same
// nodes, operands and attributes, except attributes a shape rule rewrote
// from a size (reshape's -1 resolved, a negative index counted from the
// end, a slice end clamped): those are written as the frontend was given
// them (Node::written), which loading derives again at any size. Anything
// else that differs between the probes (a constant 1/B that a composite
// expanded to, a different expansion) cannot be written with size
// variables and is an error naming the node.
//
// The text written is then checked: loaded at the probes and at small sizes
// (1, 2, ...), it must print the same IR as the original loaded at the same
// sizes, wherever the original loads.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_SIZEVARWRITER_H
#define GRADC_FRONTEND_SIZEVARWRITER_H

#include "frontend/LoadGraph.h"

#include <string>

namespace gradc {

/// Converts graph text (`fileName` for messages) from format `in` to `out`
/// (JSON or DSL), keeping its size variables. Throws gradc::Error when the
/// graph has none, when it does not load at the probe sizes, or when some
/// node depends on the sizes in a way the formats cannot write (naming the
/// node and the attribute).
std::string convertKeepingSizes(const std::string &text, const std::string &fileName,
                                GraphFormat in, GraphFormat out);

} // namespace gradc

#endif // GRADC_FRONTEND_SIZEVARWRITER_H
