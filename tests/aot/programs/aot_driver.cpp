// Runs any ahead-of-time build through its generated class, generically
// (kInputs / kOutputs / kGrads and input_data() ...), for tests/aot:
//
//   aot_driver inputs  print the inputs it uses, as a `gradc run --inputs`
//                      file, so the JIT can be given the same values
//   aot_driver run     m.run() and print outputs and gradients in the JSON
//                      format of `gradc run --format json`
//
// `run` also checks the class against itself (exit 1 on a mismatch):
// forward() + backward() gives run()'s numbers, run(true) adds, a moved
// object keeps its state, set_input_*_data() reads the caller's buffer.
//
// Build: c++ -std=c++17 -I DIR -DGRADC_AOT_HEADER='"Name.h"'
//          -DGRADC_AOT_CLASS=ns::Name aot_driver.cpp Name.cpp -lopenblas -lm
#include GRADC_AOT_HEADER

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using Model = GRADC_AOT_CLASS;

namespace {

/// A deterministic value of element j of input i, in [-0.5, 0.5).
double inputValue(int i, long long j) {
  return static_cast<double>((j * 37 + i * 11) % 101) / 101.0 - 0.5;
}

double get(const void *p, Model::DType t, long long j) {
  switch (t) {
  case Model::DType::F32: return static_cast<const float *>(p)[j];
  case Model::DType::F64: return static_cast<const double *>(p)[j];
  case Model::DType::I32: return static_cast<const int *>(p)[j];
  case Model::DType::I64: return static_cast<double>(static_cast<const long long *>(p)[j]);
  case Model::DType::Bool: return static_cast<const bool *>(p)[j];
  }
  return 0;
}

void set(void *p, Model::DType t, long long j, double v) {
  switch (t) {
  case Model::DType::F32: static_cast<float *>(p)[j] = static_cast<float>(v); break;
  case Model::DType::F64: static_cast<double *>(p)[j] = v; break;
  case Model::DType::I32: static_cast<int *>(p)[j] = static_cast<int>(j % 3); break;
  case Model::DType::I64: static_cast<long long *>(p)[j] = j % 3; break;
  case Model::DType::Bool: static_cast<bool *>(p)[j] = j % 2; break;
  }
}

void fillInputs(Model &m) {
  for (int i = 0; i < Model::kNumInputs; ++i) {
    const Model::TensorSpec &s = Model::kInputs[i];
    for (long long j = 0; j < s.numel; ++j) set(m.input_data(i), s.dtype, j, inputValue(i, j));
  }
}

void printTensor(const Model::TensorSpec &s, const void *data) {
  std::printf("\"");
  for (const char *c = s.name; *c; ++c) {
    if (*c == '"' || *c == '\\') std::printf("\\");
    std::printf("%c", *c);
  }
  std::printf("\": {\"shape\": [");
  for (int d = 0; d < s.rank; ++d) std::printf("%s%lld", d ? ", " : "", s.shape[d]);
  std::printf("], \"data\": [");
  for (long long j = 0; j < s.numel; ++j)
    std::printf("%s%.17g", j ? ", " : "", get(data, s.dtype, j));
  std::printf("]}");
}

std::vector<double> grads(Model &m) {
  std::vector<double> r;
  for (int j = 0; j < Model::kNumGrads; ++j)
    for (long long e = 0; e < Model::kGrads[j].numel; ++e)
      r.push_back(get(m.grad_data(j), Model::kGrads[j].dtype, e));
  return r;
}

bool close(const std::vector<double> &a, const std::vector<double> &b, double scale) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - scale * b[i]) > 1e-5 * (1 + std::fabs(scale * b[i]))) return false;
  return true;
}

int selfCheck(const std::vector<double> &fused) {
  Model m;
  fillInputs(m);
  if (m.forward() != 0) return std::fprintf(stderr, "forward() returned a status\n"), 1;
  if (!m.backward()) return std::fprintf(stderr, "backward without context\n"), 1;
  if (!close(grads(m), fused, 1)) return std::fprintf(stderr, "forward+backward != run\n"), 1;
  if (!m.backward(true) || !close(grads(m), fused, 2))
    return std::fprintf(stderr, "a second backward did not accumulate\n"), 1;
  m.run(true);
  if (!close(grads(m), fused, 3)) return std::fprintf(stderr, "run(true) did not accumulate\n"), 1;
  if (m.backward()) return std::fprintf(stderr, "run() did not end the context\n"), 1;
  Model moved = std::move(m);
  moved.run();
  if (!close(grads(moved), fused, 1)) return std::fprintf(stderr, "a moved object differs\n"), 1;
  moved.zero_grads();
  if (!close(grads(moved), fused, 0)) return std::fprintf(stderr, "zero_grads\n"), 1;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "run";
  Model m;
  fillInputs(m);
  if (mode == "inputs") {
    std::printf("{");
    for (int i = 0; i < Model::kNumInputs; ++i) {
      std::printf("%s", i ? ", " : "");
      printTensor(Model::kInputs[i], m.input_data(i));
    }
    std::printf("}\n");
    return 0;
  }
  // 0: no index read from the data was out of range.
  if (unsigned long long st = m.run())
    return std::fprintf(stderr, "run() returned status %llx\n", st), 1;
  std::printf("{\"outputs\": {");
  for (int k = 0; k < Model::kNumOutputs; ++k) {
    std::printf("%s", k ? ", " : "");
    printTensor(Model::kOutputs[k], m.output_data(k));
  }
  std::printf("}, \"grads\": {");
  for (int j = 0; j < Model::kNumGrads; ++j) {
    std::printf("%s", j ? ", " : "");
    printTensor(Model::kGrads[j], m.grad_data(j));
  }
  std::printf("}}\n");
  return selfCheck(grads(m));
}
