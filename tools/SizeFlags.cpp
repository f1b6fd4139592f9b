//===- tools/SizeFlags.cpp - Binding size variables on the command line ---===//
#include "tools/SizeFlags.h"

#include "frontend/LoadGraph.h"
#include "tools/TensorIO.h"

namespace gradc {

SizeBinding sizeFlags(const Args &args) {
  if (!args.has("--size")) return {};
  return parseSizeAssignments(args.all("--size"));
}

std::unique_ptr<Graph> loadBoundGraph(const Args &args, const std::string &path,
                                      uint64_t maxBytes, SizeBinding *bound) {
  SizeBinding explicitSizes = sizeFlags(args);
  if (bound) bound->clear();
  // Bound while the file is parsed, from the signature of that one parse;
  // the --inputs file is only read ahead for a graph with size variables.
  return loadGraphFile(path, [&](const GraphSignature &sig) {
    if (!sig.symbolic() && explicitSizes.empty()) return SizeBinding{};
    std::map<std::string, Shape> shapes;
    if (args.has("--inputs"))
      shapes = readTensorShapes(args.get("--inputs"), "input", maxBytes);
    SizeBinding sizes = bindSizes(sig, explicitSizes, shapes);
    if (bound) *bound = sizes;
    return sizes;
  });
}

} // namespace gradc
