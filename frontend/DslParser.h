//===- frontend/DslParser.h - The DSL frontend -----------------*- C++ -*-===//
//
// The DSL (files ending in .grad) reads like the PyTorch code it stands for:
//
//   graph seed
//   x = ones(2, 2, requires_grad=True)
//   y = x + 2
//   z = y * y * 3
//   out = z.mean()
//   with no_grad:
//       w = x ** 2
//   return out, z
//
// docs/dsl.md is the language reference. Parsing runs in three steps:
// DslLexer (tokens, with Python-style INDENT/DEDENT), the recursive-descent
// parser here (a syntax tree, DslAst.h), and DslLower (IR through
// GraphBuilder, the same builder the JSON loader uses, so both formats lower
// to identical IR). Each step reports to one Diagnostics object and keeps
// going after an error, so one run shows every independent problem.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DSLPARSER_H
#define GRADC_FRONTEND_DSLPARSER_H

#include "frontend/DslAst.h"
#include "frontend/DslLexer.h"
#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <memory>
#include <string>
#include <vector>

namespace gradc {

/// Parses a DSL program. The graph is named by its `graph NAME` statement,
/// else after the stem of `fileName` ("dir/seed.grad" -> "seed"). Throws
/// gradc::Error whose what() holds every diagnostic (one or more), each
/// formatted like clang: "FILE:LINE:COL: error: MESSAGE\n<source
/// line>\n<spaces>^\n". No input makes it crash, hang or recurse without
/// bound.
/// Size variables in input declarations (`x = input(B, 784)`) take their
/// values from what `bind` returns for the program's signature (not called
/// when the program has syntax errors); one left unbound is an error at
/// its location.
std::unique_ptr<Graph> parseDslGraph(const std::string &text,
                                     const std::string &fileName,
                                     const SizeBinder &bind = nullptr);

/// The declared input shapes of a parsed DSL program, size variables
/// unresolved (frontend/DslSignature.cpp). A declaration whose shape is not
/// literal gives what can be read: lowering reports the errors.
GraphSignature dslProgramSignature(const std::vector<StmtPtr> &program,
                                   const std::string &fileName);

/// The same from program text (a program with too many syntax errors gives
/// what was read before them).
GraphSignature dslGraphSignature(const std::string &text,
                                 const std::string &fileName);

/// The syntax step alone: turns tokens (from lexDsl) into statements,
/// reporting syntax errors to `diags`. A statement with a syntax error is
/// dropped, except that `NAME = <bad expression>` leaves a Poison statement
/// so that later uses of NAME are not reported again.
std::vector<StmtPtr> parseDslProgram(const std::vector<Token> &tokens,
                                     Diagnostics &diags);

/// The graph name a file gets when it has no `graph` statement: the file
/// name without folders and extension ("graph" if that is empty).
std::string dslDefaultGraphName(const std::string &fileName);

} // namespace gradc

#endif // GRADC_FRONTEND_DSLPARSER_H
