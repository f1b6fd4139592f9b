//===- tools/DumpCommand.cpp - gradc dump ---------------------------------===//
#include "codegen/CppEmitter.h"
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "ir/Printer.h"
#include "passes/BufferPlanning.h"
#include "passes/ForwardMode.h"
#include "passes/Pipeline.h"
#include "runtime/HostSymbols.h"
#include "runtime/Jit.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/SizeFlags.h"

#include <iostream>

namespace gradc {

static const char *kDumpHelp =
    R"HELP(usage: gradc dump GRAPH [--emit ir|grad-ir|opt-ir|cpp|llvm|asm]
                  [--print-after PASS | --print-after-all]
                  [--dump-dir DIR] [--time-passes] [--jvp]

Prints one stage of the compilation of GRAPH to stdout:
  ir        the graph as written, with grad_fn=<...> on nodes that require
            grad (default)
  grad-ir   after reverse-mode autodiff: the joint forward+backward graph
  opt-ir    after the optimization pipeline: what codegen receives
  cpp       the generated C++ translation unit
  llvm      optimized LLVM IR of that translation unit
  asm       host assembly of it
Pipeline instrumentation (printed to stderr):
  --print-after PASS  print the IR after the named pass (repeatable)
  --print-after-all   print the IR after every pass ("(unchanged)" if
                      the pass changed nothing)
  --dump-dir DIR      write each stage as DIR/NNN_<pass>.ir
  --time-passes       print how long each pass took
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32): the graph is built at those sizes
--jvp dumps the graph's forward-mode form instead (passes/ForwardMode),
what 'gradc run --tangents' and 'gradc bench --jvp' compile; on a graph
whose outputs are gradients that is a Hessian-vector product.
)HELP";

int dumpCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"--emit", "--print-after", "--dump-dir"};
  spec.multi = {"--size"};
  spec.switches = {"--print-after-all", "--time-passes", "--jvp", "--help", "-h"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kDumpHelp;
    return 0;
  }
  if (args.positional.size() != 1)
    throw Error(args.positional.empty() ? "no graph file given"
                                        : "expected one graph file");
  std::string emit = args.get("--emit", "ir");
  static const char *stages[] = {"ir", "grad-ir", "opt-ir", "cpp", "llvm", "asm"};
  if (std::find(std::begin(stages), std::end(stages), emit) == std::end(stages))
    throw Error("--emit must be one of ir, grad-ir, opt-ir, cpp, llvm, asm; "
                "got '" + emit + "'");
  const std::string &path = args.positional[0];
  auto g = loadBoundGraph(args, path);
  if (args.has("--jvp")) applyForwardMode(*g, ForwardModeOptions{});

  PassManagerOptions po;
  po.printAfter = args.all("--print-after");
  po.printAfterAll = args.has("--print-after-all");
  po.dumpDir = args.get("--dump-dir");
  po.timePasses = args.has("--time-passes");
  PipelineStage stage = emit == "ir"        ? PipelineStage::Analysis
                        : emit == "grad-ir" ? PipelineStage::Grad
                                            : PipelineStage::Opt;
  PassManager pm(po);
  buildPipeline(pm, stage, isDifferentiated(*g));
  pm.run(*g);
  if (emit == "ir" || emit == "grad-ir" || emit == "opt-ir") {
    // An optimized graph ends with a comment line giving its buffer sizes.
    std::cout << printGraph(*g) << describeBufferPlan(*g);
    return 0;
  }
  GeneratedModule m = emitCpp(*g, path);
  if (emit == "cpp") {
    std::cout << m.source;
    return 0;
  }
  JitOptions jo;
  auto text = emit == "llvm" ? emitLLVMIR(m.source, m.info.symbolPrefix, jo)
                             : emitAssembly(m.source, m.info.symbolPrefix, jo);
  if (!text) throw Error(llvm::toString(text.takeError()));
  std::cout << *text;
  return 0;
}

} // namespace gradc
