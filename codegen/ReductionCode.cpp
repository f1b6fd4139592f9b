//===- codegen/ReductionCode.cpp - Code of the reductions of a loop -------===//
#include "codegen/ReductionCode.h"

#include "codegen/EmitUtil.h"
#include "ir/Error.h"
#include "ir/OpClasses.h"

#include <algorithm>
#include <cmath>

namespace gradc {
namespace {
using emit::num;
bool isExtremum(const Reduction &r) {
  return r.node->op == OpKind::Max || r.node->op == OpKind::Min;
}
} // namespace

void setAccumulator(Reduction &r) {
  DType t = r.node->type.dtype;
  bool isMax = r.node->op == OpKind::Max;
  // Exhaustive over the reductions: a new one must say how it accumulates
  // (not silently as a sum), and reduceOp throws for any other op.
  switch (reduceOp(r.node->op)) {
  case ReduceOp::Max: case ReduceOp::Min:
    r.acc = dtypeCppName(t);
    if (isFloat(t)) r.init = literal(isMax ? -INFINITY : INFINITY, t);
    else if (t == DType::I32) r.init = isMax ? "(-2147483647 - 1)" : "2147483647";
    else r.init = isMax ? "(-9223372036854775807LL - 1)" : "9223372036854775807LL";
    return;
  case ReduceOp::Sum: case ReduceOp::Mean:
    r.acc = isFloat(t) ? "double" : "long long";
    r.init = "0";
    return;
  }
}

std::string reductionOperandType(const Reduction &r) {
  return dtypeCppName(r.node->operands[0]->type.dtype);
}

std::string laneVectorType(const std::string &elem) {
  std::string n = "gc_v16_" + elem;
  std::replace(n.begin(), n.end(), ' ', '_');
  return n;
}

std::string laneTypedefs(const std::vector<Reduction> &reds) {
  std::string s;
  std::vector<std::string> done;
  for (const Reduction &r : reds)
    for (const std::string &t : {r.acc, reductionOperandType(r)})
      if (std::find(done.begin(), done.end(), t) == done.end()) {
        done.push_back(t);
        s += "typedef " + t + " " + laneVectorType(t) + " __attribute__((vector_size(" +
             std::to_string(kReductionLanes) + " * sizeof(" + t + "))));\n";
      }
  return s;
}

std::string declareAccumulator(const Reduction &r, int lanes) {
  std::string a = "a" + std::to_string(r.node->id);
  if (lanes > 1) // vector + scalar broadcasts the scalar (GCC and clang)
    return laneVectorType(r.acc) + " " + a + " = " + laneVectorType(r.acc) + "{} + (" +
           r.acc + ")(" + r.init + ");\n";
  return r.acc + " " + a + "[1] = {" + r.init + "};\n";
}

// The strip is staged in a plain array, not a vector indexed by lane: a
// store into a vector at a variable lane only becomes SIMD code once the
// lane loop is fully unrolled (clang does so at -O3, not at -O2, and the
// unrolled form costs compile time), while stores into an array vectorize
// as an ordinary loop and the array is then read back as one vector.
std::string stageVector(const Reduction &r) {
  return reductionOperandType(r) + " z" + std::to_string(r.node->id) + "[" +
         std::to_string(kReductionLanes) + "];\n";
}

std::string addStaged(const Reduction &r) {
  std::string id = std::to_string(r.node->id), a = "a" + id, z = "zv" + id;
  std::string vec = laneVectorType(r.acc);
  std::string load = laneVectorType(reductionOperandType(r)) + " " + z +
                     "; __builtin_memcpy(&" + z + ", z" + id + ", sizeof " + z + "); ";
  if (reductionOperandType(r) != r.acc) z = "__builtin_convertvector(" + z + ", " + vec + ")";
  if (!isExtremum(r)) return "{ " + load + a + " += " + z + "; }\n";
  // NaN wins, as in gc_max/gc_min: (c > a) | (c != c) selects c.
  const char *cmp = r.node->op == OpKind::Max ? " > " : " < ";
  return "{ " + load + "const " + vec + " c = " + z + "; " + a + " = ((c" + cmp + a +
         ") | (c != c)) ? c : " + a + "; }\n";
}

std::string accumulateLane(const Reduction &r, const std::string &lane,
                           const std::string &x) {
  std::string a = "a" + std::to_string(r.node->id) + "[" + lane + "]";
  if (isExtremum(r))
    return a + " = gc_" + (r.node->op == OpKind::Max ? "max" : "min") + "<" + r.acc +
           ">(" + a + ", " + x + ");\n";
  return a + " += (" + r.acc + ")" + x + ";\n";
}

std::string combineValues(const Reduction &r, const std::string &x,
                          const std::string &y) {
  if (r.node->op == OpKind::Max) return "gc_max<" + r.acc + ">(" + x + ", " + y + ")";
  if (r.node->op == OpKind::Min) return "gc_min<" + r.acc + ">(" + x + ", " + y + ")";
  return "(" + x + " + " + y + ")";
}

std::string laneTree(const Reduction &r, const std::string &a, int lo, int hi) {
  if (hi - lo == 1) return a + "[" + std::to_string(lo) + "]";
  int mid = (lo + hi) / 2;
  return combineValues(r, laneTree(r, a, lo, mid), laneTree(r, a, mid, hi));
}

std::string reductionResult(const Reduction &r, const std::string &x) {
  std::string T = dtypeCppName(r.node->type.dtype);
  if (r.node->op == OpKind::Mean)
    return "(" + T + ")(" + x + " / " + std::to_string(r.count) + ".0)";
  return "(" + T + ")(" + x + ")";
}

std::string storeResult(const Reduction &r, const std::string &idx,
                        const std::string &val) {
  return r.home + "[" + idx + "] = " + val + ";\n" + storeExtras(r, idx, val);
}

std::string storeExtras(const Reduction &r, const std::string &idx,
                        const std::string &val) {
  std::string s;
  for (const Sink &k : r.extras) {
    std::string dst = k.name + "[" + idx + "]";
    if (k.grad)
      s += "if (" + k.name + ") " + dst + " = acc ? " + dst + " + " + val + " : " + val +
           ";\n";
    else
      s += dst + " = " + val + ";\n";
  }
  return s;
}

int64_t keptCount(const Reduction &r, const LoopSpace &space) {
  // Not numel / count: that is 0 / 0 for an empty reduced dim.
  int64_t n = 1;
  for (int i = 0; i < space.rank(); ++i)
    if (!r.reduced[i]) n *= space.dims()[i];
  return n;
}

std::string initInPlace(const Reduction &r, const LoopSpace &space) {
  return "for (long long q = 0; q < " + num(keptCount(r, space)) + "; ++q) " + r.home +
         "[q] = " + r.init + ";\n";
}

std::string finishInPlace(const Reduction &r, const LoopSpace &space) {
  std::string T = dtypeCppName(r.node->type.dtype), n = num(keptCount(r, space));
  std::string s;
  if (r.node->op == OpKind::Mean)
    s += "for (long long q = 0; q < " + n + "; ++q) " + r.home + "[q] = (" + T +
         ")((double)" + r.home + "[q] / " + std::to_string(r.count) + ".0);\n";
  if (!r.extras.empty())
    s += "for (long long q = 0; q < " + n + "; ++q) {\n" +
         storeExtras(r, "q", r.home + "[q]") + "}\n";
  return s;
}

std::string finishPartials(const Reduction &r, int64_t blocks) {
  std::string p = "part" + std::to_string(r.node->id);
  std::string s = "{ " + r.acc + " t = " + p + "[0];\nfor (long long q = 1; q < " +
                  num(blocks) + "; ++q) t = " + combineValues(r, "t", p + "[q]") + ";\n";
  return s + "const " + std::string(dtypeCppName(r.node->type.dtype)) + " r = " +
         reductionResult(r, "t") + ";\n" + storeResult(r, "0", "r") + "}\n";
}

} // namespace gradc
