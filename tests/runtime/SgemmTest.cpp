//===- tests/runtime/SgemmTest.cpp - The f32 GEMM generated code calls ----===//
//
// Generated code calls cblas_sgemm, which the runtime serves from oneDNN's
// sgemm when oneDNN is installed and from OpenBLAS otherwise (runtime/Blas.h,
// sgemmLibrary). Both are checked against a product in double precision over
// the CBLAS cases generated code and users can reach: both storage orders,
// every transpose pair, leading dimensions wider than the matrices, alpha
// and beta, and empty sizes. ctest runs this file a second time with
// GRADC_GEMM=openblas, so both libraries are covered on a machine that has
// both.
//
//===----------------------------------------------------------------------===//
#include "runtime/Blas.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace gradc;

namespace {

constexpr int kRowMajor = 101, kColMajor = 102, kNoTrans = 111, kTrans = 112;

/// One CBLAS call's arguments and buffers.
struct Case {
  int order, transA, transB, m, n, k, pad;
  float alpha, beta;
};

/// Element (i, j) of a matrix stored in `order` with leading dimension ld.
size_t at(int order, int i, int j, int ld) {
  return order == kRowMajor ? size_t(i) * ld + j : size_t(j) * ld + i;
}

/// Runs `c` through gradc_cblas_sgemm and checks every element of C against
/// the product in double precision, within a bound on f32 rounding
/// (k + 2 roundings of the sum of magnitudes).
void check(const Case &c, std::mt19937 &rng) {
  std::normal_distribution<float> dist(0.f, 1.f);
  // op(A) is m x k, op(B) is k x n; stored rows x cols before the transpose.
  int ar = c.transA == kNoTrans ? c.m : c.k, ac = c.transA == kNoTrans ? c.k : c.m;
  int br = c.transB == kNoTrans ? c.k : c.n, bc = c.transB == kNoTrans ? c.n : c.k;
  auto ld = [&](int rows, int cols) {
    return std::max(1, (c.order == kRowMajor ? cols : rows) + c.pad);
  };
  int lda = ld(ar, ac), ldb = ld(br, bc), ldc = ld(c.m, c.n);
  auto size = [&](int rows, int cols, int l) {
    return size_t(std::max(1, c.order == kRowMajor ? rows : cols)) * l;
  };
  std::vector<float> A(size(ar, ac, lda)), B(size(br, bc, ldb)), C(size(c.m, c.n, ldc));
  for (float &v : A) v = dist(rng);
  for (float &v : B) v = dist(rng);
  for (float &v : C) v = dist(rng);
  const std::vector<float> C0 = C;
  gradc_cblas_sgemm(c.order, c.transA, c.transB, c.m, c.n, c.k, c.alpha, A.data(),
                    lda, B.data(), ldb, c.beta, C.data(), ldc);
  auto a = [&](int i, int p) {
    return c.transA == kNoTrans ? A[at(c.order, i, p, lda)] : A[at(c.order, p, i, lda)];
  };
  auto b = [&](int p, int j) {
    return c.transB == kNoTrans ? B[at(c.order, p, j, ldb)] : B[at(c.order, j, p, ldb)];
  };
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) {
      double sum = 0, mag = 0;
      for (int p = 0; p < c.k; ++p) {
        sum += double(a(i, p)) * b(p, j);
        mag += std::fabs(double(a(i, p)) * b(p, j));
      }
      double c0 = C0[at(c.order, i, j, ldc)];
      double want = c.alpha * sum + c.beta * c0;
      double bound = (c.k + 2) * 6e-8 * (std::fabs(c.alpha) * mag + std::fabs(c.beta * c0)) + 1e-30;
      ASSERT_NEAR(C[at(c.order, i, j, ldc)], want, bound)
          << "order " << c.order << " trans " << c.transA << "/" << c.transB << " m " << c.m
          << " n " << c.n << " k " << c.k << " at (" << i << ", " << j << ")";
    }
  // The padding between rows (or columns) of C is not C's: left as it was.
  for (size_t e = 0; e < C.size(); ++e) {
    size_t inner = c.order == kRowMajor ? c.n : c.m, outer = e / ldc;
    bool inside = e % ldc < inner && outer < size_t(c.order == kRowMajor ? c.m : c.n);
    if (!inside) {
      ASSERT_EQ(C[e], C0[e]) << "wrote outside C at " << e;
    }
  }
}

