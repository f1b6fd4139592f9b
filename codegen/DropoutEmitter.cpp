//===- codegen/DropoutEmitter.cpp - dropout with a counter-based mask -----===//
//
// dropout keeps element f of its operand (scaled by 1 / (1 - p)) when the
// 32-bit word f % 4 of Philox4x32-10(counter = f / 4, key = seed) is at
// least p * 2^32, so an element survives with probability 1 - p (to
// within 2^-32). The mask depends only on the seed and the element's
// index, never on a generator's state, the order of the loop or the number
// of threads: the backward (dropout of g, same attributes) and every
// later run with the same seed zero the same elements.
//
// Key: the 64-bit `seed` attribute, xor'ed with the run-time seed operand
// (when given) times an odd constant, split into two 32-bit halves.
// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1,
// 2, 3", SC'11): ten rounds of two 32x32->64 multiplies (0xD2511F53,
// 0xCD9E8D57) mixing the four counter words with the key, the key bumped
// by the Weyl constants (0x9E3779B9, 0xBB67AE85) between rounds.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"

#include <cmath>

namespace gradc {

std::string OpEmitter::dropout(const Node *n) {
  const Node *x = n->operands[0];
  const long long numel = n->type.numel();
  const std::string out = ptrOf(n), T = dtypeCppName(n->type.dtype);
  ValueRef xv = valueOf_(x);
  std::string X = xv.isSplat() ? xv.literal : xv.ptr + "[f]";
  const double p = getFloat(n->attrs, "p", 0.5);
  const bool training = getBool(n->attrs, "training", true);
  const std::string N = std::to_string(numel) + "LL";
  CodeWriter w;
  // Identity: not training, or nothing to drop.
  if (!training || p == 0) {
    w.line("for (long long f = 0; f < " + N + "; ++f) " + out + "[f] = " + X + ";");
    return w.str();
  }
  if (p == 1) { // everything dropped (PyTorch returns zeros, not 0 * inf)
    w.line("for (long long f = 0; f < " + N + "; ++f) " + out + "[f] = (" + T + ")0;");
    return w.str();
  }
  const uint64_t seed = static_cast<uint64_t>(getInt(n->attrs, "seed", 0));
  // Drop where the draw is below p 2^32 (exact in double: p 2^32 < 2^53).
  const unsigned long long threshold =
      static_cast<unsigned long long>(std::ceil(p * 4294967296.0));
  w.open();
  w.line("unsigned long long key = " + std::to_string(seed) + "ULL;");
  if (n->operands.size() > 1) {
    ValueRef sv = valueOf_(n->operands[1]);
    std::string S = sv.isSplat() ? sv.literal : sv.ptr + "[0]";
    w.line("key ^= (unsigned long long)(long long)(" + S + ") * 0x9E3779B97F4A7C15ULL;");
  }
  w.line("const " + T + " scale = " + literal(1.0 / (1.0 - p), n->type.dtype) + ";");
  w.open("for (long long q = 0; q < (" + N + " + 3) / 4; ++q)");
  w.line("unsigned c0 = (unsigned)q, c1 = (unsigned)((unsigned long long)q >> 32),"
         " c2 = 0u, c3 = 0u;");
  w.line("unsigned k0 = (unsigned)key, k1 = (unsigned)(key >> 32);");
  w.open("for (int r = 0; r < 10; ++r)"); // the ten Philox rounds
  w.line("unsigned long long m0 = 0xD2511F53ULL * c0, m1 = 0xCD9E8D57ULL * c2;");
  w.line("unsigned n0 = (unsigned)(m1 >> 32) ^ c1 ^ k0;");
  w.line("unsigned n2 = (unsigned)(m0 >> 32) ^ c3 ^ k1;");
  w.line("c1 = (unsigned)m1; c3 = (unsigned)m0; c0 = n0; c2 = n2;");
  w.line("k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;");
  w.close();
  w.line("unsigned w[4] = {c0, c1, c2, c3};");
  w.open("for (int j = 0; j < 4; ++j)"); // four elements per draw
  w.line("long long f = 4 * q + j;");
  w.line("if (f >= " + N + ") break;");
  w.line(out + "[f] = (unsigned long long)w[j] >= " + std::to_string(threshold) +
         "ULL ? " + X + " * scale : (" + T + ")0;");
  w.close();
  w.close();
  w.close();
  return w.str();
}

} // namespace gradc
