// gpt: train a small character-level GPT with a JIT-compiled training step.
//
//   gpt [--text FILE] [--batch 16] [--block 64] [--embd 128] [--heads 4]
//       [--layers 2] [--steps 50] [--lr 1e-3] [--weight-decay 0.01]
//       [--seed 1] [--dump DIR] [--emit-cpp FILE] [--require-loss-drop]
//
// The model, on the characters of a text (examples/gpt/text.txt, written
// for this example):
//   x = wte[idx] + wpe[arange(T)]                          token + position
//   repeated `layers` times, pre-LayerNorm:
//     x = x + proj(causal multi-head self-attention(ln_1(x)))
//     x = x + mlp(ln_2(x)),  mlp(h) = gelu(h W_fc + b_fc) W_proj + b_proj
//   logits = ln_f(x) W_head,  loss = cross_entropy(logits, next character)
// built with GraphBuilder (embedding, arange, layer_norm, matmul, masked_fill
// with a causal mask, softmax, gelu, cross_entropy) and JIT-compiled once.
// Training is AdamW on the host, as torch.optim.AdamW computes it (betas
// 0.9, 0.999, eps 1e-8, decoupled weight decay on every parameter). Batches
// are random windows of the text.
//
// Each step prints the batch's loss. --dump DIR writes the initial
// parameters, every batch and the losses for compare_torch.py, which replays
// the training in PyTorch. --emit-cpp FILE writes the generated C++ of the
// training step (to read what the compiler made of it). --require-loss-drop exits 1 unless the mean loss
// of the last ten steps is below that of the first ten.
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
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef GRADC_GPT_TEXT
#define GRADC_GPT_TEXT "text.txt"
#endif

namespace {

using gradc::BuildOperand;
using gradc::Node;
using gradc::OpKind;

struct Config {
  int64_t batch = 16, block = 64, embd = 128, heads = 4, layers = 2, steps = 50, seed = 1;
  double lr = 1e-3, weightDecay = 0.01;
  bool requireDrop = false;
  std::string text = GRADC_GPT_TEXT, dump, emitCpp;
};

Config parse(int argc, char **argv) {
  Config c;
  example::Options()
      .integer("--batch", c.batch).integer("--block", c.block)
      .integer("--embd", c.embd).integer("--heads", c.heads)
      .integer("--layers", c.layers).integer("--steps", c.steps)
      .integer("--seed", c.seed).real("--lr", c.lr)
      .real("--weight-decay", c.weightDecay).text("--text", c.text)
      .text("--dump", c.dump).text("--emit-cpp", c.emitCpp)
      .flag("--require-loss-drop", c.requireDrop)
      .parse(argc, argv);
  if (c.embd % c.heads) throw gradc::Error("--embd must be a multiple of --heads");
  return c;
}

/// One parameter: its name (as compare_torch.py knows it), shape and init
/// (N(0, 0.02) for weights, zeros for biases, ones for LayerNorm gains).
struct Param {
  std::string name;
  gradc::Shape shape;
  enum Init { Normal, Zeros, Ones } init;
};

std::vector<Param> parameters(const Config &c, int64_t vocab) {
  int64_t d = c.embd;
  std::vector<Param> p = {{"wte", {vocab, d}, Param::Normal},
                          {"wpe", {c.block, d}, Param::Normal}};
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string h = "h" + std::to_string(l) + ".";
    std::vector<Param> block = {
        {h + "ln_1.weight", {d}, Param::Ones},   {h + "ln_1.bias", {d}, Param::Zeros},
        {h + "attn.w", {d, 3 * d}, Param::Normal}, {h + "attn.b", {3 * d}, Param::Zeros},
        {h + "proj.w", {d, d}, Param::Normal},   {h + "proj.b", {d}, Param::Zeros},
        {h + "ln_2.weight", {d}, Param::Ones},   {h + "ln_2.bias", {d}, Param::Zeros},
        {h + "fc.w", {d, 4 * d}, Param::Normal}, {h + "fc.b", {4 * d}, Param::Zeros},
        {h + "mlp_proj.w", {4 * d, d}, Param::Normal}, {h + "mlp_proj.b", {d}, Param::Zeros}};
    p.insert(p.end(), block.begin(), block.end());
  }
  p.push_back({"ln_f.weight", {d}, Param::Ones});
  p.push_back({"ln_f.bias", {d}, Param::Zeros});
  p.push_back({"head.w", {d, vocab}, Param::Normal});
  return p;
}

