// cnn: train a LeNet-5-style convolutional network with a JIT-compiled
// training step.
//
//   cnn [--batch 64] [--steps 50] [--lr 0.02] [--momentum 0.9] [--seed 1]
//       [--noise 1.0] [--dump DIR] [--require-accuracy-rise]
//
// The network, on 1x28x28 images of ten classes:
//   conv(1->6, 5x5, padding 2) relu maxpool 2   -> 6x14x14
//   conv(6->16, 5x5)           relu maxpool 2   -> 16x5x5
//   flatten, linear 400->120 relu, 120->84 relu, 84->10, cross_entropy
// built with GraphBuilder and JIT-compiled once. The data set is synthetic
// and deterministic: each class is a random pattern of a few Gaussian
// blobs, and a sample is its class's pattern, shifted by up to two pixels,
// plus N(0, noise^2) pixel noise. Training is SGD with momentum on the host
// (PyTorch's torch.optim.SGD: buf = momentum * buf + grad, p -= lr * buf).
//
// Each step prints the batch's loss and accuracy (from the logits of the
// forward pass, before the update). --dump DIR writes the initial
// parameters, every batch and the losses for compare_torch.py, which
// replays the training in PyTorch. --require-accuracy-rise exits 1 unless
// the mean accuracy of the last ten steps exceeds that of the first ten.
#include "../common/ExampleOptions.h"
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Random.h"
#include "runtime/Session.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Config {
  int64_t batch = 64, steps = 50, seed = 1;
  double lr = 0.02, momentum = 0.9, noise = 1.0;
  bool requireRise = false;
  std::string dump;
};

constexpr int64_t kClasses = 10, kSide = 28;

Config parse(int argc, char **argv) {
  Config c;
  example::Options()
      .integer("--batch", c.batch).integer("--steps", c.steps)
      .integer("--seed", c.seed).real("--lr", c.lr)
      .real("--momentum", c.momentum).real("--noise", c.noise)
      .text("--dump", c.dump).flag("--require-accuracy-rise", c.requireRise)
      .parse(argc, argv);
  return c;
}

/// The parameters, in the order the network uses them, with their fan-in
/// (PyTorch's default init draws U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
struct Param {
  std::string name;
  gradc::Shape shape;
  int64_t fanIn;
};

std::vector<Param> parameters() {
  return {{"conv1.weight", {6, 1, 5, 5}, 25},   {"conv1.bias", {6}, 25},
          {"conv2.weight", {16, 6, 5, 5}, 150}, {"conv2.bias", {16}, 150},
          {"fc1.weight", {400, 120}, 400},      {"fc1.bias", {120}, 400},
          {"fc2.weight", {120, 84}, 120},       {"fc2.bias", {84}, 120},
          {"fc3.weight", {84, 10}, 84},         {"fc3.bias", {10}, 84}};
}

