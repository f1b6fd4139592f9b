//===- codegen/EmitUtil.cpp - Small helpers of the C++ emitter ------------===//
#include "codegen/EmitUtil.h"

#include "ir/Attr.h"

#include <cmath>

namespace gradc {

std::string literal(double v, DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::F64: {
    bool f = dtype == DType::F32;
    if (std::isnan(v)) return f ? "__builtin_nanf(\"\")" : "__builtin_nan(\"\")";
    if (std::isinf(v))
      return std::string(v < 0 ? "(-" : "(") +
             (f ? "__builtin_inff()" : "__builtin_inf()") + ")";
    std::string s = formatDouble(v);
    if (f) {
      // Round to float first so the literal is exactly the f32 value.
      s = formatDouble(static_cast<double>(static_cast<float>(v)));
      if (std::isinf(static_cast<float>(v)))
        return v < 0 ? "(-__builtin_inff())" : "(__builtin_inff())";
      return "(" + s + "f)";
    }
    return "(" + s + ")";
  }
  case DType::I32:
    return "(" + std::to_string(static_cast<long long>(v)) + ")";
  case DType::I64:
    return "(" + std::to_string(static_cast<long long>(v)) + "LL)";
  case DType::Bool:
    return v != 0 ? "true" : "false";
  }
  return "0";
}

std::string emit::offsetExpr(const Shape &shape, const Shape &space,
                             const std::vector<std::string> &vars) {
  std::vector<int64_t> st = rowMajorStrides(shape);
  size_t lead = space.size() - shape.size();
  std::string e;
  for (size_t j = 0; j < shape.size(); ++j) {
    if (shape[j] == 1 && space[j + lead] != 1) continue;
    // Every term has its stride, 1 included: a stride that is a product of
    // sizes is 1 at some bindings only, and the expression keeps one form.
    e += (e.empty() ? "" : " + ") + vars[j + lead] + " * " + num(st[j]);
  }
  return e.empty() ? "0" : e;
}

std::string emit::gemmCall(bool f32, bool transA, bool transB, const std::string &m,
                           const std::string &n, const std::string &k, const std::string &a,
                           const std::string &lda, const std::string &b,
                           const std::string &ldb, const std::string &beta,
                           const std::string &c, const std::string &ldc) {
  return std::string(f32 ? "cblas_sgemm" : "cblas_dgemm") + "(101, " +
         (transA ? "112" : "111") + ", " + (transB ? "112" : "111") + ", " + m + ", " + n +
         ", " + k + ", " + (f32 ? "1.0f" : "1.0") + ", " + a + ", " + lda + ", " + b + ", " +
         ldb + ", " + beta + ", " + c + ", " + ldc + ");";
}

std::string batchIndices(const Shape &batch, const std::string &flat) {
  std::string r, div;
  for (size_t d = batch.size(); d-- > 0;) {
    r += std::string(r.empty() ? "const long long " : ", ") + "q" + std::to_string(d) + " = " +
         flat + div + " % " + emit::num(batch[d]);
    div += " / " + emit::num(batch[d]);
  }
  return r.empty() ? r : r + ";\n";
}

