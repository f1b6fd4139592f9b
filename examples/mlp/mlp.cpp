// mlp: train an MLP classifier with a JIT-compiled training step.
//
//   mlp [--in 784] [--hidden 512] [--layers 2] [--classes 10] [--batch 64]
//       [--micro 4] [--steps 50] [--lr 0.05] [--seed 1] [--f64]
//       [--dump DIR] [--require-drop F]
//
// Builds the graph of one micro-batch's forward and backward,
//   h1 = relu(x W1 + b1), ..., logits = h W + b, loss = cross_entropy(logits, t)
// with GraphBuilder, JIT-compiles it once, and trains with SGD on a
// synthetic dataset it generates (each class a random prototype vector plus
// noise). A step of `--batch` samples runs `--micro` micro-batches through
// the fused entry point; the first overwrites the gradients, the others
// pass the accumulate flag, so .grad sums over the micro-batches (PyTorch's
// gradient accumulation). Then W -= lr * grad / micro: the step's gradient
// is that of the mean loss over the whole batch.
//
// --dump DIR writes what a PyTorch replay needs (compare_torch.py): the
// initial parameters and every micro-batch as raw little-endian arrays,
// and the losses, described by DIR/manifest.json.
// --require-drop F exits 1 unless the last step's loss is below F times
// the first one (the loss must fall).
#include "../common/ExampleOptions.h"
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Random.h"
#include "runtime/Session.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Config {
  int64_t in = 784, hidden = 512, layers = 2, classes = 10, batch = 64,
          micro = 4, steps = 50, seed = 1;
  double lr = 0.05, requireDrop = 0;
  bool f64 = false;
  std::string dump;
};

/// gradc's SplitMix64 with Box-Muller normals: reproducible on every machine.
using Rng = gradc::SplitMix64;

Config parse(int argc, char **argv) {
  Config c;
  example::Options()
      .integer("--in", c.in).integer("--hidden", c.hidden)
      .integer("--layers", c.layers).integer("--classes", c.classes)
      .integer("--batch", c.batch).integer("--micro", c.micro)
      .integer("--steps", c.steps).integer("--seed", c.seed)
      .real("--lr", c.lr).real("--require-drop", c.requireDrop)
      .flag("--f64", c.f64).text("--dump", c.dump)
      .parse(argc, argv);
  if (c.batch % c.micro)
    throw gradc::Error("--batch must be a multiple of --micro");
  return c;
}

/// The parameters' names and shapes, layer by layer: W0 b0 W1 b1 ...
std::vector<std::pair<std::string, gradc::Shape>> parameters(const Config &c) {
  std::vector<std::pair<std::string, gradc::Shape>> p;
  int64_t fanIn = c.in;
  for (int64_t l = 0; l <= c.layers; ++l) {
    int64_t out = l == c.layers ? c.classes : c.hidden;
    p.push_back({"W" + std::to_string(l), {fanIn, out}});
    p.push_back({"b" + std::to_string(l), {out}});
    fanIn = out;
  }
  return p;
}

/// The training graph of one micro-batch.
std::unique_ptr<gradc::Graph> buildGraph(const Config &c, gradc::DType dt) {
  using gradc::BuildOperand;
  using gradc::OpKind;
  int64_t m = c.batch / c.micro;
  gradc::GraphBuilder b("mlp");
  gradc::Node *h = b.addInput("x", {dt, {m, c.in}}, false, {});
  gradc::Node *t = b.addInput("t", {gradc::DType::I64, {m}}, false, {});
  std::vector<gradc::Node *> params;
  for (const auto &p : parameters(c))
    params.push_back(b.addInput(p.first, {dt, p.second}, true, {}));
  for (int64_t l = 0; l <= c.layers; ++l) {
    gradc::Node *z = b.addOp(OpKind::Matmul,
                             {BuildOperand::of(h), BuildOperand::of(params[2 * l])},
                             {}, "", false);
    z = b.addOp(OpKind::Add, {BuildOperand::of(z), BuildOperand::of(params[2 * l + 1])},
                {}, l == c.layers ? "logits" : "", false);
    h = l == c.layers ? z : b.addOp(OpKind::Relu, {BuildOperand::of(z)}, {}, "", false);
  }
  b.addOp(OpKind::CrossEntropy, {BuildOperand::of(h), BuildOperand::of(t)}, {},
          "loss", false);
  b.addOutput("loss");
  return b.finish();
}

