//===- runtime/InputInit.cpp - Values of inputs from their init -----------===//
#include "runtime/InputInit.h"

#include "ir/Error.h"

#include <cmath>

namespace gradc {

namespace {
/// SplitMix64: a small, well-mixed generator with a fixed definition.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};
} // namespace

bool hasInit(const Node &input) { return input.attrs.count("init") > 0; }

Tensor materializeInit(const Node &input) {
  Tensor t(input.type.dtype, input.type.shape);
  std::string kind = getString(input.attrs, "init", "");
  if (kind == "zeros") return t;
  if (kind == "ones") {
    t.fill(1);
  } else if (kind == "value") {
    t.fill(getFloat(input.attrs, "init_value", 0));
  } else if (kind == "data") {
    std::vector<double> d = getFloats(input.attrs, "init_data");
    if (static_cast<int64_t>(d.size()) != t.numel())
      throw Error("input '" + input.name + "': init data has the wrong size");
    for (int64_t i = 0; i < t.numel(); ++i) t.set(i, d[i]);
  } else if (kind == "randn" || kind == "rand") {
    SplitMix64 rng{static_cast<uint64_t>(getInt(input.attrs, "init_seed", 0))};
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (kind == "rand") {
        t.set(i, rng.uniform());
        continue;
      }
      // Box-Muller; 1 - u keeps the log argument in (0, 1].
      double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
      t.set(i, std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2));
    }
  } else {
    throw Error("input '" + input.name +
                "' has no value: pass one (e.g. with --inputs) or declare an "
                "init");
  }
  return t;
}

} // namespace gradc
