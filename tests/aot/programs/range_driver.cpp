// Checks a range build (`gradc compile --size B=LO..HI`) against per-size
// builds of the same graph (`--size B=N --class SN`), bit for bit, for
// tests/aot/aot_range.sh:
//   - the byte sizes agree;
//   - fwd_bwd, fwd_bwd accumulating, and forward + backward give the same
//     bytes of outputs and gradients, and the same status;
//   - the range's C++ class gives them too;
//   - sizes out of range give the documented status and 0 bytes;
//   - threads running the range's entry point at different sizes at once
//     give the same bytes as alone, with a thread pool of its own
//     (gradc_parallel_for below, which runs parallel blocks on two threads).
// Build: c++ -std=c++17 -pthread -DRANGE_HEADER='"mlp.h"' -DRANGE_PREFIX=mlp
//          -DRANGE_CLASS=mlp -include S7.h ... -DSIZES='X(S7, 7) ...'
//          range_driver.cpp mlp.o S7.o ... -lopenblas -lm
#include RANGE_HEADER

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#define GC_CAT2(a, b) a##b
#define GC_CAT(a, b) GC_CAT2(a, b)
#define SIZED(f) GC_CAT(RANGE_PREFIX, GC_CAT(_sized_, f))

/// The thread pool the generated code calls for parallel blocks: here,
/// the blocks split between this thread and one more.
extern "C" void gradc_parallel_for(void (*fn)(void *, long long, long long), void *args,
                                   long long n) {
  long long mid = n / 2;
  std::thread other([&] { fn(args, mid, n); });
  fn(args, 0, mid);
  other.join();
}

namespace {

int failures = 0;

void expect(bool ok, const char *what, long long b) {
  if (ok) return;
  std::printf("FAIL at B=%lld: %s\n", b, what);
  ++failures;
}

/// A 64-byte aligned, zeroed buffer.
struct Buf {
  explicit Buf(unsigned long long n = 0) : bytes(n) {
    p = std::aligned_alloc(64, (n + 63) / 64 * 64 + 64);
    std::memset(p, 0, (n + 63) / 64 * 64 + 64);
  }
  Buf(const Buf &) = delete;
  Buf(Buf &&o) noexcept : p(o.p), bytes(o.bytes) { o.p = nullptr; }
  ~Buf() { std::free(p); }
  void *p;
  unsigned long long bytes;
};

/// The bytes of a list of buffers, concatenated.
std::vector<unsigned char> bytesOf(const std::vector<Buf> &bufs) {
  std::vector<unsigned char> r;
  for (const Buf &b : bufs) {
    const unsigned char *c = static_cast<const unsigned char *>(b.p);
    r.insert(r.end(), c, c + b.bytes);
  }
  return r;
}

/// The arguments of one size: inputs with deterministic values, seeds for
/// the outputs that require grad, and zeroed outputs and gradients.
template <class M> struct Args {
  std::vector<Buf> in, out, grads, seeds;
  std::vector<const void *> inP, seedP;
  std::vector<void *> outP, gradP;
  Args() {
    for (int i = 0; i < M::kNumInputs; ++i) {
      const auto &s = M::kInputs[i];
      in.emplace_back(s.bytes);
      for (long long j = 0; j < s.numel; ++j) {
        double v = static_cast<double>((j * 37 + i * 11) % 101) / 101.0 - 0.5;
        void *p = in.back().p;
        switch (s.dtype) {
        case M::DType::F32: static_cast<float *>(p)[j] = static_cast<float>(v); break;
        case M::DType::F64: static_cast<double *>(p)[j] = v; break;
        case M::DType::I32: static_cast<int *>(p)[j] = static_cast<int>(j % 3); break;
        case M::DType::I64: static_cast<long long *>(p)[j] = j % 3; break;
        case M::DType::Bool: static_cast<bool *>(p)[j] = j % 2; break;
        }
      }
      inP.push_back(in.back().p);
    }
    for (int k = 0; k < M::kNumOutputs; ++k) {
      const auto &s = M::kOutputs[k];
      out.emplace_back(s.bytes);
      outP.push_back(out.back().p);
      seeds.emplace_back(s.bytes);
      for (long long j = 0; j < s.numel; ++j) {
        double v = 0.75 + (j % 5) * 0.25;
        if (s.dtype == M::DType::F32) static_cast<float *>(seeds.back().p)[j] = static_cast<float>(v);
        if (s.dtype == M::DType::F64) static_cast<double *>(seeds.back().p)[j] = v;
      }
      seedP.push_back(s.requires_grad ? seeds.back().p : nullptr);
    }
    for (int j = 0; j < M::kNumGrads; ++j) {
      grads.emplace_back(M::kGrads[j].bytes);
      gradP.push_back(grads.back().p);
    }
  }
  /// Outputs, then gradients.
  std::vector<unsigned char> result() const {
    std::vector<unsigned char> r = bytesOf(out), g = bytesOf(grads);
    r.insert(r.end(), g.begin(), g.end());
    return r;
  }
};

/// The results of the range's fused entry point per size, for the threads.
std::map<long long, std::vector<unsigned char>> reference;

template <class M, class Fused, class Forward, class Backward>
void check(long long b, Fused fwdBwd, Forward forward, Backward backward) {
  const long long sizes[1] = {b};
  expect(SIZED(fused_workspace_bytes)(sizes) == M::kFusedWorkspaceBytes, "fused workspace bytes", b);
  expect(SIZED(context_bytes)(sizes) == M::kContextBytes, "context bytes", b);
  expect(SIZED(workspace_bytes)(sizes) == M::kWorkspaceBytes, "workspace bytes", b);

  // The fused entry point, overwriting and then accumulating.
  Args<M> one, range;
  Buf ws1(M::kFusedWorkspaceBytes), ws2(M::kFusedWorkspaceBytes);
  for (unsigned long long flags : {0ULL, 1ULL}) {
    unsigned long long s1 = fwdBwd(one.inP.data(), one.outP.data(), one.gradP.data(),
                                   one.seedP.data(), flags, ws1.p);
    unsigned long long s2 = SIZED(fwd_bwd)(sizes, range.inP.data(), range.outP.data(),
                                           range.gradP.data(), range.seedP.data(), flags, ws2.p);
    expect(s1 == s2, "fwd_bwd status", b);
    expect(one.result() == range.result(), flags ? "fwd_bwd accumulating" : "fwd_bwd", b);
    if (!flags) reference[b] = range.result();
  }

  // forward + backward.
  Args<M> f1, f2;
  Buf ctx1(M::kContextBytes), ctx2(M::kContextBytes), w1(M::kWorkspaceBytes), w2(M::kWorkspaceBytes);
  expect(forward(f1.inP.data(), f1.outP.data(), ctx1.p, w1.p) ==
             SIZED(forward)(sizes, f2.inP.data(), f2.outP.data(), ctx2.p, w2.p),
         "forward status", b);
  expect(backward(ctx1.p, f1.gradP.data(), f1.seedP.data(), 0, w1.p) ==
             SIZED(backward)(sizes, ctx2.p, f2.gradP.data(), f2.seedP.data(), 0, w2.p),
         "backward status", b);
  expect(f1.result() == f2.result(), "forward + backward", b);

  // The range's class at this size.
  Args<M> c;
  RANGE_CLASS model({b});
  expect(model.sizes()[0] == b, "class sizes", b);
  model.run(c.inP.data(), c.outP.data(), c.gradP.data(), c.seedP.data(), 0);
  expect(c.result() == reference[b], "class run", b);
  std::printf("B=%lld: the range build gives the per-size build's bits\n", b);
}

/// Runs the range's fused entry point `reps` times at size b with buffers
/// of its own, comparing with the reference each time.
template <class M> void repeat(long long b, int reps, int *bad) {
  const long long sizes[1] = {b};
  for (int r = 0; r < reps; ++r) {
    Args<M> a;
    Buf ws(SIZED(fused_workspace_bytes)(sizes));
    SIZED(fwd_bwd)(sizes, a.inP.data(), a.outP.data(), a.gradP.data(), a.seedP.data(), 0, ws.p);
    if (a.result() != reference[b]) ++*bad;
  }
}

} // namespace

