//===- runtime/GraphFamily.cpp - One graph file, any bound sizes ----------===//
#include "runtime/GraphFamily.h"

#include "frontend/JsonText.h"
#include "ir/Limits.h"

namespace gradc {

GraphFamily::GraphFamily(const std::string &path, CompileOptions opts)
    : GraphFamily(readTextFile(path, defaultMaxBytes(), "the graph file"), path,
                  graphFormatOf(path), std::move(opts)) {}

GraphFamily::GraphFamily(std::string text, std::string fileName,
                         GraphFormat format, CompileOptions opts)
    : text_(std::move(text)), fileName_(std::move(fileName)), format_(format),
      compiler_(opts) {
  sig_ = graphTextSignature(text_, fileName_, format_);
}

SizeBinding GraphFamily::bind(const SizeBinding &explicitSizes,
                              const std::map<std::string, Shape> &shapes) const {
  return bindSizes(sig_, explicitSizes, shapes);
}

std::unique_ptr<Graph> GraphFamily::load(const SizeBinding &sizes) const {
  return parseGraphText(text_, fileName_, format_, sizes);
}

const CompiledGraph &GraphFamily::member(const SizeBinding &sizes) {
  // One lock over the compile: two threads asking for one new binding
  // compile it once. Different bindings compile one after the other, which
  // is how a Compiler is used anyway (it owns one JIT).
  std::lock_guard<std::mutex> lock(mu_);
  auto it = members_.find(sizes);
  if (it != members_.end()) return *it->second;
  std::unique_ptr<Graph> g = load(sizes);
  auto compiled = compiler_.compile(*g);
  return *members_.emplace(sizes, std::move(compiled)).first->second;
}

size_t GraphFamily::compileCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return members_.size();
}

} // namespace gradc
