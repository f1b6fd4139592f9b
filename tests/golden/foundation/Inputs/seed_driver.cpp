// Host program for the ahead-of-time seed build: calls the generated entry
// points with no gradc library, the way a user's build would.
#include "seed.h"

#include <cstdio>
#include <cstdlib>

int main() {
  alignas(64) float x[4] = {0, 1, 2, 3};
  alignas(64) float y[4], z[4], out[1], gx[4];
  const void *in[] = {x};
  void *outs[] = {y, z, out};
  void *grads[] = {gx};
  float one = 1;
  const void *seeds[] = {nullptr, nullptr, &one};
  void *ws = std::aligned_alloc(64, (SEED_FUSED_WORKSPACE_BYTES + 63) / 64 * 64 + 64);
  seed_fwd_bwd(in, outs, grads, seeds, 0, ws);
  std::printf("fused out=%g grad=%g %g %g %g\n", out[0], gx[0], gx[1], gx[2], gx[3]);

  // retain_graph style: one forward, two backwards accumulating.
  void *ctx = std::aligned_alloc(64, SEED_CONTEXT_BYTES + 64);
  void *ws2 = std::aligned_alloc(64, SEED_WORKSPACE_BYTES + 64);
  seed_forward(in, outs, ctx, ws2);
  seed_backward(ctx, grads, seeds, 0, ws2);
  seed_backward(ctx, grads, seeds, 1, ws2);
  std::printf("twice out=%g grad=%g %g %g %g\n", out[0], gx[0], gx[1], gx[2], gx[3]);
  std::free(ws);
  std::free(ctx);
  std::free(ws2);
  return 0;
}
