//===- tools/CompileCommand.cpp - gradc compile and gradc convert ---------===//
#include "codegen/CppEmitter.h"
#include "codegen/HeaderEmitter.h"
#include "codegen/Mangle.h"
#include "frontend/JsonText.h"
#include "frontend/LoadGraph.h"
#include "frontend/SizeVarWriter.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "runtime/AotRange.h"
#include "runtime/AotRangeHeader.h"
#include "runtime/Compiler.h"
#include "runtime/Derivatives.h"
#include "runtime/Jit.h"
#include "tools/Args.h"
#include "tools/Commands.h"
#include "tools/SizeFlags.h"

#include <fstream>
#include <iostream>
#include <set>
#include <sys/stat.h>

namespace gradc {

static const char *kCompileHelp =
    R"HELP(usage: gradc compile GRAPH -o DIR [--emit h,cpp,o] [--class NAME]
                     [--namespace NS] [--cpu NAME]

Writes an ahead-of-time build of GRAPH into DIR:
  NAME.h    C prototypes and macros, and for C++ the class NS::NAME: it owns
            the buffers, has named accessors (input_x(), output_out(),
            grad_x(), seed_z()), constexpr shapes and dtypes, byte sizes,
            run(accumulate), forward() and backward(seeds, accumulate)
  NAME.cpp  the self-contained generated code: any C++17 compiler builds it
            alone, without gradc headers
  NAME.o    (with 'o') NAME.cpp compiled in-process by the same clang/LLVM
            as the JIT, position-independent; no external compiler needed
The code calls cblas_sgemm / cblas_dgemm and the C math library: link
-lopenblas -lm (NAME.o also calls libmvec, which glibc's -lm brings in). The same input gives the same bytes; the files name the
graph, GRAPH as given here, and the gradc version.
  --emit LIST      which files to write (default: h,cpp)
  --class NAME     the C++ class and file name (default: the graph's name
                   made an identifier)
  --namespace NS   enclosing namespace, e.g. models::vision (default: none)
  --cpu NAME       target CPU of NAME.o (default: the host's)
  --jvp            forward mode: build GRAPHNAME_jvp, the graph of the
                   Jacobian-vector product (passes/ForwardMode): inputs x
                   and tangent:x, outputs o and tangent:o (the class's
                   accessors carry mangled names for them), all from one
                   call of its entry point GRAPHNAME_jvp_fwd_bwd (it has no
                   gradients; pass no seeds)
With --class or --namespace the entry points are named NS_NAME_fwd_bwd
(namespace parts joined by '_'), so several builds of one graph can be
linked into one program; otherwise GRAPHNAME_fwd_bwd.
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32): the graph is built at those sizes, which
                  NAME.h declares (NAME_SIZE_B, and kSize_B in the class)
  --size NAME=LO..HI
                  one build for every size from LO to HI (several
                  variables: each a range or a number, every variable of
                  the graph given; at most 4096 bindings). The code of
                  each size is generated, and the sizes whose code differs
                  only in numbers share one copy of it, reading those
                  numbers from a table per size (at most 16 copies, else
                  an error: split the range). The entry points take the
                  sizes first: GRAPHNAME_sized_fwd_bwd(const long long
                  *sizes, ...), _sized_forward, _sized_backward and
                  _sized_{fused_workspace,context,workspace}_bytes(sizes);
                  sizes out of range return the status
                  NAME_SIZE_STATUS_SITE << 48 | size (the byte functions
                  0). NAME.h declares the order and ranges
                  (NAME_SIZE_B_INDEX, _MIN, _MAX) and a class that runs at
                  sizes given to its constructor. Each size computes the
                  bits of its own --size B=N build.
)HELP";

static const char *kConvertHelp =
    R"HELP(usage: gradc convert GRAPH -o OUT

Translates a graph between the JSON format (.json) and the DSL (.grad);
the format is chosen by OUT's extension. Converting back and forth lowers
to the same IR, except that composite ops (huber_loss, batch_norm, ...)
are written as their primitives, whose last one then shows its own
grad_fn instead of the composite's.
Size variables of the input shapes ("shape": ["B", 784], input(B, 784))
are kept: OUT declares the same names, and a reshape keeps its -1. The
graph is loaded at two probe sizes to find what depends on them, and OUT
is checked to load to the same IR as GRAPH at several sizes; a graph whose
nodes depend on the sizes otherwise (a constant 1/B) is refused, naming
the node.
  --size NAME=N   bind a size variable of the input shapes (repeatable, or
                  B=64,T=32): the graph is written at those sizes, with
                  numbers in place of the size variables
)HELP";

