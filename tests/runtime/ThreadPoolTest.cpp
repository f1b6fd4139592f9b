//===- tests/runtime/ThreadPoolTest.cpp - gradc_parallel_for --------------===//
//
// Every block of a job runs exactly once, whatever the thread count, the
// block count (fewer blocks than threads, ranges of unequal length) and
// however many threads call at once; results never depend on which thread
// ran a block.
//
//===----------------------------------------------------------------------===//
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace gradc;

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(long long n) : hits(n) {}
};

void countBlocks(void *args, long long b0, long long b1) {
  auto *c = static_cast<Counts *>(args);
  for (long long b = b0; b < b1; ++b) c->hits[b].fetch_add(1);
}

void expectEachOnce(long long blocks) {
  Counts c(blocks);
  gradc_parallel_for(countBlocks, &c, blocks);
  for (long long b = 0; b < blocks; ++b)
    ASSERT_EQ(c.hits[b].load(), 1) << "block " << b << " of " << blocks;
}

TEST(ThreadPool, EveryBlockRunsOnceForEveryThreadAndBlockCount) {
  int before = numThreads();
  for (int threads : {1, 2, 3, 5}) {
    setNumThreads(threads);
    ASSERT_EQ(numThreads(), threads);
    for (long long blocks : {0LL, 1LL, 2LL, 3LL, 7LL, 128LL, 1001LL})
      for (int rep = 0; rep < 20; ++rep) expectEachOnce(blocks);
  }
  setNumThreads(before);
}

TEST(ThreadPool, ConcurrentCallersEachGetAllTheirBlocks) {
  setNumThreads(3);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int rep = 0; rep < 200; ++rep) {
        long long blocks = 1 + (rep * 7 + t * 13) % 97;
        Counts c(blocks);
        gradc_parallel_for(countBlocks, &c, blocks);
        for (long long b = 0; b < blocks; ++b)
          if (c.hits[b].load() != 1) failures.fetch_add(1);
      }
    });
  for (std::thread &c : callers) c.join();
  EXPECT_EQ(failures.load(), 0);
}

} // namespace