TEST(Sgemm, MatchesADoubleProductInEveryCblasForm) {
  std::mt19937 rng(7);
  for (int order : {kRowMajor, kColMajor})
    for (int ta : {kNoTrans, kTrans})
      for (int tb : {kNoTrans, kTrans})
        for (Case c : {Case{0, 0, 0, 16, 100, 150, 0, 1.f, 0.f},
                       Case{0, 0, 0, 37, 5, 64, 3, 1.f, 1.f},
                       Case{0, 0, 0, 1, 129, 7, 0, 0.5f, -2.f},
                       Case{0, 0, 0, 65, 1, 33, 1, 1.f, 0.f}}) {
          c.order = order;
          c.transA = ta;
          c.transB = tb;
          check(c, rng);
        }
}

TEST(Sgemm, EmptySizesLeaveCOrScaleIt) {
  std::mt19937 rng(8);
  // k = 0: C = beta C. m = 0 or n = 0: nothing to write.
  check(Case{kRowMajor, kNoTrans, kNoTrans, 4, 5, 0, 0, 1.f, 0.5f}, rng);
  check(Case{kRowMajor, kNoTrans, kTrans, 0, 5, 3, 0, 1.f, 0.f}, rng);
  check(Case{kColMajor, kTrans, kNoTrans, 4, 0, 3, 2, 1.f, 1.f}, rng);
}

struct PoolGemms {
  int m, n, k;
  const float *a, *b;
  float *c; ///< One m x n result per block.
};

void gemmPerBlock(void *args, long long b0, long long b1) {
  auto *g = static_cast<PoolGemms *>(args);
  for (long long blk = b0; blk < b1; ++blk)
    gradc_cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, g->m, g->n, g->k, 1.f,
                      g->a + blk * g->m * g->k, g->k, g->b, g->n, 0.f,
                      g->c + blk * g->m * g->n, g->n);
}

// GEMMs inside a job on two threads run on one thread each (blasSerialBegin)
// and give the bits of the same GEMMs called with one thread outside a job.
TEST(Sgemm, InsideAJobTheBitsOfOneThread) {
  const int before = numThreads();
  const int m = 48, n = 96, k = 200, blocks = 8;
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> a(size_t(blocks) * m * k), b(size_t(k) * n);
  for (float &v : a) v = dist(rng);
  for (float &v : b) v = dist(rng);
  std::vector<float> serial(size_t(blocks) * m * n), pooled(serial.size());
  setNumThreads(1);
  PoolGemms one{m, n, k, a.data(), b.data(), serial.data()};
  gemmPerBlock(&one, 0, blocks);
  setNumThreads(2);
  PoolGemms two{m, n, k, a.data(), b.data(), pooled.data()};
  gradc_parallel_for(gemmPerBlock, &two, blocks);
  setNumThreads(before);
  EXPECT_EQ(serial, pooled);
}

// The calling thread's OpenMP thread count is the host's: a GEMM on oneDNN
// sets gradc's count for the call only.
TEST(Sgemm, LeavesTheCallersOpenMPThreadCount) {
  loadBlas();
  if (std::string(sgemmLibrary()) != "oneDNN") GTEST_SKIP() << "f32 GEMMs run on OpenBLAS";
  void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(h, nullptr);
  auto set = reinterpret_cast<void (*)(int)>(dlsym(h, "omp_set_num_threads"));
  auto get = reinterpret_cast<int (*)()>(dlsym(h, "omp_get_max_threads"));
  ASSERT_TRUE(set && get);
  const int before = get();
  set(3);
  std::vector<float> a(64 * 64, 1.f), b(64 * 64, 2.f), c(64 * 64);
  gradc_cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, 64, 64, 64, 1.f, a.data(), 64, b.data(),
                    64, 0.f, c.data(), 64);
  EXPECT_EQ(get(), 3);
  EXPECT_EQ(c[0], 128.f);
  set(before);
  dlclose(h);
}

TEST(Sgemm, NamesTheLibraryItRunsOn) {
  loadBlas();
  std::string lib = sgemmLibrary();
  const char *choice = std::getenv("GRADC_GEMM");
  if (choice && std::string(choice) == "openblas") {
    EXPECT_EQ(lib, "OpenBLAS");
    return;
  }
  void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
  EXPECT_EQ(lib, h ? "oneDNN" : "OpenBLAS");
  if (h) dlclose(h);
}

} // namespace
