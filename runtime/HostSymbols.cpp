//===- runtime/HostSymbols.cpp - Functions generated code calls -----------===//
#include "runtime/HostSymbols.h"

#include "runtime/Blas.h"
#include "runtime/ThreadPool.h"

#include <cmath>
#include <cstdlib>

namespace gradc {

std::map<std::string, void *> hostSymbols() {
  // Casting through a typed pointer picks the C overload of each name.
  using F1 = float (*)(float);
  using D1 = double (*)(double);
  using F2 = float (*)(float, float);
  using D2 = double (*)(double, double);
  return {
      {"expf", (void *)static_cast<F1>(::expf)},
      {"logf", (void *)static_cast<F1>(::logf)},
      {"sqrtf", (void *)static_cast<F1>(::sqrtf)},
      {"fabsf", (void *)static_cast<F1>(::fabsf)},
      {"sinf", (void *)static_cast<F1>(::sinf)},
      {"cosf", (void *)static_cast<F1>(::cosf)},
      {"tanhf", (void *)static_cast<F1>(::tanhf)},
      {"powf", (void *)static_cast<F2>(::powf)},
      {"exp", (void *)static_cast<D1>(::exp)},
      {"log", (void *)static_cast<D1>(::log)},
      {"sqrt", (void *)static_cast<D1>(::sqrt)},
      {"fabs", (void *)static_cast<D1>(::fabs)},
      {"sin", (void *)static_cast<D1>(::sin)},
      {"cos", (void *)static_cast<D1>(::cos)},
      {"tanh", (void *)static_cast<D1>(::tanh)},
      {"pow", (void *)static_cast<D2>(::pow)},
      {"erff", (void *)static_cast<F1>(::erff)},
      {"log1pf", (void *)static_cast<F1>(::log1pf)},
      {"expm1f", (void *)static_cast<F1>(::expm1f)},
      {"erf", (void *)static_cast<D1>(::erf)},
      {"log1p", (void *)static_cast<D1>(::log1p)},
      {"expm1", (void *)static_cast<D1>(::expm1)},
      // BLAS is loaded on first use (runtime/Blas.h).
      {"cblas_sgemm", (void *)&gradc_cblas_sgemm},
      {"cblas_dgemm", (void *)&gradc_cblas_dgemm},
      {"gradc_parallel_for", (void *)&gradc_parallel_for},
      // Temporaries for gradients the caller does not want (null pointers).
      {"calloc", (void *)&::calloc},
      {"free", (void *)&::free},
  };
}

} // namespace gradc