int run(const Config &c) {
  gradc::DType dt = c.f64 ? gradc::DType::F64 : gradc::DType::F32;
  int64_t m = c.batch / c.micro;
  gradc::CompileOptions options; // -O1, host CPU, compile cache on
  gradc::Compiler compiler(options);
  auto compiled = compiler.compile(*buildGraph(c, dt));
  std::printf("mlp %lld-%lld(x%lld)-%lld, batch %lld in %lld micro-batches of %lld, "
              "%s: compiled in %.1f ms%s\n",
              (long long)c.in, (long long)c.hidden, (long long)c.layers,
              (long long)c.classes, (long long)c.batch, (long long)c.micro,
              (long long)m, c.f64 ? "f64" : "f32", compiled->times().totalMs(),
              compiled->times().cacheHit ? " (compile cache)" : "");
  gradc::Session s(*compiled);
  Rng rng{static_cast<uint64_t>(c.seed)};

  // Parameters: PyTorch's nn.Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  std::vector<std::pair<std::string, gradc::Tensor>> params;
  int64_t fanIn = c.in;
  for (const auto &p : parameters(c)) {
    gradc::Tensor w(dt, p.second);
    if (p.first[0] == 'W') fanIn = p.second[0];
    double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    for (int64_t i = 0; i < w.numel(); ++i) w.set(i, bound * (2 * rng.uniform() - 1));
    params.push_back({p.first, std::move(w)});
  }
  // The dataset: one prototype per class; a sample is its class's
  // prototype plus N(0, 1.5^2) noise.
  std::vector<std::vector<double>> proto(c.classes, std::vector<double>(c.in));
  for (auto &p : proto)
    for (double &v : p) v = rng.normal();

  if (!c.dump.empty())
    for (const auto &p : params) example::writeRaw(c.dump + "/init_" + p.first + ".bin", p.second);
  std::vector<double> losses;
  gradc::Tensor x(dt, {m, c.in}), t(gradc::DType::I64, {m});
  for (int64_t step = 0; step < c.steps; ++step) {
    for (const auto &p : params) s.setInput(p.first, p.second);
    double loss = 0;
    for (int64_t k = 0; k < c.micro; ++k) {
      for (int64_t i = 0; i < m; ++i) {
        int64_t cls = static_cast<int64_t>(rng.next() % static_cast<uint64_t>(c.classes));
        t.set(i, static_cast<double>(cls));
        for (int64_t j = 0; j < c.in; ++j)
          x.set(i * c.in + j, proto[cls][j] + 1.5 * rng.normal());
      }
      if (!c.dump.empty()) {
        std::string base = c.dump + "/step" + std::to_string(step) + "_micro" +
                           std::to_string(k);
        example::writeRaw(base + "_x.bin", x);
        example::writeRaw(base + "_t.bin", t);
      }
      s.setInput("x", x);
      s.setInput("t", t);
      // loss.backward(): the first micro-batch assigns .grad, the others
      // accumulate into it.
      s.runFused({{"loss"}}, /*accumulate=*/k > 0);
      loss += s.output("loss").get(0) / static_cast<double>(c.micro);
    }
    // SGD on the batch-mean gradient.
    for (auto &p : params) {
      const gradc::Tensor *g = s.grad(p.first);
      for (int64_t i = 0; i < p.second.numel(); ++i)
        p.second.set(i, p.second.get(i) -
                            c.lr * g->get(i) / static_cast<double>(c.micro));
    }
    s.clearGrads();
    losses.push_back(loss);
    std::printf("step %3lld  loss %.6f\n", (long long)step, loss);
  }

  if (!c.dump.empty()) {
    std::ostringstream fields;
    fields << "\"in\": " << c.in << ", \"hidden\": " << c.hidden << ", \"layers\": "
           << c.layers << ", \"classes\": " << c.classes << ", \"batch\": " << c.batch
           << ", \"micro\": " << c.micro << ", \"steps\": " << c.steps
           << ", \"lr\": " << c.lr << ", \"dtype\": \"" << (c.f64 ? "f64" : "f32") << "\"";
    example::writeManifest(c.dump, fields.str(), parameters(c), losses);
  }
  if (c.requireDrop > 0) {
    double first = losses.front(), last = losses.back();
    bool ok = last < c.requireDrop * first;
    std::printf("loss %.6f -> %.6f: %s\n", first, last,
                ok ? "falls" : "does not fall enough");
    return ok ? 0 : 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parse(argc, argv));
  } catch (const gradc::Error &e) {
    std::fprintf(stderr, "mlp: error: %s\n", e.what());
    return 2;
  }
}
