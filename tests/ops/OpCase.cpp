//===- tests/ops/OpCase.cpp - Random test graphs over the op set ----------===//
#include "OpCase.h"

#include "frontend/Decompositions.h"
#include "ir/Error.h"

#include "runtime/GradCheck.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace gradc::test {

namespace {

/// Worst FD relative error and f32-vs-f64 difference per case label.
struct Result {
  double fd = 0, f32 = 0;
};
std::map<std::string, Result> &results() {
  static std::map<std::string, Result> r;
  return r;
}

/// Prints every case's numbers once all tests ran.
class Summary : public ::testing::Environment {
public:
  void TearDown() override {
    if (results().empty()) return;
    std::printf("\nworst relative error per case: finite differences (f64) | "
                "f32 vs f64\n");
    for (const auto &kv : results())
      std::printf("  %-28s %.2e | %.2e\n", kv.first.c_str(), kv.second.fd,
                  kv.second.f32);
  }
};
[[maybe_unused]] ::testing::Environment *const kSummary =
    ::testing::AddGlobalTestEnvironment(new Summary);

/// The largest |a - b| over the scale max|b|, or infinity when the
/// non-finite entries differ.
double relDiff(const Tensor &a, const Tensor &b) {
  double scale = 0, diff = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    double x = a.get(i), y = b.get(i);
    if (!std::isfinite(x) || !std::isfinite(y)) {
      bool same = (std::isnan(x) && std::isnan(y)) || x == y;
      if (!same) return INFINITY;
      continue;
    }
    scale = std::max(scale, std::fabs(y));
    diff = std::max(diff, std::fabs(x - y));
  }
  return diff == 0 ? 0 : diff / std::max(scale, 1e-30);
}

} // namespace

Shape Case::shape(int minRank, int maxRank, int64_t maxDim) {
  Shape s(static_cast<size_t>(randInt(minRank, maxRank)));
  for (int64_t &d : s) d = randInt(1, maxDim);
  return s;
}

Shape Case::broadcastable(const Shape &full) {
  size_t drop = static_cast<size_t>(randInt(0, static_cast<int64_t>(full.size())));
  Shape s(full.begin() + drop, full.end());
  for (int64_t &d : s)
    if (randInt(0, 2) == 0) d = 1;
  return s;
}

Node *Case::input(const Shape &shape, Dist d, bool grad) {
  std::string name = "x" + std::to_string(inputs_.size());
  Node *n = b_.addInput(name, {dt_, shape}, grad, {});
  Tensor t(dt_, shape);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uni(0, 1);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = 0;
    switch (d) {
    case Dist::Normal: v = normal(rng_); break;
    case Dist::Positive: v = 0.5 + 2 * uni(rng_); break;
    case Dist::NonZero: v = (coin() ? 1 : -1) * (0.5 + 1.5 * uni(rng_)); break;
    case Dist::Labels: v = 0; break;
    }
    // f32-representable, so the f32 and f64 builds see the same values.
    t.set(i, static_cast<double>(static_cast<float>(v)));
  }
  inputs_.emplace(name, std::move(t));
  return n;
}

Node *Case::labels(const Shape &shape, int64_t classes, bool withIgnored,
                   DType dtype) {
  std::string name = "x" + std::to_string(inputs_.size());
  Node *n = b_.addInput(name, {dtype, shape}, false, {});
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.set(i, withIgnored && randInt(0, 3) == 0 ? -100 : randInt(0, classes - 1));
  inputs_.emplace(name, std::move(t));
  return n;
}

Node *Case::op(OpKind k, const std::vector<BuildOperand> &operands,
               AttrMap attrs, bool noGrad) {
  return b_.addOp(k, operands, std::move(attrs), "n" + std::to_string(names_++),
                  noGrad);
}

Node *Case::composite(const std::string &name,
                      const std::vector<BuildOperand> &operands,
                      AttrMap attrs) {
  const Decomposition *d = findDecomposition(name);
  if (!d) throw Error("no composite op '" + name + "'");
  return expandComposite(*d, b_, operands, attrs,
                         "n" + std::to_string(names_++), false);
}

const Compiler &testCompiler() {
  // -O1, the default, spelled out: the finite-difference checks should not
  // depend on what the default becomes.
  static const CompileOptions opts = [] {
    CompileOptions o;
    o.optLevel = 1;
    return o;
  }();
  static Compiler c(opts);
  return c;
}

double checkCase(const std::string &label, uint64_t seed, void (*build)(Case &),
                 double fdTol, double f32Tol) {
  Case c64(DType::F64, seed), c32(DType::F32, seed);
  build(c64);
  build(c32);
  std::unique_ptr<Graph> g64 = c64.finish(), g32 = c32.finish();
  auto cg64 = testCompiler().compile(*g64);
  auto cg32 = testCompiler().compile(*g32);

  // Random cotangents for every output that requires grad.
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::normal_distribution<double> normal;
  GradCheckOptions opts;
  std::map<std::string, Tensor> seeds32;
  for (const TensorArg &o : cg64->info().outputs) {
    if (!o.requiresGrad) continue;
    Tensor s64(DType::F64, o.type.shape), s32(DType::F32, o.type.shape);
    for (int64_t i = 0; i < s64.numel(); ++i) {
      double v = static_cast<float>(normal(rng));
      s64.set(i, v);
      s32.set(i, v);
    }
    opts.roots.push_back(o.name);
    opts.seeds.emplace(o.name, std::move(s64));
    seeds32.emplace(o.name, std::move(s32));
  }
  for (const auto &kv : c64.inputs())
    opts.inputs.emplace(kv.first, Tensor::fromDoubles(kv.second.dtype(),
                                                      kv.second.shape(),
                                                      kv.second.toDoubles()));
  GradCheckReport rep = checkGradients(*g64, testCompiler(), opts);
  EXPECT_FALSE(rep.inputs.empty()) << label << ": no input requires grad";
  for (const InputGradCheck &ic : rep.inputs)
    EXPECT_LE(ic.maxExcessError, fdTol)
        << label << ": gradient of " << ic.name << " at flat index "
        << ic.worstIndex << ": gradc " << ic.analytic << ", finite difference "
        << ic.numeric;

  // The same graph in f32 against f64.
  Session s64(*cg64), s32(*cg32);
  std::vector<Root> r64, r32;
  for (const auto &kv : c64.inputs()) s64.setInput(kv.first, kv.second);
  for (const auto &kv : c32.inputs()) s32.setInput(kv.first, kv.second);
  for (const std::string &r : opts.roots) {
    r64.push_back({r, &opts.seeds.at(r)});
    r32.push_back({r, &seeds32.at(r)});
  }
  s64.runFused(r64, false);
  s32.runFused(r32, false);
  double f32 = 0;
  for (const TensorArg &o : cg64->info().outputs)
    f32 = std::max(f32, relDiff(s32.output(o.name), s64.output(o.name)));
  for (size_t i : cg64->info().gradInputs) {
    const std::string &name = cg64->info().inputs[i].name;
    const Tensor *a = s32.grad(name), *b = s64.grad(name);
    EXPECT_TRUE(a && b) << label << ": no gradient for " << name;
    if (a && b) f32 = std::max(f32, relDiff(*a, *b));
  }
  EXPECT_LE(f32, f32Tol) << label << ": f32 results differ from f64";
  Result &res = results()[label];
  res.fd = std::max(res.fd, rep.worstRelError());
  res.f32 = std::max(res.f32, f32);
  return rep.worstRelError();
}

} // namespace gradc::test
