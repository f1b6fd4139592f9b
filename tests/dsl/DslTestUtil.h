//===- tests/dsl/DslTestUtil.h - Helpers shared by the DSL tests -*- C++ -*-===//
#ifndef GRADC_TESTS_DSL_DSLTESTUTIL_H
#define GRADC_TESTS_DSL_DSLTESTUTIL_H

#include "frontend/DslParser.h"
#include "frontend/DslWriter.h"
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

#include <string>

namespace gradc {
namespace dsltest {

/// The IR of a DSL program, or "ERROR: <diagnostics>".
inline std::string ir(const std::string &src,
                      const std::string &file = "t.grad") {
  try {
    return printGraph(*parseDslGraph(src, file));
  } catch (const Error &e) {
    return std::string("ERROR: ") + e.what();
  }
}

/// The diagnostics of a program that must fail ("" if it parses).
inline std::string errors(const std::string &src,
                          const std::string &file = "t.grad") {
  try {
    parseDslGraph(src, file);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

/// Writes `g` as DSL, reads it back and expects the same printed IR.
/// Returns the DSL text.
inline std::string expectRoundTrip(const Graph &g) {
  std::string text = writeDslGraph(g);
  std::string again = ir(text, "roundtrip.grad");
  EXPECT_EQ(printGraph(g), again) << "DSL was:\n" << text;
  return text;
}

} // namespace dsltest
} // namespace gradc

#endif // GRADC_TESTS_DSL_DSLTESTUTIL_H
