//===- tests/fuzz/pipeline_fuzzer.cpp - libFuzzer target: to generated C++ ===//
//
// The whole compile pipeline up to generated C++, without the JIT: bytes
// are loaded as a JSON graph (or as IR text when they start with "graph"),
// differentiated, optimized (with the verifier after every pass) and
// emitted. Any stage may reject the graph with a gradc::Error; none may
// crash, and the C++ must not contain user names outside escaped comments.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "codegen/CppEmitter.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/Pipeline.h"

#include <cstdint>
#include <string>

namespace {

/// Runs the optimization pipeline on a copy of `g` (the verifier after
/// every pass) and emits C++, then checks the source. The pipeline may
/// reject a graph only with a gradc::Error.
void compileToCpp(const gradc::Graph &g) {
  auto copy = g.clone();
  using namespace gradc;
  GeneratedModule gen;
  try {
    PassManagerOptions opts;
    opts.verifyEach = true; // every pass must leave a valid graph
    PassManager pm(opts);
    buildPipeline(pm, PipelineStage::Opt, isDifferentiated(*copy));
    pm.run(*copy);
    gen = emitCpp(*copy, "fuzz");
  } catch (const Error &) {
    return; // a clear error is an acceptable answer
  }
  gradc::fuzz::checkGeneratedSource(g, gen.source);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace gradc;
  std::string text(reinterpret_cast<const char *>(data), size);
  bool ir = text.compare(0, 5, "graph") == 0;
  std::unique_ptr<Graph> g;
  try {
    if (ir) {
      g = parseGraph(text, "fuzz.gir");
      verifyGraph(*g);
    } else {
      g = loadJsonGraph(text, "fuzz.json");
    }
  } catch (const Error &) {
    return 0; // the frontend fuzzers check these messages
  }
  compileToCpp(*g);
  return 0;
}
