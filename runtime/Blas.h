//===- runtime/Blas.h - The BLAS library, loaded when needed ---*- C++ -*-===//
//
// The runtime does not link OpenBLAS: loading it starts its worker threads,
// and they spin (sched_yield) for a while after start-up, taking a core
// from whatever the process does first, in gradc the JIT compile, whether
// the graph multiplies matrices or not. Generated code calls CBLAS through
// the functions here instead (registered under the CBLAS names, see
// runtime/HostSymbols), which forward to the library loaded with dlopen the
// first time a graph needs it: OpenBLAS, and for f32 oneDNN's sgemm when
// oneDNN is installed (see sgemmLibrary()).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_BLAS_H
#define GRADC_RUNTIME_BLAS_H

namespace gradc {

/// Loads the BLAS library if it is not loaded yet (thread-safe, once).
/// Throws gradc::Error naming the library if it cannot be loaded or lacks
/// the CBLAS GEMM functions.
void loadBlas();

/// Bounds the threads BLAS uses for one call (openblas_set_num_threads);
/// remembered and applied at load time if the library is not loaded yet.
void setBlasThreads(int n);

/// Whether loadBlas() has succeeded in this process.
bool blasLoaded();

/// The library f32 matrix products run on: "oneDNN" (its sgemm, preferred
/// when libdnnl.so.2 loads, unless the environment sets GRADC_GEMM=openblas)
/// or "OpenBLAS"; "" before BLAS is loaded. f64 products always run on
/// OpenBLAS.
const char *sgemmLibrary();

/// While gradc's thread pool runs a job on several threads, BLAS calls made
/// inside its blocks stay on their calling thread: OpenBLAS would otherwise
/// split each GEMM over its own threads too, and the two pools oversubscribe
/// the cores (a ResNet-style convolution took 1.4x longer on two threads).
/// OpenBLAS has no per-call thread count, so this sets its global count to
/// one until blasSerialEnd() restores it (a few ns each; nothing if BLAS is
/// not loaded or already on one thread). Not nested: the pool runs one job
/// at a time.
void blasSerialBegin();
/// Ends blasSerialBegin(): BLAS gets its thread count back.
void blasSerialEnd();

} // namespace gradc

extern "C" {
/// cblas_sgemm with the C ABI of CBLAS (its enums as int), forwarding to
/// the BLAS library (loaded first if needed; the process aborts with a
/// message if it cannot be, as a missing symbol would).
void gradc_cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
                       float alpha, const float *a, int lda, const float *b,
                       int ldb, float beta, float *c, int ldc);
/// cblas_dgemm, as gradc_cblas_sgemm.
void gradc_cblas_dgemm(int order, int transA, int transB, int m, int n, int k,
                       double alpha, const double *a, int lda, const double *b,
                       int ldb, double beta, double *c, int ldc);
}

#endif // GRADC_RUNTIME_BLAS_H
