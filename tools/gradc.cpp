//===- tools/gradc.cpp - The gradc command-line driver --------------------===//
#include "ir/Error.h"
#include "tools/Commands.h"

#include <cstring>
#include <exception>
#include <iostream>
#include <new>

namespace {

const char *kUsage =
    R"HELP(gradc - a static-graph compiler for reverse-mode automatic differentiation

usage: gradc COMMAND GRAPH [options]

Commands:
  run      JIT-compile a graph and run it once: outputs and gradients
  dump     print a stage: ir, grad-ir, opt-ir, cpp, llvm or asm
  compile  write NAME.h + NAME.cpp (+ NAME.o) for an ahead-of-time build
  convert  translate between JSON (.json) and the DSL (.grad)
  check    compare every gradient with central finite differences (f64)
  bench    time the fused forward+backward entry point

GRAPH is a .json graph, a .grad DSL program or a .gir IR text file.
Run 'gradc COMMAND --help' for the options of a command.
)HELP";

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? 1 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << "gradc " GRADC_VERSION_STRING "\n";
    return 0;
  }
  std::string cmd = argv[1];
  try {
    if (cmd == "run") return gradc::runCommand(argc - 1, argv + 1);
    if (cmd == "dump") return gradc::dumpCommand(argc - 1, argv + 1);
    if (cmd == "compile") return gradc::compileCommand(argc - 1, argv + 1);
    if (cmd == "convert") return gradc::convertCommand(argc - 1, argv + 1);
    if (cmd == "check") return gradc::checkCommand(argc - 1, argv + 1);
    if (cmd == "bench") return gradc::benchCommand(argc - 1, argv + 1);
    std::cerr << "gradc: error: unknown command '" << cmd
              << "' (run 'gradc --help')\n";
    return 2;
  } catch (const gradc::Error &e) {
    std::string msg = e.what();
    // Located messages already read "FILE:LINE:COL: error: ...".
    if (msg.find(": error: ") == std::string::npos) msg = "error: " + msg;
    std::cerr << msg << (msg.empty() || msg.back() != '\n' ? "\n" : "");
    return 1;
  } catch (const std::bad_alloc &) {
    std::cerr << "gradc: error: out of memory\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "gradc: internal error: " << e.what() << "\n";
    return 3;
  }
}
