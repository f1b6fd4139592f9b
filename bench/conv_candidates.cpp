//===- bench/conv_candidates.cpp - gradc's convolutions beside oneDNN -----===//
//
// The three passes of a 2-D convolution (forward, input gradient dL/dx,
// weight and bias gradients dL/dw, dL/db), f32, plain NCHW, timed for
// three implementations on the same data in one process:
//
//   gradc      one-op graphs compiled with the C++ API, their generated
//              entry points called directly (GradcConv says how each pass
//              is isolated);
//   oneDNN     convolution_forward (forward_training),
//              convolution_backward_data and convolution_backward_weights
//              with format_tag::any, so the library picks its own blocked
//              layouts; timed as the primitive alone (inputs already in its
//              layout) and with the reorders from and to plain NCHW that a
//              caller holding NCHW tensors, as gradc's are, must pay;
//   im2col     im2col (col2im) plus one OpenBLAS sgemm per image, written
//              here the straightforward way, as a reference.
//
// Before timing, the results of the three are compared (largest absolute
// difference over the largest magnitude of the im2col result), and a hash
// of gradc's and oneDNN's result bits printed (to compare thread counts).
//
//   conv_candidates [--threads N] [--repeats R] [--min-sample-ms T]
//                   [--layer NAME] [--blas-threads M] [--csv]
//
// --threads sets gradc's thread pool, OpenBLAS and oneDNN's OpenMP to the
// same count; --blas-threads then sets OpenBLAS alone (to see how gradc's
// threads and OpenBLAS's share the cores). Each cell is the median of R samples, each sample the mean
// of enough calls to last T ms, with the fastest and slowest sample in
// brackets; the four candidates take their samples in turn, round by
// round. Run it shielded from other load (docs/performance.md).
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/Blas.h"
#include "runtime/Compiler.h"
#include "runtime/Tensor.h"
#include "runtime/ThreadPool.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

extern "C" void cblas_sgemm(int, int, int, int, int, int, float, const float *,
                            int, const float *, int, float, float *, int);
extern "C" void openblas_set_num_threads(int);

namespace {

using namespace gradc;

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

/// One convolution layer: stride 1, square kernel, symmetric padding.
struct Layer {
  const char *name;
  int n, c, o, h, w, k, pad;
  int oh() const { return h + 2 * pad - k + 1; }
  int ow() const { return w + 2 * pad - k + 1; }
  size_t xSize() const { return size_t(n) * c * h * w; }
  size_t wSize() const { return size_t(o) * c * k * k; }
  size_t ySize() const { return size_t(n) * o * oh() * ow(); }
};

const Layer kLayers[] = {
    {"lenet_conv1", 64, 1, 6, 28, 28, 5, 2},
    {"lenet_conv2", 64, 6, 16, 14, 14, 5, 0},
    {"resnet_3x3", 8, 64, 64, 56, 56, 3, 1},
};

const char *const kPassNames[] = {"forward", "backward_data", "backward_weights"};

/// A layer's operands (x, w, b and the output gradient gy) and the results
/// of one implementation (y, dx, dw, db), all plain NCHW / OIHW.
struct Operands {
  std::vector<float> x, w, b, gy;
};
struct Results {
  std::vector<float> y, dx, dw, db;
  explicit Results(const Layer &l)
      : y(l.ySize()), dx(l.xSize()), dw(l.wSize()), db(size_t(l.o)) {}
};

/// Uniform values in [-1, 1) from a fixed seed (splitmix64), so every run
/// times the same data.
void fillUniform(std::vector<float> &v, uint64_t seed) {
  for (float &f : v) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    f = static_cast<float>(static_cast<double>(z >> 40) / double(1 << 23) - 1.0);
  }
}

/// max |a - ref| / max |ref|: how far a result is from the reference,
/// relative to the reference's scale.
double maxRelDiff(const std::vector<float> &a, const std::vector<float> &ref) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(ref[i])));
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

