// Bad indices under AddressSanitizer: the ahead-of-time code of
// tests/aot/graphs/index.json (embedding, gather, index_select, one_hot,
// cross_entropy), every buffer a heap block of exactly its size, run with
// indices past either end of their range at every position. Each run must
// return a status naming the value (bits 0-47) and must not touch memory
// outside a buffer (ASan aborts the program if it does); good indices
// return 0. Built with -fsanitize=address by tests/aot/asan_index.sh.
#include "index.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct Buffer {
  void *p;
  explicit Buffer(size_t bytes) : p(std::malloc(bytes ? bytes : 1)) {}
  ~Buffer() { std::free(p); }
  long long *ll() { return static_cast<long long *>(p); }
  float *f() { return static_cast<float *>(p); }
};

long long value(unsigned long long st) {
  unsigned long long v = st & 0xFFFFFFFFFFFFULL;
  if (v & (1ULL << 47)) v |= ~0xFFFFFFFFFFFFULL;
  return static_cast<long long>(v);
}

} // namespace

int main() {
  // idx[3] < 5, w[5, 2], x[3, 4], gi[3, 2] < 4, si[2] < 3, ci[3] < 4, t[3] < 4.
  Buffer idx(3 * 8), w(10 * 4), x(12 * 4), gi(6 * 8), si(2 * 8), ci(3 * 8), t(3 * 8);
  Buffer loss(4), oh(12 * 8), gw(10 * 4), gx(12 * 4);
  Buffer ws(index_fused_workspace_bytes()), ctx(index_context_bytes()),
      ws2(index_workspace_bytes());
  struct Index {
    long long *data;
    int count;
    long long bound;
  } indices[] = {{idx.ll(), 3, 5}, {gi.ll(), 6, 4}, {si.ll(), 2, 3},
                 {ci.ll(), 3, 4}, {t.ll(), 3, 4}};
  auto reset = [&] {
    for (int i = 0; i < 10; ++i) w.f()[i] = 0.5f * i;
    for (int i = 0; i < 12; ++i) x.f()[i] = 0.25f * i - 1;
    for (const Index &ix : indices)
      for (int i = 0; i < ix.count; ++i) ix.data[i] = i % ix.bound;
  };
  const void *in[7] = {idx.p, w.p, x.p, gi.p, si.p, ci.p, t.p};
  void *out[2] = {loss.p, oh.p};
  void *grads[2] = {gw.p, gx.p};
  reset();
  if (unsigned long long st = index_fwd_bwd(in, out, grads, nullptr, 0, ws.p))
    return std::fprintf(stderr, "good indices gave status %llx\n", st), 1;
  int failures = 0, runs = 0;
  for (const Index &ix : indices)
    for (int pos = 0; pos < ix.count; ++pos)
      for (long long bad : {ix.bound, -1LL, 1LL << 40, -(1LL << 40)}) {
        reset();
        ix.data[pos] = bad;
        unsigned long long a = index_fwd_bwd(in, out, grads, nullptr, 0, ws.p);
        unsigned long long b = index_forward(in, out, ctx.p, ws2.p);
        ++runs;
        if (!a || !b || value(a) != bad || value(b) != bad || a != b) {
          std::fprintf(stderr, "bound %lld, position %d, value %lld: status %llx / %llx\n",
                       ix.bound, pos, bad, a, b);
          ++failures;
        }
      }
  // The backward of a good forward reads the saved indices: status 0.
  reset();
  if (index_forward(in, out, ctx.p, ws2.p) ||
      index_backward(ctx.p, grads, nullptr, 0, ws2.p))
    return std::fprintf(stderr, "good forward/backward failed\n"), 1;
  std::printf("%d bad-index runs, %d wrong statuses, no memory error\n", runs, failures);
  return failures ? 1 : 0;
}
