//===- tests/fuzz/json_fuzzer.cpp - libFuzzer target: the JSON loader -----===//
//
// Feeds arbitrary bytes to loadJsonGraph. Bad input must end in a
// gradc::Error naming the file, never a crash, a hang, a sanitizer report
// or unbounded recursion. A graph that loads must print as IR text that
// parses back identically, and must survive the JSON writer: writing it
// and loading the result gives the same IR.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "frontend/JsonLoader.h"
#include "frontend/JsonWriter.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace gradc;
  std::string text(reinterpret_cast<const char *>(data), size);
  std::unique_ptr<Graph> g;
  try {
    g = loadJsonGraph(text, "fuzz.json");
  } catch (const Error &e) {
    fuzz::checkErrorMessage(e.what(), "fuzz.json");
    return 0;
  }
  fuzz::checkIRRoundTrip(*g);
  std::string written;
  try {
    written = writeJsonGraph(*g);
  } catch (const Error &e) {
    fuzz::bug("a loaded graph cannot be written as JSON", e.what());
  }
  std::unique_ptr<Graph> back;
  try {
    back = loadJsonGraph(written, "written.json");
  } catch (const Error &e) {
    fuzz::bug("written JSON does not load", std::string(e.what()) + "\n" + written);
  }
  // The writer spells a composite op as its primitives, so the grad_fn
  // name its result carries (Node::gradFn) does not come back.
  for (const auto &n : g->nodes()) n->gradFn.clear();
  if (printGraph(*back) != printGraph(*g))
    fuzz::bug("JSON write + load changes the IR", written);
  return 0;
}
