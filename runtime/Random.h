//===- runtime/Random.h - gradc's own random numbers -----------*- C++ -*-===//
//
// SplitMix64 with Box-Muller normals: a generator with a fixed definition,
// so a seed gives the same numbers on every machine and with every standard
// library (std::normal_distribution is implementation-defined). Used for
// randn/rand inputs, gradient-check seeds and the examples' data; these are
// not PyTorch's values for the same seed.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_RANDOM_H
#define GRADC_RUNTIME_RANDOM_H

#include <cmath>
#include <cstdint>

namespace gradc {

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state word.
struct SplitMix64 {
  uint64_t state;

  /// The next 64 random bits.
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Standard normal by Box-Muller from two uniforms (the cosine branch;
  /// 1 - u keeps the log argument in (0, 1]).
  double normal() {
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
};

} // namespace gradc

#endif // GRADC_RUNTIME_RANDOM_H