/// FNV-1a over the bytes of a result, folded to 32 bits: equal hashes on
/// different thread counts show the bits did not depend on them.
unsigned bitsHash(const std::vector<float> &v) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const unsigned char *b = reinterpret_cast<const unsigned char *>(v.data());
  for (size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ b[i]) * 0x100000001b3ULL;
  return static_cast<unsigned>(h ^ (h >> 32));
}

std::string bitsHashes(const Results &r) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "y %08x dx %08x dw %08x db %08x", bitsHash(r.y),
                bitsHash(r.dx), bitsHash(r.dw), bitsHash(r.db));
  return buf;
}

/// Median, fastest and slowest of the samples, in milliseconds per call.
struct Stats {
  double median = 0, lo = 0, hi = 0;
};

double nowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Times the candidates side by side: two warm-up calls of each, then
/// `repeats` rounds, each taking one sample of every candidate in turn (the
/// mean of enough calls to last about minSampleMs), so that a change in the
/// machine's speed during the run reaches all candidates alike instead of
/// the one measured at that moment.
std::vector<Stats> measure(const std::vector<std::function<void()>> &fns, int repeats,
                           double minSampleMs) {
  std::vector<int> calls;
  for (const auto &fn : fns) {
    fn();
    double t0 = nowMs();
    fn();
    double once = std::max(nowMs() - t0, 1e-3);
    calls.push_back(std::max(1, static_cast<int>(std::ceil(minSampleMs / once))));
  }
  std::vector<std::vector<double>> samples(fns.size());
  for (int r = 0; r < repeats; ++r)
    for (size_t k = 0; k < fns.size(); ++k) {
      double start = nowMs();
      for (int i = 0; i < calls[k]; ++i) fns[k]();
      samples[k].push_back((nowMs() - start) / calls[k]);
    }
  std::vector<Stats> out;
  for (std::vector<double> &v : samples) {
    std::sort(v.begin(), v.end());
    Stats s;
    s.lo = v.front();
    s.hi = v.back();
    size_t m = v.size();
    s.median = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
    out.push_back(s);
  }
  return out;
}

// --- gradc ---------------------------------------------------------------

/// gradc's convolution through three one-op graphs, y = conv2d(x, w, b),
/// which differ only in what requires grad. Each pass calls one generated
/// entry point directly (no Session, so no copies or zeroing around it):
///   forward           nothing requires grad: P_forward computes y alone
///                     (no context to save, no backward code);
///   backward data     only x requires grad: after one P_forward, P_backward
///                     on that saved context with seed gy and flags 0
///                     (overwrite dx) runs _conv2d_input_backward alone;
///   backward weights  only w and b require grad: P_backward runs
///                     _conv2d_weight_backward and the bias gradient (a
///                     sum of gy over n, h, w), nothing for x.
/// What remains in the timed call besides the convolution is what gradc's
/// buffer plan adds (e.g. a gradient computed in workspace and copied to
/// the caller's buffer).
class GradcConv {
public:
  GradcConv(const Compiler &compiler, const Layer &l, Operands &in, Results &out)
      : in_(in), out_(out) {
    fwd_ = compileOne(compiler, l, "conv_fwd", "");
    data_ = compileOne(compiler, l, "conv_bwd_data", "x");
    weights_ = compileOne(compiler, l, "conv_bwd_weights", "wb");
    for (Graph1 *g : {&data_, &weights_}) { // the saved contexts
      std::vector<float> y(l.ySize());
      void *outs[] = {y.data()};
      check(g->compiled->forward()(g->inputs.data(), outs, g->ctx.data(), g->ws.data()));
    }
  }

