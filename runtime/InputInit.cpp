//===- runtime/InputInit.cpp - Values of inputs from their init -----------===//
#include "runtime/InputInit.h"

#include "ir/Error.h"
#include "runtime/Random.h"

#include <cmath>

namespace gradc {


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
      t.set(i, rng.normal());
    }
  } else {
    throw Error("input '" + input.name +
                "' has no value: pass one (e.g. with --inputs) or declare an "
                "init");
  }
  return t;
}

} // namespace gradc
