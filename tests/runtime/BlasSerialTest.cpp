//===- tests/runtime/BlasSerialTest.cpp - BLAS inside thread-pool jobs ----===//
//
// While the thread pool runs a job on several threads, BLAS runs each call
// on its calling thread (runtime/Blas.h, blasSerialBegin), and gets its
// thread count back when the job ends. Read through OpenBLAS's own
// openblas_get_num_threads, from the library the runtime loaded.
//
//===----------------------------------------------------------------------===//
#include "runtime/Blas.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>

using namespace gradc;

namespace {

using GetThreads = int (*)();

/// openblas_get_num_threads of the loaded OpenBLAS, or null (another BLAS).
GetThreads blasThreadQuery() {
  loadBlas();
  // RTLD_NOLOAD: only a library the runtime has already loaded.
  for (const char *name : {"libopenblas.so.0", "libopenblas.so"}) {
    if (void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD))
      return reinterpret_cast<GetThreads>(dlsym(h, "openblas_get_num_threads"));
  }
  return nullptr;
}

struct Seen {
  GetThreads query;
  std::atomic<int> maxInside{0};
};

void recordBlasThreads(void *args, long long b0, long long b1) {
  auto *s = static_cast<Seen *>(args);
  for (long long b = b0; b < b1; ++b) {
    int n = s->query();
    int old = s->maxInside.load();
    while (n > old && !s->maxInside.compare_exchange_weak(old, n)) {
    }
  }
}

TEST(BlasSerial, OneBlasThreadInsideAJobAndTheCountBackAfter) {
  GetThreads query = blasThreadQuery();
  if (!query) GTEST_SKIP() << "the BLAS library is not OpenBLAS";
  const int before = numThreads();
  setNumThreads(2);
  ASSERT_EQ(query(), 2);
  Seen seen{query};
  gradc_parallel_for(recordBlasThreads, &seen, 64);
  EXPECT_EQ(seen.maxInside.load(), 1);
  EXPECT_EQ(query(), 2);
  // One thread: no job on several threads, nothing to change.
  setNumThreads(1);
  Seen one{query};
  gradc_parallel_for(recordBlasThreads, &one, 64);
  EXPECT_EQ(one.maxInside.load(), 1);
  setNumThreads(before);
}

} // namespace