  void forward() {
    void *outs[] = {out_.y.data()};
    check(fwd_.compiled->forward()(fwd_.inputs.data(), outs, fwd_.ctx.data(),
                                   fwd_.ws.data()));
  }
  void backwardData() {
    void *grads[] = {out_.dx.data()};
    const void *seeds[] = {in_.gy.data()};
    check(data_.compiled->backward()(data_.ctx.data(), grads, seeds, 0,
                                     data_.ws.data()));
  }
  void backwardWeights() {
    // Gradients come in input order: w, then b.
    void *grads[] = {out_.dw.data(), out_.db.data()};
    const void *seeds[] = {in_.gy.data()};
    check(weights_.compiled->backward()(weights_.ctx.data(), grads, seeds, 0,
                                        weights_.ws.data()));
  }

private:
  struct Graph1 {
    std::unique_ptr<Graph> graph;
    std::unique_ptr<CompiledGraph> compiled;
    std::vector<const void *> inputs;
    AlignedBuffer ctx, ws;
  };

  static void check(unsigned long long status) {
    if (status) throw std::runtime_error("a gradc entry point returned a status");
  }

  /// Compiles y = conv2d(x, w, b) with requires_grad on the inputs named
  /// in `grad` ("x" for x; "wb" for w and b).
  Graph1 compileOne(const Compiler &compiler, const Layer &l, const std::string &name,
                    const std::string &grad) {
    auto decl = [&](const char *v, std::vector<int> shape, bool rg) {
      std::string s = std::string(v) + " = zeros(";
      for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
      return s + (rg ? ", requires_grad=True)\n" : ")\n");
    };
    std::string text = "graph " + name + "\n" +
                       decl("x", {l.n, l.c, l.h, l.w}, grad == "x") +
                       decl("w", {l.o, l.c, l.k, l.k}, grad == "wb") +
                       decl("b", {l.o}, grad == "wb") +
                       "y = conv2d(x, w, b, padding=" + std::to_string(l.pad) +
                       ")\nreturn y\n";
    Graph1 g;
    g.graph = parseGraphText(text, name + ".grad", GraphFormat::Dsl);
    g.compiled = compiler.compile(*g.graph);
    g.compiled->waitForPair();
    const ModuleInfo &mi = g.compiled->info();
    for (const TensorArg &a : mi.inputs)
      g.inputs.push_back(a.name == "x" ? in_.x.data()
                         : a.name == "w" ? in_.w.data()
                                         : in_.b.data());
    g.ctx = AlignedBuffer(std::max<uint64_t>(mi.contextBytes, 64));
    g.ws = AlignedBuffer(std::max<uint64_t>(mi.workspaceBytes, 64));
    return g;
  }

  Operands &in_;
  Results &out_;
  Graph1 fwd_, data_, weights_;
};

// --- oneDNN --------------------------------------------------------------

/// One oneDNN primitive with its arguments in the layouts it chose, and
/// the reorders that bring plain inputs in and results out.
struct DnnlStep {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  std::vector<std::pair<dnnl::reorder, std::pair<dnnl::memory, dnnl::memory>>> in, out;

  void run(dnnl::stream &s, bool withReorders) {
    if (withReorders)
      for (auto &r : in) r.first.execute(s, r.second.first, r.second.second);
    prim.execute(s, args);
    if (withReorders)
      for (auto &r : out) r.first.execute(s, r.second.first, r.second.second);
    s.wait();
  }
};

/// oneDNN's convolution (v2.x API), as PyTorch's CPU convolution calls it:
/// every tensor of the primitive in format_tag::any.
class DnnlConv {
public:
  DnnlConv(const Layer &l, Operands &in, Results &out) : eng_(dnnl::engine::kind::cpu, 0), s_(eng_) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    using dims = dnnl::memory::dims;
    dims xd = {l.n, l.c, l.h, l.w}, wd = {l.o, l.c, l.k, l.k}, bd = {l.o},
         yd = {l.n, l.o, l.oh(), l.ow()}, strides = {1, 1}, pad = {l.pad, l.pad};
    auto any = [](const dims &d) { return dnnl::memory::desc(d, dt::f32, tag::any); };
    auto plain = [&](const dims &d, tag t, float *p) {
      return dnnl::memory(dnnl::memory::desc(d, dt::f32, t), eng_, p);
    };
    dnnl::memory ux = plain(xd, tag::nchw, in.x.data()), uw = plain(wd, tag::oihw, in.w.data()),
                 ub = plain(bd, tag::x, in.b.data()), ugy = plain(yd, tag::nchw, in.gy.data()),
                 uy = plain(yd, tag::nchw, out.y.data()), udx = plain(xd, tag::nchw, out.dx.data()),
                 udw = plain(wd, tag::oihw, out.dw.data()), udb = plain(bd, tag::x, out.db.data());
    auto algo = dnnl::algorithm::convolution_direct;

