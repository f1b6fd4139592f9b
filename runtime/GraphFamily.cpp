//===- runtime/GraphFamily.cpp - One graph file, any bound sizes ----------===//
#include "runtime/GraphFamily.h"

#include "frontend/JsonText.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "runtime/CodeTemplate.h"

#include <optional>

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

/// A range of sizes whose code has one structure: the templates of the
/// fused unit and of the forward/backward pair, and their object code (the
/// pair's compiled when a member first needs it).
struct GraphFamily::Range {
  CodeTemplate fused, pair;
  std::shared_ptr<const std::string> fusedObject;
  /// The template did not compile: its bindings compile on their own.
  bool dead = false;
  std::once_flag pairOnce;
  std::shared_ptr<const std::string> pairObject;
  std::string pairError;
};

std::shared_ptr<GraphFamily::Range> GraphFamily::newRange(const SizeBinding &sizes,
                                                          const PreparedGraph &p) {
  std::vector<std::string> fused{p.gen.fusedUnit}, pair{p.gen.pairUnit};
  for (int64_t step : {1, 13}) {
    SizeBinding near = sizes;
    for (auto &kv : near) kv.second += step;
    try {
      PreparedGraph q = compiler_.prepare(*load(near));
      fused.push_back(std::move(q.gen.fusedUnit));
      pair.push_back(std::move(q.gen.pairUnit));
    } catch (const Error &) {
      // Not a member at all (a reshape needs even sizes, say): no sample.
    }
  }
  std::optional<CodeTemplate> f = CodeTemplate::derive(fused), b = CodeTemplate::derive(pair);
  if (!f || !b) return nullptr;
  auto r = std::make_shared<Range>();
  r->fused = std::move(*f);
  r->pair = std::move(*b);
  ++compiles_;
  try {
    r->fusedObject = compiler_.compileTemplate(
        r->fused.text(), p.gen.info.symbolPrefix + "_template" + std::to_string(ranges_.size()));
  } catch (const Error &) {
    r->dead = true; // say, a literal in a place C++ needs a constant
  }
  return r;
}

const CompiledGraph &GraphFamily::member(const SizeBinding &sizes) {
  // One lock over the compile: two threads asking for one new binding
  // compile it once. Different bindings compile one after the other, which
  // is how a Compiler is used anyway (it owns one JIT).
  std::lock_guard<std::mutex> lock(mu_);
  auto it = members_.find(sizes);
  if (it != members_.end()) return *it->second;
  PreparedGraph p = compiler_.prepare(*load(sizes));
  std::unique_ptr<CompiledGraph> made;
  if (compiler_.options().codeTemplates) {
    std::shared_ptr<Range> range;
    std::optional<std::vector<uint64_t>> ft, pt;
    for (const auto &r : ranges_)
      if ((ft = r->fused.match(p.gen.fusedUnit)) && (pt = r->pair.match(p.gen.pairUnit))) {
        range = r;
        break;
      }
    if (!range && (range = newRange(sizes, p))) {
      ranges_.push_back(range);
      ft = range->fused.match(p.gen.fusedUnit);
      pt = range->pair.match(p.gen.pairUnit);
    }
    if (range && !range->dead && ft && pt) {
      Compiler *compiler = &compiler_;
      std::string name = p.gen.info.symbolPrefix + "_pair_template";
      auto pairObject = [compiler, range, name]() {
        std::call_once(range->pairOnce, [&] {
          try {
            range->pairObject = compiler->compileTemplate(range->pair.text(), name);
          } catch (const Error &e) {
            range->pairError = e.what();
          }
        });
        if (!range->pairObject) throw Error(range->pairError);
        return range->pairObject;
      };
      made = compiler_.instantiate(std::move(p), range->fusedObject, std::move(*ft),
                                   pairObject, std::move(*pt));
      ++instances_;
    }
  }
  if (!made) {
    made = compiler_.compile(std::move(p));
    ++compiles_;
  }
  return *members_.emplace(sizes, std::move(made)).first->second;
}

size_t GraphFamily::compileCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return compiles_;
}

size_t GraphFamily::instanceCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return instances_;
}

} // namespace gradc
