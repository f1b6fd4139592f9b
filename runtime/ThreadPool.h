//===- runtime/ThreadPool.h - Threads for generated loops ------*- C++ -*-===//
//
// Generated code splits large loops into fixed blocks and hands them to
// gradc_parallel_for, which this file implements with one process-wide
// pool of worker threads (the calling thread works too). Results never
// depend on the thread count: blocks are fixed by the code, partial sums
// are combined in block order, and with one thread (or while the pool is
// busy with another caller) the blocks simply run in order on the caller.
//
// The same setting bounds the threads OpenBLAS uses for GEMM calls; while
// the pool runs a job on several threads, GEMMs called from its blocks run
// on their calling thread (runtime/Blas.h, blasSerialBegin).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_THREADPOOL_H
#define GRADC_RUNTIME_THREADPOOL_H

namespace gradc {

/// Sets how many threads generated loops and GEMM calls may use (>= 1).
/// The default is the GRADC_NUM_THREADS environment variable if set, else
/// the number of hardware threads.
void setNumThreads(int n);

/// The current thread count.
int numThreads();

} // namespace gradc

/// Runs fn(args, b0, b1) over [b0, b1) sub-ranges covering [0, blocks),
/// possibly on several threads; returns when all are done. Called by
/// generated code; thread-safe.
extern "C" void gradc_parallel_for(void (*fn)(void *, long long, long long),
                                   void *args, long long blocks);

#endif // GRADC_RUNTIME_THREADPOOL_H
