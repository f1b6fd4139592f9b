//===- ir/Printer.h - Text form of the IR ----------------------*- C++ -*-===//
//
// Prints a graph as text that ir/Parser reads back to an identical graph:
//
//   graph "seed" {
//     %x = input() {init = "ones", requires_grad = true} : f32[2,2]
//     %0 = constant() {value = 2.0} : f32[]
//     %y = add(%x, %0) : f32[2,2]  // grad_fn=<AddBackward0>
//     output "y" = %y
//   }
//
// Named values print as %name (or %"quoted name" when the name is not an
// identifier); temporaries are numbered %0, %1, ... in order. Nodes that
// require grad carry their PyTorch grad_fn as a trailing comment.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_PRINTER_H
#define GRADC_IR_PRINTER_H

#include "ir/Graph.h"

#include <string>

namespace gradc {

/// Options of the IR printer.
struct PrintOptions {
  bool gradFnComments = true; ///< Append "// grad_fn=<...>" where it applies.
};

/// Prints `g` in the IR text syntax.
std::string printGraph(const Graph &g, const PrintOptions &opts = {});

/// Quotes a string for the IR text syntax ("..." with escapes).
std::string quoteIRString(const std::string &s);

} // namespace gradc

#endif // GRADC_IR_PRINTER_H