    dnnl::convolution_forward::primitive_desc fpd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, any(xd),
                                        any(wd), any(bd), any(yd), strides, pad, pad),
        eng_);
    fwd_.prim = dnnl::convolution_forward(fpd);
    bind(fwd_, DNNL_ARG_SRC, fpd.src_desc(), ux, true);
    bind(fwd_, DNNL_ARG_WEIGHTS, fpd.weights_desc(), uw, true);
    bind(fwd_, DNNL_ARG_BIAS, fpd.bias_desc(), ub, true);
    bind(fwd_, DNNL_ARG_DST, fpd.dst_desc(), uy, false);
    impl_[0] = fpd.impl_info_str();

    dnnl::convolution_backward_data::primitive_desc dpd(
        dnnl::convolution_backward_data::desc(algo, any(xd), any(wd), any(yd), strides, pad,
                                              pad),
        eng_, fpd);
    data_.prim = dnnl::convolution_backward_data(dpd);
    bind(data_, DNNL_ARG_DIFF_DST, dpd.diff_dst_desc(), ugy, true);
    bind(data_, DNNL_ARG_WEIGHTS, dpd.weights_desc(), uw, true);
    bind(data_, DNNL_ARG_DIFF_SRC, dpd.diff_src_desc(), udx, false);
    impl_[1] = dpd.impl_info_str();

    dnnl::convolution_backward_weights::primitive_desc wpd(
        dnnl::convolution_backward_weights::desc(algo, any(xd), any(wd), any(bd), any(yd),
                                                 strides, pad, pad),
        eng_, fpd);
    weights_.prim = dnnl::convolution_backward_weights(wpd);
    bind(weights_, DNNL_ARG_SRC, wpd.src_desc(), ux, true);
    bind(weights_, DNNL_ARG_DIFF_DST, wpd.diff_dst_desc(), ugy, true);
    bind(weights_, DNNL_ARG_DIFF_WEIGHTS, wpd.diff_weights_desc(), udw, false);
    bind(weights_, DNNL_ARG_DIFF_BIAS, wpd.diff_bias_desc(), udb, false);
    impl_[2] = wpd.impl_info_str();
  }

  /// Runs pass p (0 forward, 1 backward data, 2 backward weights).
  void run(int p, bool withReorders) { step(p).run(s_, withReorders); }
  /// The implementation oneDNN picked for pass p and how many tensors it
  /// reorders to and from plain layouts.
  std::string describe(int p) {
    DnnlStep &st = step(p);
    return impl_[p] + " (" + std::to_string(st.in.size() + st.out.size()) + " reorders)";
  }

private:
  DnnlStep &step(int p) { return p == 0 ? fwd_ : p == 1 ? data_ : weights_; }

  /// Gives argument `arg` of the step the primitive's layout `want`: the
  /// plain memory itself when the layouts agree, else a memory of its own
  /// with a reorder from (an input) or to (a result) the plain one.
  void bind(DnnlStep &st, int arg, const dnnl::memory::desc &want, dnnl::memory &user,
            bool isInput) {
    if (want == user.get_desc()) {
      st.args.insert({arg, user});
      return;
    }
    dnnl::memory inner(want, eng_);
    st.args.insert({arg, inner});
    if (isInput) {
      st.in.push_back({dnnl::reorder(user, inner), {user, inner}});
      st.in.back().first.execute(s_, user, inner); // ready for primitive-only runs
      s_.wait();
    } else {
      st.out.push_back({dnnl::reorder(inner, user), {inner, user}});
    }
  }

  dnnl::engine eng_;
  dnnl::stream s_;
  DnnlStep fwd_, data_, weights_;
  std::string impl_[3];
};

