//===- tools/SizeFlags.cpp - Binding size variables on the command line ---===//
#include "tools/SizeFlags.h"

#include "frontend/LoadGraph.h"

namespace gradc {

SizeBinding sizeFlags(const Args &args) {
  if (!args.has("--size")) return {};
  return parseSizeAssignments(args.all("--size"));
}

std::unique_ptr<Graph> loadBoundGraph(const Args &args, const std::string &path,
                                      SizeBinding *bound, const TensorFile *inputs) {
  SizeBinding explicitSizes = sizeFlags(args);
  if (bound) bound->clear();
  // Bound while the file is parsed, from the signature of that one parse;
  // the inputs file is only read ahead for a graph with size variables
  // (and then parsed once: the caller reads its tensors from the same
  // TensorFile).
  return loadGraphFile(path, [&](const GraphSignature &sig) {
    if (!sig.symbolic() && explicitSizes.empty()) return SizeBinding{};
    std::map<std::string, Shape> shapes;
    if (inputs) shapes = inputs->shapes();
    SizeBinding sizes = bindSizes(sig, explicitSizes, shapes);
    if (bound) *bound = sizes;
    return sizes;
  });
}

} // namespace gradc