/// The training graph of one batch: outputs the loss and the logits.
std::unique_ptr<gradc::Graph> buildGraph(const Config &c) {
  using gradc::BuildOperand;
  using gradc::OpKind;
  gradc::DType dt = gradc::DType::F32;
  gradc::GraphBuilder b("cnn");
  auto op = [&](OpKind k, std::vector<gradc::Node *> in, gradc::AttrMap a = {},
                const std::string &name = "") {
    std::vector<BuildOperand> ops;
    for (gradc::Node *n : in) ops.push_back(BuildOperand::of(n));
    return b.addOp(k, ops, std::move(a), name, false);
  };
  gradc::Node *x = b.addInput("x", {dt, {c.batch, 1, kSide, kSide}}, false, {});
  gradc::Node *t = b.addInput("t", {gradc::DType::I64, {c.batch}}, false, {});
  std::vector<gradc::Node *> p;
  for (const Param &q : parameters()) p.push_back(b.addInput(q.name, {dt, q.shape}, true, {}));
  gradc::AttrMap pool = {{"kernel_size", int64_t(2)}};
  gradc::Node *h = op(OpKind::Conv2d, {x, p[0], p[1]}, {{"padding", int64_t(2)}});
  h = op(OpKind::MaxPool2d, {op(OpKind::Relu, {h})}, pool);
  h = op(OpKind::Conv2d, {h, p[2], p[3]});
  h = op(OpKind::MaxPool2d, {op(OpKind::Relu, {h})}, pool);
  h = op(OpKind::Reshape, {h}, {{"shape", std::vector<int64_t>{c.batch, 400}}});
  h = op(OpKind::Relu, {op(OpKind::Add, {op(OpKind::Matmul, {h, p[4]}), p[5]})});
  h = op(OpKind::Relu, {op(OpKind::Add, {op(OpKind::Matmul, {h, p[6]}), p[7]})});
  gradc::Node *logits =
      op(OpKind::Add, {op(OpKind::Matmul, {h, p[8]}), p[9]}, {}, "logits");
  op(OpKind::CrossEntropy, {logits, t}, {}, "loss");
  b.addOutput("loss");
  b.addOutput("logits");
  return b.finish();
}

/// The synthetic data set: one pattern of blobs per class.
struct Data {
  std::vector<std::vector<double>> pattern;
  double noise;

  Data(gradc::SplitMix64 &rng, double noise) : pattern(kClasses), noise(noise) {
    for (auto &img : pattern) {
      img.assign(kSide * kSide, 0.0);
      for (int blob = 0; blob < 3; ++blob) {
        double cy = 6 + 16 * rng.uniform(), cx = 6 + 16 * rng.uniform();
        double r = 2 + 3 * rng.uniform(), s = rng.uniform() < 0.5 ? -1 : 1;
        for (int64_t y = 0; y < kSide; ++y)
          for (int64_t x = 0; x < kSide; ++x) {
            double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
            img[y * kSide + x] += s * 2 * std::exp(-d2 / (2 * r * r));
          }
      }
    }
  }

  /// Fills sample i of the batch with a random class.
  void sample(gradc::SplitMix64 &rng, gradc::Tensor &x, gradc::Tensor &t, int64_t i) {
    int64_t cls = static_cast<int64_t>(rng.next() % kClasses);
    int64_t dy = static_cast<int64_t>(rng.next() % 5) - 2;
    int64_t dx = static_cast<int64_t>(rng.next() % 5) - 2;
    t.set(i, static_cast<double>(cls));
    for (int64_t y = 0; y < kSide; ++y)
      for (int64_t xx = 0; xx < kSide; ++xx) {
        int64_t sy = y - dy, sx = xx - dx;
        double v = sy >= 0 && sy < kSide && sx >= 0 && sx < kSide
                       ? pattern[cls][sy * kSide + sx]
                       : 0.0;
        // Stored as f32: the PyTorch replay reads the same values.
        x.set(i * kSide * kSide + y * kSide + xx, v + noise * rng.normal());
      }
  }
};