/// The training graph of one batch: outputs the loss.
std::unique_ptr<gradc::Graph> buildGraph(const Config &c, int64_t vocab) {
  gradc::DType dt = gradc::DType::F32;
  gradc::GraphBuilder b("gpt");
  auto op = [&](OpKind k, std::vector<Node *> in, gradc::AttrMap a = {},
                const std::string &name = "") {
    std::vector<BuildOperand> ops;
    for (Node *n : in) ops.push_back(BuildOperand::of(n));
    return b.addOp(k, ops, std::move(a), name, false);
  };
  auto shape = [](std::vector<int64_t> s) { return gradc::Attr(s); };
  const int64_t B = c.batch, T = c.block, D = c.embd, H = c.heads, hd = D / H;
  Node *idx = b.addInput("idx", {gradc::DType::I64, {B, T}}, false, {});
  Node *tgt = b.addInput("targets", {gradc::DType::I64, {B, T}}, false, {});
  std::map<std::string, Node *> p;
  for (const Param &q : parameters(c, vocab))
    p[q.name] = b.addInput(q.name, {dt, q.shape}, true, {});
  auto linear = [&](Node *x, const std::string &w, const std::string &bias) {
    Node *y = op(OpKind::Matmul, {x, p[w]});
    return bias.empty() ? y : op(OpKind::Add, {y, p[bias]});
  };
  auto layerNorm = [&](Node *x, const std::string &pre) {
    return op(OpKind::LayerNorm, {x, p[pre + ".weight"], p[pre + ".bias"]},
              {{"normalized_shape", shape({D})}});
  };
  // Token and position embeddings; the causal mask: key position > query.
  Node *pos = op(OpKind::Arange, {}, {{"end", T}});
  Node *x = op(OpKind::Add, {op(OpKind::Embedding, {idx, p["wte"]}),
                             op(OpKind::Embedding, {pos, p["wpe"]})});
  Node *mask = op(OpKind::Gt, {op(OpKind::Reshape, {pos}, {{"shape", shape({1, T})}}),
                               op(OpKind::Reshape, {pos}, {{"shape", shape({T, 1})}})});
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string h = "h" + std::to_string(l) + ".";
    Node *qkv = linear(layerNorm(x, h + "ln_1"), h + "attn.w", h + "attn.b");
    // q, k, v: [B, T, D] -> [B, H, T, hd] (k as [B, H, hd, T]).
    auto head = [&](int64_t part, std::vector<int64_t> perm) {
      Node *s = op(OpKind::Slice, {qkv},
                   {{"dim", int64_t(2)}, {"start", part * D}, {"end", (part + 1) * D}});
      return op(OpKind::Permute, {op(OpKind::Reshape, {s}, {{"shape", shape({B, T, H, hd})}})},
                {{"dims", shape(perm)}});
    };
    Node *q = head(0, {0, 2, 1, 3}), *k = head(1, {0, 2, 3, 1}), *v = head(2, {0, 2, 1, 3});
    // Scores q k^T / sqrt(hd), the future masked out, softmax over keys.
    Node *att = b.addOp(OpKind::Mul,
                        {BuildOperand::of(op(OpKind::Matmul, {q, k})),
                         BuildOperand::number(1.0 / std::sqrt(static_cast<double>(hd)))},
                        {}, "", false);
    att = op(OpKind::MaskedFill, {att, mask}, {{"value", -INFINITY}});
    att = op(OpKind::Softmax, {att}, {{"dim", int64_t(-1)}});
    Node *y = op(OpKind::Permute, {op(OpKind::Matmul, {att, v})}, {{"dims", shape({0, 2, 1, 3})}});
    y = op(OpKind::Reshape, {y}, {{"shape", shape({B, T, D})}});
    x = op(OpKind::Add, {x, linear(y, h + "proj.w", h + "proj.b")});
    Node *m = op(OpKind::Gelu, {linear(layerNorm(x, h + "ln_2"), h + "fc.w", h + "fc.b")});
    x = op(OpKind::Add, {x, linear(m, h + "mlp_proj.w", h + "mlp_proj.b")});
  }
  Node *logits = linear(layerNorm(x, "ln_f"), "head.w", "");
  op(OpKind::CrossEntropy,
     {op(OpKind::Reshape, {logits}, {{"shape", shape({B * T, vocab})}}),
      op(OpKind::Reshape, {tgt}, {{"shape", shape({B * T})}})},
     {}, "loss");
  b.addOutput("loss");
  return b.finish();
}

