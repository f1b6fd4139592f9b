//===- codegen/ReductionCode.cpp - Code of the reductions of a loop -------===//
#include "codegen/ReductionCode.h"

#include "codegen/CodeWriter.h"
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
/// `text` as one statement line of kernel code.
std::string statement(const std::string &text) {
  CodeWriter w(0, kKernelStep);
  w.line(text);
  return w.str();
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
  CodeWriter w(0, kKernelStep);
  std::vector<std::string> done;
  for (const Reduction &r : reds)
    for (const std::string &t : {r.acc, reductionOperandType(r)})
      if (std::find(done.begin(), done.end(), t) == done.end()) {
        done.push_back(t);
        w.line("typedef " + t + " " + laneVectorType(t) + " __attribute__((vector_size(" +
               std::to_string(kReductionLanes) + " * sizeof(" + t + "))));");
      }
  return w.str();
}

std::string declareAccumulator(const Reduction &r, int lanes) {
  std::string a = "a" + std::to_string(r.node->id);
  if (lanes > 1) // vector + scalar broadcasts the scalar (GCC and clang)
    return statement(laneVectorType(r.acc) + " " + a + " = " + laneVectorType(r.acc) +
                     "{} + (" + r.acc + ")(" + r.init + ");");
  return statement(r.acc + " " + a + "[1] = {" + r.init + "};");
}

// The strip is staged in a plain array, not a vector indexed by lane: a
// store into a vector at a variable lane only becomes SIMD code once the
// lane loop is fully unrolled (clang does so at -O3, not at -O2, and the
// unrolled form costs compile time), while stores into an array vectorize
// as an ordinary loop and the array is then read back as one vector.
std::string stageVector(const Reduction &r) {
  return statement(reductionOperandType(r) + " z" + std::to_string(r.node->id) + "[" +
                   std::to_string(kReductionLanes) + "];");
}

std::string addStaged(const Reduction &r) {
  std::string id = std::to_string(r.node->id), a = "a" + id, z = "zv" + id;
  std::string vec = laneVectorType(r.acc);
  std::string load = laneVectorType(reductionOperandType(r)) + " " + z +
                     "; __builtin_memcpy(&" + z + ", z" + id + ", sizeof " + z + "); ";
  if (reductionOperandType(r) != r.acc) z = "__builtin_convertvector(" + z + ", " + vec + ")";
  if (!isExtremum(r)) return statement("{ " + load + a + " += " + z + "; }");
  // NaN wins, as in gc_max/gc_min: (c > a) | (c != c) selects c.
  const char *cmp = r.node->op == OpKind::Max ? " > " : " < ";
  return statement("{ " + load + "const " + vec + " c = " + z + "; " + a + " = ((c" + cmp +
                   a + ") | (c != c)) ? c : " + a + "; }");
}

std::string accumulateLane(const Reduction &r, const std::string &lane,
                           const std::string &x) {
  std::string a = "a" + std::to_string(r.node->id) + "[" + lane + "]";
  if (isExtremum(r))
    return statement(a + " = gc_" + (r.node->op == OpKind::Max ? "max" : "min") + "<" +
                     r.acc + ">(" + a + ", " + x + ");");
  return statement(a + " += (" + r.acc + ")" + x + ";");
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
  return statement(r.home + "[" + idx + "] = " + val + ";") + storeExtras(r, idx, val);
}

std::string storeExtras(const Reduction &r, const std::string &idx,
                        const std::string &val) {
  CodeWriter w(0, kKernelStep);
  for (const Sink &k : r.extras) {
    std::string dst = k.name + "[" + idx + "]";
    if (k.grad)
      w.line("if (" + k.name + ") " + dst + " = acc ? " + dst + " + " + val + " : " + val +
             ";");
    else
      w.line(dst + " = " + val + ";");
  }
  return w.str();
}

int64_t keptCount(const Reduction &r, const LoopSpace &space) {
  // Not numel / count: that is 0 / 0 for an empty reduced dim.
  int64_t n = 1;
  for (int i = 0; i < space.rank(); ++i)
    if (!r.reduced[i]) n *= space.dims()[i];
  return n;
}

std::string initInPlace(const Reduction &r, const LoopSpace &space) {
  return statement("for (long long q = 0; q < " + num(keptCount(r, space)) + "; ++q) " +
                   r.home + "[q] = " + r.init + ";");
}

std::string finishInPlace(const Reduction &r, const LoopSpace &space) {
  std::string T = dtypeCppName(r.node->type.dtype), n = num(keptCount(r, space));
  CodeWriter w(0, kKernelStep);
  if (r.node->op == OpKind::Mean)
    w.line("for (long long q = 0; q < " + n + "; ++q) " + r.home + "[q] = (" + T +
           ")((double)" + r.home + "[q] / " + std::to_string(r.count) + ".0);");
  if (!r.extras.empty()) {
    w.open("for (long long q = 0; q < " + n + "; ++q)");
    w.lines(storeExtras(r, "q", r.home + "[q]"));
    w.close();
  }
  return w.str();
}

std::string finishPartials(const Reduction &r, int64_t blocks) {
  std::string p = "part" + std::to_string(r.node->id);
  CodeWriter w(0, kKernelStep);
  w.openLine("{ " + r.acc + " t = " + p + "[0];");
  w.line("for (long long q = 1; q < " + num(blocks) + "; ++q) t = " +
         combineValues(r, "t", p + "[q]") + ";");
  w.line("const " + std::string(dtypeCppName(r.node->type.dtype)) + " r = " +
         reductionResult(r, "t") + ";");
  w.lines(storeResult(r, "0", "r"));
  w.close();
  return w.str();
}

} // namespace gradc
