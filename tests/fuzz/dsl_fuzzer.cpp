//===- tests/fuzz/dsl_fuzzer.cpp - libFuzzer entry for the DSL frontend ---===//
//
// Feeds arbitrary bytes to parseDslGraph. Bad input must end in a
// gradc::Error, never a crash, hang, sanitizer report or unbounded
// recursion. A program that parses must also survive the writer: every
// graph the DSL builds is expressible in the DSL, so writeDslGraph must
// succeed and re-parsing its output must print the same IR.
//
// Built with the other fuzz targets by the GRADC_FUZZ option (clang,
// -fsanitize=fuzzer,address,undefined) and run by scripts/fuzz.sh with the
// dictionary tests/fuzz/dsl.dict; CI replays the committed corpus.
//
//===----------------------------------------------------------------------===//
#include "frontend/DslParser.h"
#include "frontend/DslWriter.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void bug(const char *what, const std::string &detail) {
  std::fprintf(stderr, "dsl_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  std::unique_ptr<gradc::Graph> g;
  try {
    g = gradc::parseDslGraph(text, "fuzz.grad");
  } catch (const gradc::Error &e) {
    // Every diagnostic names the file; an empty report would be a bug.
    if (std::string(e.what()).find("fuzz.grad") == std::string::npos)
      bug("error without a location", e.what());
    return 0;
  }
  std::string dsl;
  try {
    dsl = gradc::writeDslGraph(*g);
  } catch (const gradc::Error &e) {
    bug("the writer refused a graph the DSL built", e.what());
  }
  // The writer spells a composite op as its primitives, so the grad_fn
  // name its result carries (Node::gradFn) does not come back.
  for (const auto &n : g->nodes()) n->gradFn.clear();
  std::string printed = gradc::printGraph(*g);
  try {
    auto again = gradc::parseDslGraph(dsl, "rewritten.grad");
    if (gradc::printGraph(*again) != printed)
      bug("round trip changed the IR", printed + "---\n" + dsl + "---\n" +
                                           gradc::printGraph(*again));
  } catch (const gradc::Error &e) {
    bug("the writer's output does not parse", dsl + "---\n" + e.what());
  }
  return 0;
}
