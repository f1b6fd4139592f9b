//===- runtime/Blas.cpp - The BLAS library, loaded when needed ------------===//
#include "runtime/Blas.h"

#include "ir/Error.h"
#include "runtime/ThreadPool.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace gradc {
namespace {

using Sgemm = void (*)(int, int, int, int, int, int, float, const float *, int,
                       const float *, int, float, float *, int);
using Dgemm = void (*)(int, int, int, int, int, int, double, const double *,
                       int, const double *, int, double, double *, int);
using SetThreads = void (*)(int);
/// dnnl_sgemm: row-major, 'N'/'T' transposes, 64-bit sizes; returns a
/// dnnl_status_t (0 is success).
using DnnlSgemm = int (*)(char, char, long long, long long, long long, float,
                          const float *, long long, const float *, long long,
                          float, float *, long long);

struct Library {
  std::mutex mutex;
  std::atomic<bool> loaded{false};
  std::string error; ///< Of the last failed attempt.
  Sgemm sgemm = nullptr;
  Dgemm dgemm = nullptr;
  SetThreads setThreads = nullptr; ///< Optional (OpenBLAS only).
  /// oneDNN's f32 GEMM, when it is loaded and chosen (see tryLoadDnnl).
  DnnlSgemm dnnlSgemm = nullptr;
  /// omp_set_num_threads / omp_get_max_threads of the OpenMP runtime
  /// oneDNN runs on.
  SetThreads ompSetThreads = nullptr;
  int (*ompMaxThreads)() = nullptr;
  /// Set by blasSerialBegin(): oneDNN calls run on one thread.
  std::atomic<bool> serial{false};
  int pendingThreads = 0;          ///< setBlasThreads() before the load.
  /// The count BLAS was given (0 until loaded); blasSerialEnd() restores it.
  std::atomic<int> threads{0};
};

Library &library() {
  static Library lib;
  return lib;
}

/// Under lib.mutex, after OpenBLAS loaded: takes oneDNN's f32 GEMM unless
/// GRADC_GEMM says "openblas".
///
/// Why: OpenBLAS picks its kernels from OPENBLAS_CORETYPE when that is set,
/// and environments that pin it to an older core (Haswell, for portable
/// images) run AVX2 kernels on AVX-512 machines. oneDNN dispatches on the
/// CPU it runs on. On this project's reference machine (AVX-512, the
/// variable set to Haswell) oneDNN's sgemm took 0.49-0.70 of OpenBLAS's
/// time on the model steps' GEMM shapes, one thread (bench/gemm_candidates,
/// docs/performance.md "f32 GEMM"); with the variable unset the two were
/// within 0.92-1.16x of each other. oneDNN has no f64 GEMM, so cblas_dgemm
/// stays with OpenBLAS.
///
/// oneDNN's Debian build threads with OpenMP, whose idle threads spin for
/// GOMP_SPINCOUNT pauses after a parallel region; as with OpenBLAS's
/// timeout above, a short spin keeps back-to-back GEMMs warm and then gives
/// the core back to gradc's pool. A value the user set wins; the setting
/// only reaches OpenMP if this process has not loaded it already.
void tryLoadDnnl(Library &lib) {
  const char *choice = std::getenv("GRADC_GEMM");
  if (choice && std::string(choice) == "openblas") return;
  setenv("GOMP_SPINCOUNT", "5000", /*overwrite=*/0);
  void *handle = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!handle) return; // Optional: OpenBLAS serves f32 too.
  auto sgemm = reinterpret_cast<DnnlSgemm>(dlsym(handle, "dnnl_sgemm"));
  auto setThreads =
      reinterpret_cast<SetThreads>(dlsym(handle, "omp_set_num_threads"));
  auto maxThreads =
      reinterpret_cast<int (*)()>(dlsym(handle, "omp_get_max_threads"));
  if (!sgemm || !setThreads || !maxThreads) {
    dlclose(handle);
    return;
  }
  lib.dnnlSgemm = sgemm;
  lib.ompSetThreads = setThreads;
  lib.ompMaxThreads = maxThreads;
}

/// Under lib.mutex: tries the runtime package's soname first, then the
/// library CMake found when gradc was configured.
bool tryLoad(Library &lib) {
  const char *candidates[] = {"libopenblas.so.0", GRADC_BLAS_LIBRARY};
  std::string tried;
  // OpenBLAS's idle workers spin for 2^OPENBLAS_THREAD_TIMEOUT cycles after
  // each call before they sleep; its default, 2^28 (about 0.1 s here),
  // keeps a worker spinning through the next kernels, where it takes a core
  // from gradc's own thread pool: the LeNet-5 step at batch 64 took 4.5 ms
  // on two threads against 4.3 ms on one. 2^18 cycles (about 0.1 ms) keeps
  // back-to-back GEMMs warm and gives the core back in between (2.8 ms on
  // two threads; the MLP step unchanged). A value the user set wins; the
  // setting only reaches OpenBLAS if this process has not loaded it already.
  setenv("OPENBLAS_THREAD_TIMEOUT", "18", /*overwrite=*/0);
  for (const char *name : candidates) {
    if (!name[0]) continue;
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (why ? why : name);
      continue;
    }
    auto sgemm = reinterpret_cast<Sgemm>(dlsym(handle, "cblas_sgemm"));
    auto dgemm = reinterpret_cast<Dgemm>(dlsym(handle, "cblas_dgemm"));
    if (!sgemm || !dgemm) {
      tried += std::string(tried.empty() ? "" : "; ") + name +
               " has no cblas_sgemm/cblas_dgemm";
      dlclose(handle);
      continue;
    }
    lib.sgemm = sgemm;
    lib.dgemm = dgemm;
    lib.setThreads =
        reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"));
    // Unless setBlasThreads() said otherwise, BLAS gets as many threads as
    // gradc's own pool (GRADC_NUM_THREADS or the cores): left alone, OpenBLAS
    // takes every core, and under GRADC_NUM_THREADS=1 its second worker spun
    // in sched_yield beside the single-threaded kernels (a quarter of the
    // GPT step's CPU time went to it).
    // (oneDNN, below, takes the same count per call.)
    int n = lib.pendingThreads > 0 ? lib.pendingThreads : numThreads();
    if (lib.setThreads) lib.setThreads(n);
    lib.threads.store(n, std::memory_order_relaxed);
    tryLoadDnnl(lib);
    lib.loaded.store(true, std::memory_order_release);
    return true;
  }
  lib.error = "cannot load the BLAS library that matrix products call (" +
              tried + ")";
  return false;
}

