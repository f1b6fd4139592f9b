//===- tests/ops/FiniteDifferenceTest.cpp - Every op against FD -----------===//
//
// Every case of tests/ops/OpCases.cpp: each gradient is compared with
// central finite differences in f64, and the f32 build with the f64 one.
// Several seeds per case.
//
//===----------------------------------------------------------------------===//
#include "OpCases.h"

#include <gtest/gtest.h>

using namespace gradc;
using namespace gradc::test;

namespace {

class FiniteDifferences : public ::testing::TestWithParam<size_t> {};

TEST_P(FiniteDifferences, F64AgreesAndF32Follows) {
  const OpCaseRow &row = opCases()[GetParam()];
  for (uint64_t trial = 0; trial < 2; ++trial) {
    SCOPED_TRACE(std::string(row.name) + " trial " + std::to_string(trial));
    uint64_t seed = 1469598103934665603ULL; // FNV-1a of the name: stable
    for (const char *p = row.name; *p; ++p)
      seed = (seed ^ static_cast<unsigned char>(*p)) * 1099511628211ULL;
    seed += 1000 * trial;
    checkCase(row.name, seed, row.build, row.fdTol);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, FiniteDifferences,
    ::testing::Range<size_t>(0, opCases().size()),
    [](const ::testing::TestParamInfo<size_t> &i) {
      return std::string(opCases()[i.param].name);
    });

} // namespace
