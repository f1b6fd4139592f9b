//===- tests/ops/OpCases.h - The finite-difference cases of the ops -*- C++ -*-===//
//
// One row per user-visible op (and composite): a builder that puts a few
// random variants of the op into one graph. The finite-difference test runs
// every row; the coverage test checks that every op of ir/Ops.def has one.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_TESTS_OPS_OPCASES_H
#define GRADC_TESTS_OPS_OPCASES_H

#include "OpCase.h"

#include <vector>

namespace gradc {
namespace test {

/// One op's case: its name (the op's or composite's), the graph builder,
/// and the finite-difference tolerance in f64.
struct OpCaseRow {
  const char *name;
  void (*build)(Case &);
  double fdTol = 1e-5;
};

/// Every case, in the order of the op list.
const std::vector<OpCaseRow> &opCases();

} // namespace test
} // namespace gradc

#endif // GRADC_TESTS_OPS_OPCASES_H