int run(const Config &c) {
  gradc::CompileOptions options;
  gradc::Compiler compiler(options);
  auto compiled = compiler.compile(*buildGraph(c));
  std::printf("cnn (LeNet-5 style), batch %lld, f32: compiled in %.1f ms%s\n",
              (long long)c.batch, compiled->times().totalMs(),
              compiled->times().cacheHit ? " (compile cache)" : "");
  gradc::Session s(*compiled);
  gradc::SplitMix64 rng{static_cast<uint64_t>(c.seed)};
  std::vector<gradc::Tensor> params, bufs;
  std::vector<Param> spec = parameters();
  for (const Param &q : spec) {
    gradc::Tensor w(gradc::DType::F32, q.shape);
    double bound = 1.0 / std::sqrt(static_cast<double>(q.fanIn));
    for (int64_t i = 0; i < w.numel(); ++i) w.set(i, bound * (2 * rng.uniform() - 1));
    if (!c.dump.empty()) example::writeRaw(c.dump + "/init_" + q.name + ".bin", w);
    bufs.push_back(gradc::Tensor(gradc::DType::F32, q.shape));
    params.push_back(std::move(w));
  }
  Data data(rng, c.noise);
  gradc::Tensor x(gradc::DType::F32, {c.batch, 1, kSide, kSide});
  gradc::Tensor t(gradc::DType::I64, {c.batch});
  std::vector<double> losses, accs;
  double stepMs = 0;
  for (int64_t step = 0; step < c.steps; ++step) {
    for (int64_t i = 0; i < c.batch; ++i) data.sample(rng, x, t, i);
    if (!c.dump.empty()) {
      example::writeRaw(c.dump + "/step" + std::to_string(step) + "_x.bin", x);
      example::writeRaw(c.dump + "/step" + std::to_string(step) + "_t.bin", t);
    }
    auto t0 = std::chrono::steady_clock::now();
    for (size_t k = 0; k < spec.size(); ++k) s.setInput(spec[k].name, params[k]);
    s.setInput("x", x);
    s.setInput("t", t);
    s.runFused({{"loss"}}, /*accumulate=*/false);
    // SGD with momentum (dampening 0, no weight decay), as torch.optim.SGD.
    for (size_t k = 0; k < spec.size(); ++k) {
      const gradc::Tensor *g = s.grad(spec[k].name);
      float *p = static_cast<float *>(params[k].data());
      float *buf = static_cast<float *>(bufs[k].data());
      const float *gv = static_cast<const float *>(g->data());
      float mom = static_cast<float>(c.momentum), lr = static_cast<float>(c.lr);
      for (int64_t i = 0; i < params[k].numel(); ++i) {
        buf[i] = step == 0 ? gv[i] : mom * buf[i] + gv[i];
        p[i] -= lr * buf[i];
      }
    }
    stepMs += std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - t0).count();
    const gradc::Tensor &logits = s.output("logits");
    int64_t right = 0;
    for (int64_t i = 0; i < c.batch; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < kClasses; ++k)
        if (logits.get(i * kClasses + k) > logits.get(i * kClasses + best)) best = k;
      right += best == static_cast<int64_t>(t.get(i));
    }
    double loss = s.output("loss").get(0);
    double acc = static_cast<double>(right) / static_cast<double>(c.batch);
    losses.push_back(loss);
    accs.push_back(acc);
    std::printf("step %3lld  loss %.6f  accuracy %.3f\n", (long long)step, loss, acc);
  }
  std::printf("mean training step (forward, backward, SGD): %.3f ms\n",
              stepMs / static_cast<double>(c.steps));
  if (!c.dump.empty()) {
    std::ostringstream fields;
    fields << "\"batch\": " << c.batch << ", \"steps\": " << c.steps << ", \"lr\": "
           << c.lr << ", \"momentum\": " << c.momentum;
    std::vector<std::pair<std::string, gradc::Shape>> params;
    for (const Param &q : spec) params.push_back({q.name, q.shape});
    example::writeManifest(c.dump, fields.str(), params, losses);
  }
  if (c.requireRise) {
    size_t k = std::min<size_t>(10, accs.size() / 2);
    double first = 0, last = 0;
    for (size_t i = 0; i < k; ++i) {
      first += accs[i] / static_cast<double>(k);
      last += accs[accs.size() - 1 - i] / static_cast<double>(k);
    }
    bool ok = k > 0 && last > first;
    std::printf("accuracy %.3f (first %zu steps) -> %.3f (last %zu): %s\n", first, k,
                last, k, ok ? "rises" : "does not rise");
    return ok ? 0 : 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parse(argc, argv));
  } catch (const gradc::Error &e) {
    std::fprintf(stderr, "cnn: error: %s\n", e.what());
    return 2;
  }
}
