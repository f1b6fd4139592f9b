//===- bench/gemm_candidates.cpp - The f32 GEMMs of the model steps -------===//
//
// The sgemm shapes the example models' training steps call, timed on the
// same data in one process for:
//
//   OpenBLAS   cblas_sgemm of the OpenBLAS this program links (whatever
//              kernels OPENBLAS_CORETYPE, if set, selects);
//   oneDNN     dnnl_sgemm, which dispatches on the CPU it runs on;
//   gradc      the runtime's cblas_sgemm, the function generated code calls
//              (runtime/Blas.h: oneDNN's sgemm when it is installed, unless
//              GRADC_GEMM=openblas), to show what the forwarding costs.
//
// Each cell is the median of R samples, each the mean of enough calls to
// last T ms, with the fastest and slowest sample in brackets; then GFLOP/s
// of the median and the ratio OpenBLAS / oneDNN. Run it shielded from other
// load (docs/performance.md, "f32 GEMM").
//
//   gemm_candidates [--threads N] [--repeats R] [--min-sample-ms T]
//
//===----------------------------------------------------------------------===//
#include "runtime/Blas.h"
#include "runtime/ThreadPool.h"

#include <cblas.h>
#include <dnnl.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

/// One row-major product C[m x n] = op(A) op(B), k the inner size.
struct Shape {
  const char *where;
  bool transA, transB;
  int m, n, k;
};

// GPT (batch 16, context 64, width 128, 4 heads): the rows are B*T = 1024.
// MLP 784-512-512-10 at batch 128. LeNet-5 conv2 at batch 64: one image's
// forward GEMM (w [16, 150] by the column matrix [150, 100]).
const Shape kShapes[] = {
    {"gpt qkv forward", false, false, 1024, 384, 128},
    {"gpt qkv input grad", false, true, 1024, 128, 384},
    {"gpt qkv weight grad", true, false, 128, 384, 1024},
    {"gpt mlp up forward", false, false, 1024, 512, 128},
    {"gpt mlp down forward", false, false, 1024, 128, 512},
    {"gpt mlp weight grad", true, false, 512, 128, 1024},
    {"gpt head forward", false, false, 1024, 65, 128},
    {"gpt attention scores", false, true, 64, 64, 32},
    {"mlp layer 1 forward", false, false, 128, 512, 784},
    {"mlp layer 1 weight grad", true, false, 784, 512, 128},
    {"lenet conv2 per image", false, false, 16, 100, 150},
};

struct Sample {
  double median, lo, hi;
};

Sample timeIt(const std::function<void()> &f, int repeats, double minMs) {
  using Clock = std::chrono::steady_clock;
  f(); // Warm: kernels chosen, packing buffers allocated.
  std::vector<double> us;
  for (int r = 0; r < repeats; ++r) {
    long long calls = 0;
    auto start = Clock::now();
    double elapsed = 0;
    do {
      f();
      ++calls;
      elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    } while (elapsed < minMs);
    us.push_back(elapsed * 1000.0 / double(calls));
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us.front(), us.back()};
}

std::string cell(const Sample &s, double flops) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%8.1f [%.1f-%.1f] %5.0f GF", s.median, s.lo, s.hi,
                flops / s.median / 1e3);
  return buf;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 1, repeats = 7;
  double minMs = 20;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--repeats" && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (a == "--min-sample-ms" && i + 1 < argc) minMs = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "gemm_candidates: unknown argument '%s' "
                           "(--threads N --repeats R --min-sample-ms T)\n",
                   a.c_str());
      return 2;
    }
  }
  if (threads < 1 || repeats < 1) {
    std::fprintf(stderr, "gemm_candidates: --threads and --repeats take a positive count\n");
    return 2;
  }
  gradc::setNumThreads(threads);
  openblas_set_num_threads(threads);
  omp_set_num_threads(threads);
  gradc::loadBlas();
  const char *core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("threads: %d; OPENBLAS_CORETYPE=%s; gradc's sgemm runs on %s; "
              "%d samples of >= %.0f ms; us per call\n",
              threads, core ? core : "(unset)", gradc::sgemmLibrary(), repeats, minMs);
  std::printf("%-26s %-16s %-30s %-30s %-30s %s\n", "shape", "m n k", "OpenBLAS", "oneDNN",
              "gradc", "OpenBLAS / oneDNN");
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.f, 1.f);
  for (const Shape &s : kShapes) {
    std::vector<float> a(size_t(s.m) * s.k), b(size_t(s.k) * s.n), c(size_t(s.m) * s.n);
    for (float &v : a) v = dist(rng);
    for (float &v : b) v = dist(rng);
    int lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n;
    CBLAS_TRANSPOSE ta = s.transA ? CblasTrans : CblasNoTrans;
    CBLAS_TRANSPOSE tb = s.transB ? CblasTrans : CblasNoTrans;
    Sample blas = timeIt(
        [&] {
          cblas_sgemm(CblasRowMajor, ta, tb, s.m, s.n, s.k, 1.f, a.data(), lda, b.data(),
                      ldb, 0.f, c.data(), s.n);
        },
        repeats, minMs);
    Sample dnnl = timeIt(
        [&] {
          dnnl_sgemm(s.transA ? 'T' : 'N', s.transB ? 'T' : 'N', s.m, s.n, s.k, 1.f,
                     a.data(), lda, b.data(), ldb, 0.f, c.data(), s.n);
        },
        repeats, minMs);
    Sample ours = timeIt(
        [&] {
          gradc_cblas_sgemm(101, s.transA ? 112 : 111, s.transB ? 112 : 111, s.m, s.n,
                            s.k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c.data(), s.n);
        },
        repeats, minMs);
    double flops = 2.0 * s.m * s.n * s.k;
    char mnk[32];
    std::snprintf(mnk, sizeof mnk, "%d %d %d", s.m, s.n, s.k);
    std::printf("%-26s %-16s %-30s %-30s %-30s %.2fx\n", s.where, mnk,
                cell(blas, flops).c_str(), cell(dnnl, flops).c_str(),
                cell(ours, flops).c_str(), blas.median / dnnl.median);
  }
  return 0;
}
