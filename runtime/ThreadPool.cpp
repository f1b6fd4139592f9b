//===- runtime/ThreadPool.cpp - Threads for generated loops ---------------===//
#include "runtime/ThreadPool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

// OpenBLAS's own thread setting (libopenblas, which the runtime links).
extern "C" void openblas_set_num_threads(int);

namespace gradc {
namespace {

using BlockFn = void (*)(void *, long long, long long);

int defaultThreads() {
  if (const char *env = std::getenv("GRADC_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

/// Workers wait for a job, claim blocks one at a time from a shared
/// counter, and report when done. After a job they spin briefly before
/// sleeping, so kernels called back to back do not pay a wake-up each.
class Pool {
public:
  static Pool &get() {
    static Pool pool;
    return pool;
  }

  ~Pool() { stopWorkers(); }

  void setThreads(int n) {
    std::lock_guard<std::mutex> job(busy_); // not while a job runs
    stopWorkers();
    threads_ = n < 1 ? 1 : n;
    startWorkers();
  }

  int threads() const { return threads_; }

  void run(BlockFn fn, void *args, long long blocks) {
    if (blocks <= 0) return;
    // One job at a time: a second caller (another thread's kernel) runs
    // its blocks itself, which gives the same results.
    if (threads_ == 1 || blocks == 1 || !busy_.try_lock()) {
      fn(args, 0, blocks);
      return;
    }
    fn_ = fn;
    args_ = args;
    blocks_ = blocks;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    while (pending_.load(std::memory_order_acquire) != 0) pause();
    busy_.unlock();
  }

private:
  Pool() : threads_(defaultThreads()) { startWorkers(); }

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  void work() {
    for (;;) {
      long long b = next_.fetch_add(1, std::memory_order_relaxed);
      if (b >= blocks_) return;
      fn_(args_, b, b + 1);
    }
  }

  /// `seen`: the job generation when the worker was started (no job can
  /// start before startWorkers returns).
  void workerLoop(uint64_t seen) {
    for (;;) {
      // Spin for a while (~50 us), then sleep until the next job.
      for (int i = 0; i < 20000 && !stop_.load(std::memory_order_relaxed) &&
                      generation_.load(std::memory_order_acquire) == seen;
           ++i)
        pause();
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return stop_.load() || generation_.load(std::memory_order_acquire) != seen;
        });
      }
      if (stop_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      work();
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  void startWorkers() {
    stop_ = false;
    uint64_t g0 = generation_.load();
    for (int i = 1; i < threads_; ++i)
      workers_.emplace_back([this, g0] { workerLoop(g0); });
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_) t.join();
    workers_.clear();
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex busy_, mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<long long> next_{0};
  std::atomic<int> pending_{0};
  BlockFn fn_ = nullptr;
  void *args_ = nullptr;
  long long blocks_ = 0;
};

} // namespace

void setNumThreads(int n) {
  Pool::get().setThreads(n);
  openblas_set_num_threads(n < 1 ? 1 : n);
}

int numThreads() { return Pool::get().threads(); }

} // namespace gradc

extern "C" void gradc_parallel_for(void (*fn)(void *, long long, long long),
                                   void *args, long long blocks) {
  gradc::Pool::get().run(fn, args, blocks);
}