/// AdamW's hyperparameters at one step: the bias corrections 1 - beta^t.
struct AdamW {
  float lr, weightDecay, b1, b2, eps, bc1, bc2;
};

/// One AdamW step on n parameters, as torch.optim.AdamW computes it
/// (single-tensor form): p *= 1 - lr wd; m = b1 m + (1 - b1) g;
/// v = b2 v + (1 - b2) g^2; p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
/// The per-tensor constants are computed once, to the same float values;
/// with the pointers known not to alias (and sqrt without errno, see
/// CMakeLists.txt), the loop vectorizes.
void adamwStep(float *__restrict p, float *__restrict m, float *__restrict v,
               const float *__restrict g, int64_t n, const AdamW &h) {
  const float decay = 1 - h.lr * h.weightDecay, step = h.lr / h.bc1;
  const float rootBc2 = std::sqrt(h.bc2);
  for (int64_t i = 0; i < n; ++i) {
    p[i] *= decay;
    m[i] = h.b1 * m[i] + (1 - h.b1) * g[i];
    v[i] = h.b2 * v[i] + (1 - h.b2) * g[i] * g[i];
    float denom = std::sqrt(v[i]) / rootBc2 + h.eps;
    p[i] -= step * m[i] / denom;
  }
}

int run(const Config &c) {
  std::ifstream in(c.text, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!in || text.size() < static_cast<size_t>(c.block) + 2)
    throw gradc::Error("cannot read a text longer than the block from '" + c.text + "'");
  // The vocabulary: the distinct bytes of the text, in byte order.
  int code[256];
  std::string chars;
  for (int i = 0; i < 256; ++i) code[i] = -1;
  for (unsigned char ch : text) code[ch] = 0;
  for (int i = 0; i < 256; ++i)
    if (code[i] == 0) code[i] = static_cast<int>(chars.size()), chars += static_cast<char>(i);
  int64_t vocab = static_cast<int64_t>(chars.size());

  gradc::CompileOptions options;
  gradc::Compiler compiler(options);
  auto compiled = compiler.compile(*buildGraph(c, vocab));
  std::printf("gpt: %lld layers, d %lld, %lld heads, block %lld, batch %lld, vocab %lld, "
              "f32: compiled in %.1f ms%s\n",
              (long long)c.layers, (long long)c.embd, (long long)c.heads, (long long)c.block,
              (long long)c.batch, (long long)vocab, compiled->times().totalMs(),
              compiled->times().cacheHit ? " (compile cache)" : "");
  if (!c.emitCpp.empty()) {
    std::ofstream f(c.emitCpp);
    f << compiled->cppSource();
    if (!f) throw gradc::Error("cannot write " + c.emitCpp);
  }
  gradc::Session s(*compiled);
  gradc::SplitMix64 rng{static_cast<uint64_t>(c.seed)};
  std::vector<Param> spec = parameters(c, vocab);
  std::vector<gradc::Tensor> params, m1, m2;
  for (const Param &q : spec) {
    gradc::Tensor w(gradc::DType::F32, q.shape);
    for (int64_t i = 0; i < w.numel(); ++i)
      w.set(i, q.init == Param::Normal ? 0.02 * rng.normal() : q.init == Param::Ones ? 1 : 0);
    if (!c.dump.empty()) example::writeRaw(c.dump + "/init_" + q.name + ".bin", w);
    m1.push_back(gradc::Tensor(gradc::DType::F32, q.shape));
    m2.push_back(gradc::Tensor(gradc::DType::F32, q.shape));
    params.push_back(std::move(w));
  }
  gradc::Tensor idx(gradc::DType::I64, {c.batch, c.block}), tgt(gradc::DType::I64, {c.batch, c.block});
  std::vector<double> losses;
  double stepMs = 0;
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  for (int64_t step = 0; step < c.steps; ++step) {
    for (int64_t i = 0; i < c.batch; ++i) {
      uint64_t span = text.size() - static_cast<size_t>(c.block) - 1;
      size_t o = static_cast<size_t>(rng.next() % span);
      for (int64_t t = 0; t < c.block; ++t) {
        idx.set(i * c.block + t, code[static_cast<unsigned char>(text[o + t])]);
        tgt.set(i * c.block + t, code[static_cast<unsigned char>(text[o + t + 1])]);
      }
    }
    if (!c.dump.empty()) {
      example::writeRaw(c.dump + "/step" + std::to_string(step) + "_idx.bin", idx);
      example::writeRaw(c.dump + "/step" + std::to_string(step) + "_targets.bin", tgt);
    }
    auto t0 = std::chrono::steady_clock::now();
    for (size_t k = 0; k < spec.size(); ++k) s.setInput(spec[k].name, params[k]);
    s.setInput("idx", idx);
    s.setInput("targets", tgt);
    s.runFused({{"loss"}}, /*accumulate=*/false);
    AdamW h{static_cast<float>(c.lr), static_cast<float>(c.weightDecay), b1, b2, eps,
            1 - std::pow(b1, static_cast<float>(step + 1)),
            1 - std::pow(b2, static_cast<float>(step + 1))};
    for (size_t k = 0; k < spec.size(); ++k)
      adamwStep(static_cast<float *>(params[k].data()), static_cast<float *>(m1[k].data()),
                static_cast<float *>(m2[k].data()),
                static_cast<const float *>(s.grad(spec[k].name)->data()), params[k].numel(), h);
    stepMs += std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - t0).count();
    double loss = s.output("loss").get(0);
    losses.push_back(loss);
    std::printf("step %3lld  loss %.6f\n", (long long)step, loss);
  }
  std::printf("mean training step (forward, backward, AdamW): %.3f ms\n",
              stepMs / static_cast<double>(c.steps));
  if (!c.dump.empty()) {
    std::ostringstream fields;
    fields << "\"batch\": " << c.batch << ", \"block\": " << c.block << ", \"embd\": "
           << c.embd << ", \"heads\": " << c.heads << ", \"layers\": " << c.layers
           << ", \"vocab\": " << vocab << ", \"steps\": " << c.steps << ", \"lr\": " << c.lr
           << ", \"weight_decay\": " << c.weightDecay;
    std::vector<std::pair<std::string, gradc::Shape>> params;
    for (const Param &q : spec) params.push_back({q.name, q.shape});
    example::writeManifest(c.dump, fields.str(), params, losses);
  }
  if (c.requireDrop) {
    size_t k = std::min<size_t>(10, losses.size() / 2);
    double first = 0, last = 0;
    for (size_t i = 0; i < k; ++i) {
      first += losses[i] / static_cast<double>(k);
      last += losses[losses.size() - 1 - i] / static_cast<double>(k);
    }
    bool ok = k > 0 && last < first;
    std::printf("loss %.4f (first %zu steps) -> %.4f (last %zu): %s\n", first, k, last, k,
                ok ? "drops" : "does not drop");
    return ok ? 0 : 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parse(argc, argv));
  } catch (const gradc::Error &e) {
    std::fprintf(stderr, "gpt: error: %s\n", e.what());
    return 2;
  }
}