// --- im2col + OpenBLAS ---------------------------------------------------

/// The textbook form: per image, the column matrix col[C*K*K][OH*OW]
/// (row (c, kh, kw), column (oh, ow): the input element that tap reads,
/// 0 in the padding), then one sgemm:
///   y_n = w (O x CKK) @ col,  dcol = w^T @ gy_n then col2im into dx_n,
///   dw += gy_n (O x P) @ col^T,  db = sum of gy over n, oh, ow.
/// Images run one after another; OpenBLAS threads each GEMM.
class Im2colConv {
public:
  Im2colConv(const Layer &l, Operands &in, Results &out)
      : l_(l), in_(in), out_(out), col_(size_t(rows()) * cols()) {}

  void forward() {
    for (int n = 0; n < l_.n; ++n) {
      im2col(in_.x.data() + size_t(n) * l_.c * l_.h * l_.w);
      float *y = out_.y.data() + size_t(n) * l_.o * cols();
      cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, l_.o, cols(), rows(), 1.0f, in_.w.data(),
                  rows(), col_.data(), cols(), 0.0f, y, cols());
      for (int o = 0; o < l_.o; ++o)
        for (int i = 0; i < cols(); ++i) y[size_t(o) * cols() + i] += in_.b[o];
    }
  }
  void backwardData() {
    for (int n = 0; n < l_.n; ++n) {
      cblas_sgemm(kRowMajor, kTrans, kNoTrans, rows(), cols(), l_.o, 1.0f, in_.w.data(),
                  rows(), in_.gy.data() + size_t(n) * l_.o * cols(), cols(), 0.0f,
                  col_.data(), cols());
      col2im(out_.dx.data() + size_t(n) * l_.c * l_.h * l_.w);
    }
  }
  void backwardWeights() {
    for (int n = 0; n < l_.n; ++n) {
      im2col(in_.x.data() + size_t(n) * l_.c * l_.h * l_.w);
      cblas_sgemm(kRowMajor, kNoTrans, kTrans, l_.o, rows(), cols(), 1.0f,
                  in_.gy.data() + size_t(n) * l_.o * cols(), cols(), col_.data(), cols(),
                  n ? 1.0f : 0.0f, out_.dw.data(), rows());
    }
    for (int o = 0; o < l_.o; ++o) {
      double s = 0;
      for (int n = 0; n < l_.n; ++n) {
        const float *g = in_.gy.data() + (size_t(n) * l_.o + o) * cols();
        for (int i = 0; i < cols(); ++i) s += g[i];
      }
      out_.db[o] = static_cast<float>(s);
    }
  }

private:
  int rows() const { return l_.c * l_.k * l_.k; }
  int cols() const { return l_.oh() * l_.ow(); }

  /// Calls f(col index, input index or -1 in the padding) for every
  /// element of the column matrix of one image.
  template <typename F> void forEachTap(F f) const {
    for (int c = 0; c < l_.c; ++c)
      for (int kh = 0; kh < l_.k; ++kh)
        for (int kw = 0; kw < l_.k; ++kw) {
          size_t row = size_t((c * l_.k + kh) * l_.k + kw) * cols();
          for (int oh = 0; oh < l_.oh(); ++oh) {
            int ih = oh - l_.pad + kh;
            for (int ow = 0; ow < l_.ow(); ++ow) {
              int iw = ow - l_.pad + kw;
              bool inside = ih >= 0 && ih < l_.h && iw >= 0 && iw < l_.w;
              f(row + size_t(oh) * l_.ow() + ow,
                inside ? (long long)(c * l_.h + ih) * l_.w + iw : -1LL);
            }
          }
        }
  }
  void im2col(const float *x) {
    float *col = col_.data();
    forEachTap([&](size_t ci, long long xi) { col[ci] = xi >= 0 ? x[xi] : 0.0f; });
  }
  void col2im(float *dx) {
    std::fill(dx, dx + size_t(l_.c) * l_.h * l_.w, 0.0f);
    const float *col = col_.data();
    forEachTap([&](size_t ci, long long xi) {
      if (xi >= 0) dx[xi] += col[ci];
    });
  }

  Layer l_;
  Operands &in_;
  Results &out_;
  std::vector<float> col_;
};

