//===- runtime/ThreadPool.cpp - Threads for generated loops ---------------===//
//
// One job at a time. A job's blocks are cut into one contiguous range per
// thread: streaming through memory, two threads each walking half of an
// array run about twice as fast as two threads taking interleaved blocks
// (the 4M chain: 0.24 against 0.46 ms here), so each thread first claims
// the blocks of its own range, in order, and then helps with the others'.
//
// The caller publishes (fn, args, blocks) in the slot of the job's
// generation (two slots, alternating) and one claim word per range holding
// the generation and the range's next block; every thread, the caller
// included, claims blocks with a compare-and-swap on those words and counts
// the blocks it finished. The caller returns once all blocks are done,
// without waiting for workers that never got a block (on a loaded machine
// a worker may wake late: it then sees a newer generation in the claim
// words and claims nothing of the old job, and its range was done by the
// others). A slot is rewritten only two jobs later, after every claim of
// its job, so a claim that succeeds read its own job.
//
//===----------------------------------------------------------------------===//
#include "runtime/ThreadPool.h"

#include "runtime/Blas.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>


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

/// How long an idle worker spins before it sleeps: long enough to catch
/// the next loop of a kernel sequence, short against a matrix product.
constexpr std::chrono::microseconds kSpin{50};

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

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
    if (threads_ == 1 || blocks == 1 || blocks >= (1LL << 31) || !busy_.try_lock()) {
      fn(args, 0, blocks);
      return;
    }
    // GEMMs inside the blocks stay on their thread while the job runs
    // (runtime/Blas.h): one pool at a time on the cores.
    blasSerialBegin();
    uint64_t gen = (generation_.load(std::memory_order_relaxed) + 1) & 0xffffffffu;
    Job &job = jobs_[gen & 1];
    job.fn.store(fn, std::memory_order_relaxed);
    job.args.store(args, std::memory_order_relaxed);
    job.blocks.store(blocks, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    for (int r = 0; r < threads_; ++r)
      claims_[r].word.store(gen << 32 | static_cast<uint64_t>(rangeBegin(r, blocks)),
                            std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.store(gen, std::memory_order_release);
    }
    wake_.notify_all();
    work(gen, 0);
    // All blocks claimed; wait for the ones still running elsewhere,
    // yielding the core after a short spin (it may be the worker's).
    for (int spins = 0; done_.load(std::memory_order_acquire) != blocks; ++spins) {
      if (spins < 4000) pause();
      else std::this_thread::yield();
    }
    blasSerialEnd();
    busy_.unlock();
  }

private:
  Pool() : threads_(defaultThreads()) { startWorkers(); }

  /// First block of range r of a job of `blocks` blocks (range threads_
  /// ends the job).
  long long rangeBegin(int r, long long blocks) const {
    return blocks * r / threads_;
  }

  /// Claims and runs blocks of job `gen` until none is left or the job
  /// changed: those of range `self` first, then those of the other ranges.
  /// A claim succeeds only while the range's claim word still names `gen`
  /// with blocks left, so the job's fields read before it are that job's.
  void work(uint64_t gen, int self) {
    for (int k = 0; k < threads_; ++k) {
      int r = (self + k) % threads_;
      std::atomic<uint64_t> &word = claims_[r].word;
      for (;;) {
        uint64_t c = word.load(std::memory_order_acquire);
        if ((c >> 32) != gen) return;
        const Job &job = jobs_[gen & 1];
        BlockFn fn = job.fn.load(std::memory_order_relaxed);
        void *args = job.args.load(std::memory_order_relaxed);
        long long blocks = job.blocks.load(std::memory_order_relaxed);
        long long b = static_cast<long long>(c & 0xffffffffu);
        if (b >= rangeBegin(r + 1, blocks)) break; // range done: help another
        if (!word.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel))
          continue;
        fn(args, b, b + 1);
        done_.fetch_add(1, std::memory_order_release);
      }
    }
  }

  /// `seen`: the job generation when the worker was started (no job can
  /// start before startWorkers returns).
  void workerLoop(int self, uint64_t seen) {
    for (;;) {
      // Spin for a while, then sleep until the next job. The spin is
      // bounded by time, not by a count of pauses: one pause takes from a
      // few to over a hundred cycles depending on the CPU (20000 of them
      // were 0.55 ms on an EPYC, not the 50 us meant), and a spinning
      // worker holds a core that the BLAS library's own threads need when
      // a matrix product follows a parallel loop.
      //
      // Every 64 pauses it also yields the core: a BLAS worker woken for a
      // matrix product that follows the loop may be waiting for this very
      // core, and under a real-time policy (chrt -f, as the benchmarks run)
      // a thread that only pauses is never preempted by one of its own
      // priority, so the product's other half would wait out the spin.
      auto until = std::chrono::steady_clock::now() + kSpin;
      for (int i = 0; !stop_.load(std::memory_order_relaxed) &&
                      generation_.load(std::memory_order_acquire) == seen;
           ++i) {
        pause();
        if ((i & 63) == 63) {
          if (std::chrono::steady_clock::now() >= until) break;
          std::this_thread::yield();
        }
      }
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return stop_.load() || generation_.load(std::memory_order_acquire) != seen;
        });
      }
      if (stop_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      work(seen, self);
    }
  }

  void startWorkers() {
    stop_ = false;
    uint64_t g0 = generation_.load();
    // Fresh claim words, tagged with no generation a job can have yet.
    claims_.reset(new Claim[threads_]);
    for (int i = 0; i < threads_; ++i)
      claims_[i].word.store(g0 << 32 | 0xffffffffu, std::memory_order_relaxed);
    for (int i = 1; i < threads_; ++i)
      workers_.emplace_back([this, i, g0] { workerLoop(i, g0); });
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
  /// One claim word per range, each on a cache line of its own: generation
  /// << 32 | next block of the range.
  struct alignas(64) Claim {
    std::atomic<uint64_t> word{0};
  };
  std::unique_ptr<Claim[]> claims_;
  alignas(64) std::atomic<long long> done_{0};
  struct Job {
    std::atomic<BlockFn> fn{nullptr};
    std::atomic<void *> args{nullptr};
    std::atomic<long long> blocks{0};
  } jobs_[2];
};

} // namespace

void setNumThreads(int n) {
  Pool::get().setThreads(n);
  setBlasThreads(n);
}

int numThreads() { return Pool::get().threads(); }

} // namespace gradc

extern "C" void gradc_parallel_for(void (*fn)(void *, long long, long long),
                                   void *args, long long blocks) {
  gradc::Pool::get().run(fn, args, blocks);
}
