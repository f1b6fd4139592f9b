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

struct Library {
  std::mutex mutex;
  std::atomic<bool> loaded{false};
  std::string error; ///< Of the last failed attempt.
  Sgemm sgemm = nullptr;
  Dgemm dgemm = nullptr;
  SetThreads setThreads = nullptr; ///< Optional (OpenBLAS only).
  int pendingThreads = 0;          ///< setBlasThreads() before the load.
  /// The count BLAS was given (0 until loaded); blasSerialEnd() restores it.
  std::atomic<int> threads{0};
};

Library &library() {
  static Library lib;
  return lib;
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
    if (lib.setThreads) {
      int n = lib.pendingThreads > 0 ? lib.pendingThreads : numThreads();
      lib.setThreads(n);
      lib.threads.store(n, std::memory_order_relaxed);
    }
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
  if (lib.loaded.load(std::memory_order_relaxed) && lib.setThreads) {
    lib.setThreads(lib.pendingThreads);
    lib.threads.store(lib.pendingThreads, std::memory_order_relaxed);
  }
}

void blasSerialBegin() {
  Library &lib = library();
  if (lib.loaded.load(std::memory_order_acquire) && lib.setThreads &&
      lib.threads.load(std::memory_order_relaxed) > 1)
    lib.setThreads(1);
}

void blasSerialEnd() {
  Library &lib = library();
  int n = lib.threads.load(std::memory_order_relaxed);
  if (lib.loaded.load(std::memory_order_acquire) && lib.setThreads && n > 1)
    lib.setThreads(n);
}

bool blasLoaded() { return library().loaded.load(std::memory_order_acquire); }

} // namespace gradc

extern "C" void gradc_cblas_sgemm(int order, int transA, int transB, int m,
                                  int n, int k, float alpha, const float *a,
                                  int lda, const float *b, int ldb, float beta,
                                  float *c, int ldc) {
  gradc::loadedLibrary().sgemm(order, transA, transB, m, n, k, alpha, a, lda,
                               b, ldb, beta, c, ldc);
}

extern "C" void gradc_cblas_dgemm(int order, int transA, int transB, int m,
                                  int n, int k, double alpha, const double *a,
                                  int lda, const double *b, int ldb,
                                  double beta, double *c, int ldc) {
  gradc::loadedLibrary().dgemm(order, transA, transB, m, n, k, alpha, a, lda,
                               b, ldb, beta, c, ldc);
}