static void writeFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error::located(path + ": error: cannot write the file");
}

/// Writes DIR/CLASS.{h,cpp,o}, those `emit` names, and prints their paths.
static void writeOutputs(const Args &args, const std::string &base,
                         const std::set<std::string> &emit, const std::string &header,
                         const std::string &source, const std::string &objectName) {
  if (emit.count("h")) writeFile(base + ".h", header);
  if (emit.count("cpp")) writeFile(base + ".cpp", source);
  if (emit.count("o")) {
    JitOptions jo;
    jo.cpu = args.get("--cpu");
    auto obj = emitObject(source, objectName, jo);
    if (!obj) throw Error(llvm::toString(obj.takeError()));
    writeFile(base + ".o", *obj);
  }
  for (const std::string &e : emit) std::cout << base << "." << e << "\n";
}

/// `gradc compile --size B=LO..HI`: one unit for every binding of the
/// ranges (runtime/AotRange.h), with its own header.
static int compileRange(const Args &args, const std::string &path, const std::string &dir,
                        const std::set<std::string> &emit, HeaderOptions ho) {
  // The file is read once; every binding parses the same text.
  const std::string text = readTextFile(path, defaultMaxBytes(), "the graph file");
  const GraphFormat format = graphFormatOf(path);
  ho.signature = graphTextSignature(text, path, format);
  std::vector<SizeRange> ranges = sizeRangeFlags(args, ho.signature);
  std::string prefix;
  PassManagerOptions po;
  const bool named = !ho.className.empty() || !ho.namespaceName.empty();
  auto generate = [&](const SizeBinding &sizes) {
    auto g = parseGraphText(text, path, format, [&](const GraphSignature &sig) {
      return bindSizes(sig, sizes, {});
    });
    if (args.has("--jvp")) g = buildJvpGraph(*g);
    if (prefix.empty() && named)
      prefix = aotSymbolPrefix(
          ho.className.empty() ? mangleIdentifier(g->name()) : ho.className, ho.namespaceName);
    if (ho.className.empty()) ho.className = mangleIdentifier(g->name());
    return emitCpp(*optimizeForCodegen(*g, po), path, prefix);
  };
  AotRangeModule m = buildAotRange(ranges, generate);
  writeOutputs(args, dir + "/" + ho.className, emit,
               emit.count("h") ? emitRangeHeader(m, ho) : "", m.source, ho.className);
  return 0;
}

int compileCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"-o", "--emit", "--cpu", "--class", "--namespace"};
  spec.multi = {"--size"};
  spec.switches = {"--help", "-h", "--jvp"};
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
  HeaderOptions ho;
  ho.className = args.get("--class");
  ho.namespaceName = args.get("--namespace");
  ho.sourceName = path;
  // The entry points follow --class/--namespace, so that builds of one
  // graph under different names link into one program.
  std::string prefix;
  if (hasSizeRange(args)) return compileRange(args, path, dir, emit, ho);
  auto g = loadBoundGraph(args, path, &ho.sizes);
  if (!ho.sizes.empty()) ho.signature = graphFileSignature(path);
  // Forward mode: the module of the graph's JVP, named NAME_jvp.
  if (args.has("--jvp")) g = buildJvpGraph(*g);
  if (!ho.className.empty() || !ho.namespaceName.empty())
    prefix = aotSymbolPrefix(
        ho.className.empty() ? mangleIdentifier(g->name()) : ho.className,
        ho.namespaceName);
  PassManagerOptions po;
  GeneratedModule m = emitCpp(*optimizeForCodegen(*g, po), path, prefix);
  if (ho.className.empty()) ho.className = mangleIdentifier(g->name());
  writeOutputs(args, dir + "/" + ho.className, emit,
               emit.count("h") ? emitHeader(m.info, ho, g.get()) : "", m.source,
               ho.className);
  return 0;
}

int convertCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"-o"};
  spec.multi = {"--size"};
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
  const std::string &path = args.positional[0];
  if (!args.has("--size") && graphFileSignature(path).symbolic()) {
    std::string text = readTextFile(path, defaultMaxBytes(), "the graph file");
    writeFile(out, convertKeepingSizes(text, path, graphFormatOf(path), f));
    return 0;
  }
  auto g = loadBoundGraph(args, path);
  writeFile(out, writeGraphText(*g, f));
  return 0;
}

} // namespace gradc