/// Loads the library unless it is loaded. Returns "" on success, else why
/// it cannot be loaded.
std::string ensureLoaded(Library &lib) {
  if (lib.loaded.load(std::memory_order_acquire)) return "";
  std::lock_guard<std::mutex> lock(lib.mutex);
  if (lib.loaded.load(std::memory_order_relaxed) || tryLoad(lib)) return "";
  return lib.error;
}

Library &loadedLibrary() {
  Library &lib = library();
  std::string why = ensureLoaded(lib);
  if (!why.empty()) {
    // Generated code cannot take an exception: stop as the dynamic linker
    // would on a missing symbol, but say why.
    std::fprintf(stderr, "gradc: %s\n", why.c_str());
    std::abort();
  }
  return lib;
}

} // namespace

void loadBlas() {
  std::string why = ensureLoaded(library());
  if (!why.empty()) throw Error(why);
}

void setBlasThreads(int n) {
  Library &lib = library();
  std::lock_guard<std::mutex> lock(lib.mutex);
  lib.pendingThreads = n < 1 ? 1 : n;
  if (lib.loaded.load(std::memory_order_relaxed)) {
    if (lib.setThreads) lib.setThreads(lib.pendingThreads);
    lib.threads.store(lib.pendingThreads, std::memory_order_relaxed);
  }
}

void blasSerialBegin() {
  Library &lib = library();
  lib.serial.store(true, std::memory_order_relaxed);
  if (lib.loaded.load(std::memory_order_acquire) && lib.setThreads &&
      lib.threads.load(std::memory_order_relaxed) > 1)
    lib.setThreads(1);
}

void blasSerialEnd() {
  Library &lib = library();
  lib.serial.store(false, std::memory_order_relaxed);
  int n = lib.threads.load(std::memory_order_relaxed);
  if (lib.loaded.load(std::memory_order_acquire) && lib.setThreads && n > 1)
    lib.setThreads(n);
}

bool blasLoaded() { return library().loaded.load(std::memory_order_acquire); }

const char *sgemmLibrary() {
  Library &lib = library();
  if (!lib.loaded.load(std::memory_order_acquire)) return "";
  return lib.dnnlSgemm ? "oneDNN" : "OpenBLAS";
}

namespace {

/// oneDNN's sgemm for a CBLAS call; false if oneDNN refuses it (the caller
/// then uses OpenBLAS).
bool callDnnl(Library &lib, int order, int transA, int transB, int m, int n,
               int k, float alpha, const float *a, int lda, const float *b,
               int ldb, float beta, float *c, int ldc) {
  // oneDNN 2.6 leaves C as it was for k = 0, where CBLAS scales it by beta:
  // empty products go to OpenBLAS, which follows CBLAS.
  if (m <= 0 || n <= 0 || k <= 0) return false;
  // OpenMP's thread count (its nthreads ICV) belongs to the calling
  // thread, which may be the host's own OpenMP code: set it to gradc's
  // count for this call (one inside a pool job, see blasSerialBegin) and
  // give the thread its own count back after (a few ns each).
  int want = lib.serial.load(std::memory_order_relaxed)
                 ? 1
                 : lib.threads.load(std::memory_order_relaxed);
  if (want < 1) want = 1;
  int had = lib.ompMaxThreads();
  if (had != want) lib.ompSetThreads(want);
  char ta = transA == 111 ? 'N' : 'T', tb = transB == 111 ? 'N' : 'T';
  // CBLAS enums: 101 row-major, 102 column-major. A column-major product
  // C = op(A) op(B) is the row-major C^T = op(B)^T op(A)^T: swap the
  // operands and the sizes m and n.
  int status =
      order == 101
          ? lib.dnnlSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
          : lib.dnnlSgemm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
  if (had != want) lib.ompSetThreads(had);
  return status == 0;
}

} // namespace

} // namespace gradc

extern "C" void gradc_cblas_sgemm(int order, int transA, int transB, int m,
                                  int n, int k, float alpha, const float *a,
                                  int lda, const float *b, int ldb, float beta,
                                  float *c, int ldc) {
  gradc::Library &lib = gradc::loadedLibrary();
  if (lib.dnnlSgemm && gradc::callDnnl(lib, order, transA, transB, m, n, k,
                                        alpha, a, lda, b, ldb, beta, c, ldc))
    return;
  lib.sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c,
            ldc);
}

extern "C" void gradc_cblas_dgemm(int order, int transA, int transB, int m,
                                  int n, int k, double alpha, const double *a,
                                  int lda, const double *b, int ldb,
                                  double beta, double *c, int ldc) {
  gradc::loadedLibrary().dgemm(order, transA, transB, m, n, k, alpha, a, lda,
                               b, ldb, beta, c, ldc);
}