// --- driver --------------------------------------------------------------

struct Options {
  int threads = 0;     // 0: gradc's default
  int blasThreads = 0; // 0: as threads
  int repeats = 9;
  double minSampleMs = 20;
  std::string layer;
  bool csv = false;
};

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--threads") o.threads = std::stoi(value());
    else if (a == "--repeats") o.repeats = std::max(1, std::stoi(value()));
    else if (a == "--min-sample-ms") o.minSampleMs = std::stod(value());
    else if (a == "--layer") o.layer = value();
    else if (a == "--blas-threads") o.blasThreads = std::stoi(value());
    else if (a == "--csv") o.csv = true;
    else
      throw std::runtime_error("unknown argument '" + a +
                               "' (--threads N --repeats R --min-sample-ms T "
                               "--layer NAME --blas-threads M --csv)");
  }
  return o;
}

/// One thread count for all three: gradc's pool (which also bounds the
/// OpenBLAS gradc loads), OpenBLAS as called here, and the OpenMP runtime
/// oneDNN was built with (looked up at run time: libdnnl brings it).
void setThreads(int n) {
  // gradc loads OpenBLAS at its first GEMM and then applies its own thread
  // count; loading it now lets --blas-threads, set after this, stick.
  loadBlas();
  setNumThreads(n);
  openblas_set_num_threads(n);
  using SetFn = void (*)(int);
  if (auto set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads")))
    set(n);
  else
    std::fprintf(stderr, "warning: omp_set_num_threads not found; oneDNN uses "
                         "OMP_NUM_THREADS\n");
}

std::string cell(const Stats &s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f [%.3f-%.3f]", s.median, s.lo, s.hi);
  return buf;
}

void runLayer(const Compiler &compiler, const Layer &l, const Options &opt,
              std::vector<std::string> &csv) {
  Operands in;
  in.x.resize(l.xSize());
  in.w.resize(l.wSize());
  in.b.resize(size_t(l.o));
  in.gy.resize(l.ySize());
  fillUniform(in.x, 1);
  fillUniform(in.w, 2);
  fillUniform(in.b, 3);
  fillUniform(in.gy, 4);
  Results rg(l), rd(l), ri(l);
  GradcConv gradc(compiler, l, in, rg);
  DnnlConv dnnl(l, in, rd);
  Im2colConv im2col(l, in, ri);

  std::printf("\n%s: x [%d, %d, %d, %d], w [%d, %d, %d, %d], padding %d\n", l.name, l.n,
              l.c, l.h, l.w, l.o, l.c, l.k, l.k, l.pad);
  // Agreement first: every pass once, oneDNN with its reorders to plain.
  gradc.forward(), gradc.backwardData(), gradc.backwardWeights();
  for (int p = 0; p < 3; ++p) dnnl.run(p, true);
  im2col.forward(), im2col.backwardData(), im2col.backwardWeights();
  std::printf("  max relative difference to im2col: gradc y %.2e dx %.2e dw %.2e db %.2e; "
              "oneDNN y %.2e dx %.2e dw %.2e db %.2e\n",
              maxRelDiff(rg.y, ri.y), maxRelDiff(rg.dx, ri.dx), maxRelDiff(rg.dw, ri.dw),
              maxRelDiff(rg.db, ri.db), maxRelDiff(rd.y, ri.y), maxRelDiff(rd.dx, ri.dx),
              maxRelDiff(rd.dw, ri.dw), maxRelDiff(rd.db, ri.db));
  std::printf("  hashes of the result bits: gradc %s; oneDNN %s\n", bitsHashes(rg).c_str(),
              bitsHashes(rd).c_str());
  std::printf("  %-17s %-26s %-26s %-26s %-26s %s\n", "pass (ms)", "gradc", "oneDNN primitive",
              "oneDNN + reorders", "im2col + OpenBLAS", "gradc / best");
  for (int p = 0; p < 3; ++p) {
    std::function<void()> g = p == 0   ? std::function<void()>([&] { gradc.forward(); })
                              : p == 1 ? std::function<void()>([&] { gradc.backwardData(); })
                                       : std::function<void()>([&] { gradc.backwardWeights(); });
    std::function<void()> i = p == 0   ? std::function<void()>([&] { im2col.forward(); })
                              : p == 1 ? std::function<void()>([&] { im2col.backwardData(); })
                                       : std::function<void()>([&] { im2col.backwardWeights(); });
    std::vector<Stats> st =
        measure({g, [&] { dnnl.run(p, false); }, [&] { dnnl.run(p, true); }, i}, opt.repeats,
                opt.minSampleMs);
    const Stats &sg = st[0], &sp = st[1], &sr = st[2], &si = st[3];
    double best = std::min({sp.median, sr.median, si.median});
    std::printf("  %-17s %-26s %-26s %-26s %-26s %.2fx\n", kPassNames[p], cell(sg).c_str(),
                cell(sp).c_str(), cell(sr).c_str(), cell(si).c_str(), sg.median / best);
    std::fflush(stdout);
    const char *names[] = {"gradc", "onednn", "onednn_reorders", "im2col_openblas"};
    const Stats *all[] = {&sg, &sp, &sr, &si};
    for (int k = 0; k < 4; ++k) {
      char row[256];
      std::snprintf(row, sizeof row, "%s,%s,%s,%d,%.4f,%.4f,%.4f", l.name, kPassNames[p],
                    names[k], numThreads(), all[k]->median, all[k]->lo, all[k]->hi);
      csv.push_back(row);
    }
  }
  for (int p = 0; p < 3; ++p)
    std::printf("  oneDNN %s: %s\n", kPassNames[p], dnnl.describe(p).c_str());
}

} // namespace

