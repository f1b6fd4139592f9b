//===- tests/fuzz/FuzzCheck.h - Shared checks of the fuzz targets -*- C++ -*-===//
//
// The properties every fuzz target asserts on what gradc produced from
// arbitrary bytes: errors say where, printed IR round-trips, and user
// names never reach generated C++ outside escaped comments. A broken
// property aborts, which libFuzzer (and the corpus replayer) report as a
// crash with the input saved.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_TESTS_FUZZ_FUZZCHECK_H
#define GRADC_TESTS_FUZZ_FUZZCHECK_H

#include "ir/Graph.h"

#include <string>

namespace gradc {
namespace fuzz {

/// Prints `what` and `detail` to stderr and aborts.
[[noreturn]] void bug(const char *what, const std::string &detail);

/// A user-facing error must be non-empty and name the input file.
void checkErrorMessage(const std::string &msg, const std::string &file);

/// printGraph(g) parses back (and verifies) to a graph that prints the
/// same text.
void checkIRRoundTrip(const Graph &g);

/// Generated C++ must not contain a user-chosen name verbatim when the name
/// has characters that could change the meaning of the code; it must not
/// contain a line splice, and its braces must balance outside comments.
void checkGeneratedSource(const Graph &g, const std::string &source);

} // namespace fuzz
} // namespace gradc

#endif // GRADC_TESTS_FUZZ_FUZZCHECK_H