const char *const kPrelude = R"CPP(
// Before a loop whose floating-point sum may run in vector lanes (clang's
// hint; the JIT predefines no macros, so neither name is defined there).
#if defined(__clang__) || !defined(__GNUC__)
#define GC_REASSOCIABLE_LOOP _Pragma("clang loop vectorize(enable)")
#else
#define GC_REASSOCIABLE_LOOP
#endif
extern "C" {
float expf(float); float logf(float); float sqrtf(float); float fabsf(float);
float sinf(float); float cosf(float); float tanhf(float); float powf(float, float);
double exp(double); double log(double); double sqrt(double); double fabs(double);
double sin(double); double cos(double); double tanh(double); double pow(double, double);
float erff(float); float log1pf(float); float expm1f(float);
double erf(double); double log1p(double); double expm1(double);
void cblas_sgemm(int, int, int, int, int, int, float, const float *, int,
                 const float *, int, float, float *, int);
void cblas_dgemm(int, int, int, int, int, int, double, const double *, int,
                 const double *, int, double, double *, int);
void *calloc(decltype(sizeof(0)), decltype(sizeof(0))); void free(void *);
}
namespace {
// Max/min that propagate NaN like PyTorch.
template <typename T> inline T gc_max(T a, T b) { return (a > b || a != a) ? a : b; }
template <typename T> inline T gc_min(T a, T b) { return (a < b || a != a) ? a : b; }
// The status an entry point returns when a check fails (an index out of
// range): the 1-based check site in bits 48-63, the offending value in bits
// 0-47, saturated to that range (codegen/EntryStatus.h decodes it).
inline unsigned long long gc_index_status(unsigned long long site, long long v) {
  const long long lim = 140737488355327LL;
  v = v > lim ? lim : v < -lim - 1 ? -lim - 1 : v;
  return (site << 48) | ((unsigned long long)v & 0xFFFFFFFFFFFFULL);
}
// tanh of a float in a form loops vectorize (tanhf does not): for
// a = |x| < 0.5 the Taylor series to x^17 (truncation under 1e-9
// relative), else 1 - 2 / (e^2a + 1) with expf, which -fveclib maps to a
// vector call; a few ulp at most. e^2a = inf gives 1, NaN stays NaN, the
// sign is put back (-0 stays -0). `const`, as gc_erff below.
__attribute__((const)) inline float gc_tanhf(float x) {
  float a = x < 0 ? -x : x, a2 = a * a;
  float p = 5.90027440945586e-4f;
  p = p * a2 - 1.45583438705131826e-3f;
  p = p * a2 + 3.59212803657248102e-3f;
  p = p * a2 - 8.86323552990219657e-3f;
  p = p * a2 + 2.18694885361552028e-2f;
  p = p * a2 - 5.39682539682539683e-2f;
  p = p * a2 + 1.33333333333333333e-1f;
  p = p * a2 - 3.33333333333333333e-1f;
  p = p * a2 + 1.0f;
  float t = a < 0.5f ? a * p : 1.0f - 2.0f / (expf(2.0f * a) + 1.0f);
  return x < 0 ? -t : t;
}
// erf of a float in a form loops vectorize (erff does not: libmvec has no
// erf). For a = |x| < 1, a P(a^2); else 1 - e^-c^2 Q(1/c), c = min(a, 4)
// (erf rounds to 1 from a = 3.92 on), with expf, a vector call. P (degree
// 6) and Q (degree 8) are least-squares fits of erf(a)/a and of
// erfc(a) e^(a^2), relative error 1.2e-9 and 6.5e-8 before rounding. Over
// every float in [0, 6] the result is within 2.5 ulp of the exact erf
// (1.4e-7 absolute at most); erf(-x) = -erf(x), -0 and NaN kept.
// `const` (a function of x alone; expf sets no errno here): two calls on
// one value, as a GELU and its derivative in one loop make, become one
// before clang inlines them, else the loop calls the vector exp twice.
__attribute__((const)) inline float gc_erff(float x) {
  float a = x < 0 ? -x : x, u = a * a;
  float p = 7.854477008e-05f;
  p = p * u - 8.010393940e-04f;
  p = p * u + 5.188352894e-03f;
  p = p * u - 2.685382776e-02f;
  p = p * u + 1.128358543e-01f;
  p = p * u - 3.761262596e-01f;
  p = p * u + 1.128379107e+00f;
  float c = a < 4.0f ? a : 4.0f, t = 1.0f / (c < 1.0f ? 1.0f : c);
  float q = -1.137829944e-02f;
  q = q * t + 3.801715001e-02f;
  q = q * t + 3.990527708e-03f;
  q = q * t - 2.190268934e-01f;
  q = q * t + 4.809094667e-01f;
  q = q * t - 4.646539688e-01f;
  q = q * t + 4.015621543e-02f;
  q = q * t + 5.593163371e-01f;
  q = q * t + 2.530631027e-04f;
  float r = a < 1.0f ? a * p : 1.0f - expf(-c * c) * q;
  r = x < 0 ? -r : r;
  return x != x ? x : r;
}
}

)CPP";

} // namespace gradc
