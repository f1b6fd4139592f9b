// Runs one ahead-of-time build from several threads at once, each thread
// with its own object (own buffers and workspace) and all of them reading
// one shared, read-only input buffer; built with -fsanitize=thread by
// tests/aot/tsan_aot.sh. Every thread's gradients must equal a
// single-threaded reference, and ThreadSanitizer must stay silent: the
// generated code has no mutable globals and the class shares nothing.
#include GRADC_AOT_HEADER

#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

using Model = GRADC_AOT_CLASS;

namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 25;

void fill(Model &m) {
  for (int i = 0; i < Model::kNumInputs; ++i) {
    const Model::TensorSpec &s = Model::kInputs[i];
    unsigned char *p = static_cast<unsigned char *>(m.input_data(i));
    for (unsigned long long b = 0; b < s.bytes; ++b)
      p[b] = static_cast<unsigned char>(b * 13 + i); // any bit pattern
    if (s.dtype == Model::DType::F32)
      for (long long j = 0; j < s.numel; ++j)
        reinterpret_cast<float *>(p)[j] = float(j % 7) / 7 - 0.4f;
    if (s.dtype == Model::DType::F64)
      for (long long j = 0; j < s.numel; ++j)
        reinterpret_cast<double *>(p)[j] = double(j % 5) / 5 - 0.3;
  }
}

std::vector<unsigned char> gradBytes(Model &m) {
  std::vector<unsigned char> r;
  for (int j = 0; j < Model::kNumGrads; ++j) {
    const unsigned char *p = static_cast<const unsigned char *>(m.grad_data(j));
    r.insert(r.end(), p, p + Model::kGrads[j].bytes);
  }
  return r;
}

} // namespace

int main() {
  Model reference;
  fill(reference);
  reference.run();
  const std::vector<unsigned char> want = gradBytes(reference);
  // Input 0 is read by every thread from the reference's buffer.
  const void *shared = reference.input_data(0);

  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Model m;
      fill(m);
      static_assert(Model::kNumInputs > 0, "the test graph has inputs");
      std::memcpy(m.input_data(0), shared, Model::kInputs[0].bytes);
      for (int r = 0; r < kRounds; ++r) {
        if (r % 2) {
          m.run();
        } else {
          m.forward();
          m.backward();
        }
        if (gradBytes(m) != want) ++failures[t];
      }
    });
  for (std::thread &t : threads) t.join();
  int bad = 0;
  for (int t = 0; t < kThreads; ++t) {
    if (failures[t]) std::fprintf(stderr, "thread %d: %d wrong results\n", t, failures[t]);
    bad += failures[t];
  }
  std::printf("%d threads x %d rounds: %s\n", kThreads, kRounds, bad ? "MISMATCH" : "ok");
  return bad ? 1 : 0;
}