int main() {
#define X(M, N) check<M>(N, M##_fwd_bwd, M##_forward, M##_backward);
  SIZES
#undef X

  // Out of range: the status names site 0xFFFF and the size; 0 bytes.
  const long long lo = RANGE_CLASS::kSizeMin[0], hi = RANGE_CLASS::kSizeMax[0];
  for (long long b : {lo - 1, hi + 1}) {
    if (b < 0) continue;
    const long long sizes[1] = {b};
    unsigned long long st = SIZED(fwd_bwd)(sizes, nullptr, nullptr, nullptr, nullptr, 0, nullptr);
    expect(st >> 48 == 0xFFFF && static_cast<long long>(st & 0xFFFFFFFFFFFFULL) == b,
           "status of a size out of range", b);
    expect(SIZED(forward)(sizes, nullptr, nullptr, nullptr, nullptr) == st, "forward status", b);
    expect(SIZED(fused_workspace_bytes)(sizes) == 0, "bytes out of range", b);
    bool threw = false;
    try {
      RANGE_CLASS model({b});
    } catch (const std::out_of_range &) {
      threw = true;
    }
    expect(threw, "the class refuses a size out of range", b);
  }
  expect(SIZED(fwd_bwd)(nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr) >> 48 == 0xFFFF,
         "status without sizes", -1);

  // Reentrancy: every checked size on a thread of its own, at once.
  std::vector<std::thread> threads;
  std::vector<int> bad(16, 0);
  int t = 0;
#define X(M, N) threads.emplace_back(repeat<M>, N, 8, &bad[t++]);
  SIZES
#undef X
  for (std::thread &th : threads) th.join();
  for (int k = 0; k < t; ++k) expect(bad[k] == 0, "concurrent runs", k);
  std::printf("%d threads at different sizes at once: %s\n", t, failures ? "FAILED" : "same bits");
  return failures ? 1 : 0;
}
