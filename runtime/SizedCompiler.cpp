//===- runtime/SizedCompiler.cpp - Compiled graphs for the bindings of sizes ===//
#include "runtime/SizedCompiler.h"

#include "ir/Error.h"
#include "runtime/CodeTemplate.h"

#include <algorithm>
#include <optional>
#include <string>

namespace gradc {

/// A range of sizes whose code has one structure: the templates of the
/// fused unit and of the forward/backward pair, and their object code (the
/// pair's compiled when a graph of the range first needs it).
struct SizedCompiler::Range {
  CodeTemplate fused, pair;
  /// The units the templates were derived from (the binding's first).
  std::vector<std::string> fusedSamples, pairSamples;
  std::string pairName;
  std::shared_ptr<const std::string> fusedObject;
  /// The template did not compile: its bindings compile alone.
  bool dead = false;
  std::once_flag pairOnce;
  /// Null if the pair's template did not compile.
  std::shared_ptr<const std::string> pairObject;
};

SizedCompiler::SizedCompiler(const Compiler &compiler, Loader load)
    : compiler_(compiler), load_(std::move(load)) {}

SizedCompiler::~SizedCompiler() = default;

std::shared_ptr<SizedCompiler::Range> SizedCompiler::newRange(const SizeBinding &sizes,
                                                              const PreparedGraph &p,
                                                              const Range *widen) {
  std::vector<std::string> fused{p.gen.fusedUnit}, pair{p.gen.pairUnit};
  if (widen) { // the old range's samples: every literal that varied still does
    fused.insert(fused.end(), widen->fusedSamples.begin(), widen->fusedSamples.end());
    pair.insert(pair.end(), widen->pairSamples.begin(), widen->pairSamples.end());
  }
  // Neighbours near and far: a literal that changes slowly with the sizes
  // (a count of blocks of a thousand rows, the offset of a buffer that the
  // plan moves once some other buffer outgrows it) must differ in some
  // sample to become a slot, or a later binding widens the range (one
  // more compile). Samples of another structure are set aside; each costs
  // passes and codegen, no compile. A range being widened brings its own
  // samples instead.
  static int64_t (*const kNeighbours[])(int64_t) = {
      [](int64_t v) { return v + 1; },  [](int64_t v) { return v + 13; },
      [](int64_t v) { return v + 29; }, [](int64_t v) { return v + 61; },
      [](int64_t v) { return 2 * v + 3; }};
  if (!widen)
    for (auto next : kNeighbours) {
      SizeBinding near = sizes;
      for (auto &kv : near) kv.second = next(kv.second);
      try {
        PreparedGraph q = compiler_.prepare(*load_(near));
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
  r->fusedSamples = std::move(fused);
  r->pairSamples = std::move(pair);
  std::string name = p.gen.info.symbolPrefix + "_template" + std::to_string(ranges_.size());
  r->pairName = name + "_pair";
  ++compiles_;
  try {
    r->fusedObject = compiler_.compileTemplate(r->fused.text(), name);
  } catch (const Error &) {
    r->dead = true; // say, a literal in a place C++ needs a constant
  }
  return r;
}

std::unique_ptr<CompiledGraph> SizedCompiler::compile(const SizeBinding &sizes) {
  std::lock_guard<std::mutex> lock(mu_);
  PreparedGraph p = compiler_.prepare(*load_(sizes));
  // Tokenized once for every range tried.
  const CodeTokens fusedTokens = tokenizeGeneratedCode(p.gen.fusedUnit),
                   pairTokens = tokenizeGeneratedCode(p.gen.pairUnit);
  std::shared_ptr<Range> range;
  std::optional<std::vector<uint64_t>> ft, pt;
  for (const auto &r : ranges_)
    if ((ft = r->fused.match(fusedTokens)) && (pt = r->pair.match(pairTokens))) {
      range = r;
      break;
    }
  if (!range) {
    // A range of this structure whose samples left some literal of ours
    // constant is widened; otherwise a new range starts here.
    auto same = std::find_if(ranges_.begin(), ranges_.end(), [&](const auto &r) {
      return !r->dead && r->fused.sameStructure(fusedTokens) &&
             r->pair.sameStructure(pairTokens);
    });
    range = newRange(sizes, p, same == ranges_.end() ? nullptr : same->get());
    if (range && same != ranges_.end()) *same = range; // its instances keep the old one
    else if (range) ranges_.push_back(range);
    if (range) {
      ft = range->fused.match(fusedTokens);
      pt = range->pair.match(pairTokens);
    }
  }
  if (!range || range->dead || !ft || !pt) {
    ++compiles_;
    return compiler_.compile(std::move(p));
  }
  // The pair's template compiles once, for the first graph that needs it,
  // with a JIT that lives as long as this function. Should it not compile,
  // each graph compiles its own pair instead (the fused unit already
  // proved the range's sizes compile as a template, so this is unlikely).
  auto compileUnit = compiler_.templateCompiler();
  // (instantiate() takes p's graphs, code and info, not its pair unit.)
  auto pairObject = [range, compileUnit, own = std::move(p.gen.pairUnit),
                     name = p.gen.info.symbolPrefix + "_pair"]() {
    std::call_once(range->pairOnce, [&] {
      try {
        range->pairObject = compileUnit(range->pair.text(), range->pairName);
      } catch (const Error &) {
        // pairObject stays null: every graph compiles its own pair.
      }
    });
    return range->pairObject ? range->pairObject : compileUnit(own, name);
  };
  ++instances_;
  return compiler_.instantiate(std::move(p), range->fusedObject, std::move(*ft), pairObject,
                               std::move(*pt));
}

size_t SizedCompiler::compileCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return compiles_;
}

size_t SizedCompiler::instanceCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return instances_;
}

} // namespace gradc
