//===- tools/SizeFlags.cpp - Binding size variables on the command line ---===//
#include "tools/SizeFlags.h"

#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "tools/TensorIO.h"

namespace gradc {

SizeBinding sizeFlags(const Args &args) {
  SizeBinding sizes;
  if (!args.has("--size")) return sizes;
  for (const std::string &a : args.all("--size")) {
    auto [name, value] = parseSizeAssignment(a);
    if (!sizes.emplace(name, value).second)
      throw Error("--size gives '" + name + "' twice");
  }
  return sizes;
}

std::unique_ptr<Graph> loadBoundGraph(const Args &args, const std::string &path,
                                      uint64_t maxBytes, SizeBinding *bound) {
  SizeBinding explicitSizes = sizeFlags(args);
  GraphSignature sig = graphFileSignature(path);
  SizeBinding sizes;
  if (sig.symbolic() || !explicitSizes.empty()) {
    std::map<std::string, Shape> shapes;
    if (args.has("--inputs"))
      shapes = readTensorShapes(args.get("--inputs"), "input", maxBytes);
    sizes = bindSizes(sig, explicitSizes, shapes);
  }
  if (bound) *bound = sizes;
  return loadGraphFile(path, sizes);
}

} // namespace gradc