int main(int argc, char **argv) {
  try {
    Options opt = parseArgs(argc, argv);
    if (opt.threads > 0) setThreads(opt.threads);
    else setThreads(numThreads());
    if (opt.blasThreads > 0) openblas_set_num_threads(opt.blasThreads);
    Compiler compiler([] {
      CompileOptions o;
      o.useCache = false;
      return o;
    }());
    std::printf("threads: %d (gradc pool, OpenMP of oneDNN %d.%d.%d), OpenBLAS %d; %d "
                "samples of >= %.0f ms each\n",
                numThreads(), dnnl::version()->major, dnnl::version()->minor,
                dnnl::version()->patch,
                opt.blasThreads > 0 ? opt.blasThreads : numThreads(), opt.repeats, opt.minSampleMs);
    std::vector<std::string> csv;
    bool any = false;
    for (const Layer &l : kLayers) {
      if (!opt.layer.empty() && opt.layer != l.name) continue;
      any = true;
      runLayer(compiler, l, opt, csv);
    }
    if (!any) throw std::runtime_error("no layer named '" + opt.layer + "'");
    if (opt.csv) {
      std::printf("\nlayer,pass,impl,threads,median_ms,min_ms,max_ms\n");
      for (const std::string &r : csv) std::printf("%s\n", r.c_str());
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "conv_candidates: %s\n", e.what());
    return 1;
  }
  return 0;
}
