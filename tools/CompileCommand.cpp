//===- tools/CompileCommand.cpp - gradc compile and gradc convert ---------===//
#include "codegen/CppEmitter.h"
#include "codegen/HeaderEmitter.h"
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Jit.h"
#include "tools/Args.h"
#include "tools/Commands.h"

#include <fstream>
#include <iostream>
#include <set>
#include <sys/stat.h>

namespace gradc {

static const char *kCompileHelp =
    R"HELP(usage: gradc compile GRAPH -o DIR [--emit h,cpp,o] [--cpu NAME]

Writes an ahead-of-time build of GRAPH into DIR: NAME.h (prototypes,
argument order, buffer sizes) and NAME.cpp (the self-contained generated
code, built by any C++17 compiler without gradc headers), and with 'o' an
object file NAME.o compiled in-process by the same clang/LLVM as the JIT.
NAME is the graph's name made a C identifier. The code calls cblas_sgemm /
cblas_dgemm for matmul and the C math library: link -lopenblas -lm.
  --emit LIST  which files to write (default: h,cpp)
  --cpu NAME   target CPU for NAME.o (default: the host's)
)HELP";

static const char *kConvertHelp =
    R"HELP(usage: gradc convert GRAPH -o OUT

Translates a graph between the JSON format (.json) and the DSL (.grad);
the format is chosen by OUT's extension. Converting back and forth lowers
to the same IR.
)HELP";

static void writeFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error(path + ": error: cannot write the file");
}

int compileCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"-o", "--emit", "--cpu"};
  spec.switches = {"--help", "-h"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kCompileHelp;
    return 0;
  }
  if (args.positional.size() != 1) throw Error("expected one graph file");
  if (!args.has("-o")) throw Error("compile needs -o DIR");
  std::set<std::string> emit;
  for (const std::string &e : args.all("--emit")) {
    if (e != "h" && e != "cpp" && e != "o")
      throw Error("--emit takes a list of h, cpp, o; got '" + e + "'");
    emit.insert(e);
  }
  if (emit.empty()) emit = {"h", "cpp"};
  const std::string &path = args.positional[0];
  std::string dir = args.get("-o");
  ::mkdir(dir.c_str(), 0777); // may exist; writing below reports failures
  auto g = loadGraphFile(path);
  PassManagerOptions po;
  GeneratedModule m = emitCpp(*optimizeForCodegen(*g, po), path);
  std::string base = dir + "/" + m.info.symbolPrefix;
  if (emit.count("h")) writeFile(base + ".h", emitHeader(m.info));
  if (emit.count("cpp")) writeFile(base + ".cpp", m.source);
  if (emit.count("o")) {
    JitOptions jo;
    jo.cpu = args.get("--cpu");
    auto obj = emitObject(m.source, m.info.symbolPrefix, jo);
    if (!obj) throw Error(llvm::toString(obj.takeError()));
    writeFile(base + ".o", *obj);
  }
  for (const std::string &e : emit) std::cout << base << "." << e << "\n";
  return 0;
}

int convertCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"-o"};
  spec.switches = {"--help", "-h"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kConvertHelp;
    return 0;
  }
  if (args.positional.size() != 1) throw Error("expected one graph file");
  if (!args.has("-o")) throw Error("convert needs -o OUT (.json or .grad)");
  std::string out = args.get("-o");
  GraphFormat f = graphFormatOf(out);
  if (f == GraphFormat::IR)
    throw Error("convert writes .json or .grad; for IR use 'gradc dump'");
  auto g = loadGraphFile(args.positional[0]);
  writeFile(out, writeGraphText(*g, f));
  return 0;
}

} // namespace gradc
