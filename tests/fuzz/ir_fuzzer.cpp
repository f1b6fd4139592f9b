//===- tests/fuzz/ir_fuzzer.cpp - libFuzzer target: the IR text parser ----===//
//
// Feeds arbitrary bytes to parseGraph + verifyGraph, as `gradc` does for
// .gir files. Bad input must end in a gradc::Error naming the file; a
// graph that parses and verifies must print back to text that parses to
// the same graph.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "ir/Error.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace gradc;
  std::string text(reinterpret_cast<const char *>(data), size);
  std::unique_ptr<Graph> g;
  try {
    g = parseGraph(text, "fuzz.gir");
    verifyGraph(*g);
  } catch (const Error &e) {
    // The verifier reports nodes, not file positions.
    std::string msg = e.what();
    if (msg.rfind("IR verifier: ", 0) != 0)
      fuzz::checkErrorMessage(msg, "fuzz.gir");
    return 0;
  }
  fuzz::checkIRRoundTrip(*g);
  return 0;
}
