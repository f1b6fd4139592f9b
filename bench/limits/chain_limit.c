/* The hardware limit of workload (a), the seed chain mean(3*(x+2)^2)
 * forward and backward over n f32 values: one hand-fused pass on every
 * core, reading x once, writing x.grad once and summing for the mean.
 * Nothing a compiler of graphs could leave out. Built by
 * bench/side_by_side.py with -O3 -march=native -fopenmp.
 *
 * Usage: chain_limit N REPS   prints the median time of one pass in ns. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 4L << 20;
  int reps = argc > 2 ? atoi(argv[2]) : 200;
  float *x = aligned_alloc(64, n * sizeof(float));
  float *g = aligned_alloc(64, n * sizeof(float));
  for (long i = 0; i < n; ++i) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  memset(g, 0, n * sizeof(float));
  double *t = malloc(reps * sizeof(double));
  volatile float sink = 0;
  /* d(mean(3 (x+2)^2))/dx = 6 (x+2) / n */
  const float scale = 6.0f / (float)n;
  for (int r = -3; r < reps; ++r) { /* three warm-up passes */
    double t0 = now_ns();
    double sum = 0;
#pragma omp parallel for simd reduction(+ : sum) schedule(static)
    for (long i = 0; i < n; ++i) {
      float y = x[i] + 2.0f;
      sum += 3.0f * y * y;
      g[i] = scale * y;
    }
    sink = (float)(sum / n);
    if (r >= 0) t[r] = now_ns() - t0;
  }
  qsort(t, reps, sizeof(double), cmp);
  printf("{\"median_ns\": %.1f, \"min_ns\": %.1f, \"max_ns\": %.1f, \"threads\": %d}\n",
         t[reps / 2], t[0], t[reps - 1], omp_get_max_threads());
  (void)sink;
  free(t);
  free(x);
  free(g);
  return 0;
}
