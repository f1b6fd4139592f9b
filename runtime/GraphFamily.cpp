//===- runtime/GraphFamily.cpp - One graph file, any bound sizes ----------===//
#include "runtime/GraphFamily.h"

#include "frontend/JsonText.h"
#include "ir/Error.h"
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
  sized_ = std::make_unique<SizedCompiler>(
      compiler_, [this](const SizeBinding &sizes) { return load(sizes); });
}

GraphFamily::~GraphFamily() = default;

SizeBinding GraphFamily::bind(const SizeBinding &explicitSizes,
                              const std::map<std::string, Shape> &shapes) const {
  return bindSizes(sig_, explicitSizes, shapes);
}

std::unique_ptr<Graph> GraphFamily::load(const SizeBinding &sizes) const {
  return parseGraphText(text_, fileName_, format_, sizes);
}

const CompiledGraph &GraphFamily::member(const SizeBinding &sizes) {
  // One lock over the compile: two threads asking for one new binding
  // compile it once.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = members_.find(sizes);
  if (it != members_.end()) return *it->second;
  std::unique_ptr<CompiledGraph> made;
  if (compiler_.options().codeTemplates) {
    made = sized_->compile(sizes);
  } else {
    made = compiler_.compile(*load(sizes));
    ++alone_;
  }
  return *members_.emplace(sizes, std::move(made)).first->second;
}

size_t GraphFamily::compileCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return alone_ + sized_->compileCount();
}

size_t GraphFamily::instanceCount() const { return sized_->instanceCount(); }

} // namespace gradc
