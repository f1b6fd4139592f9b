//===- tests/runtime/SizedModelsTest.cpp - Models with a symbolic batch ----===//
//
// The CNN and the GPT of the examples (smaller: fewer channels, a shorter
// context), written in the DSL with a symbolic batch size B: one
// GraphFamily runs them at B = 1, 7, 128 and 1000, and every output and
// gradient has the bits of the graph written with that number. Sizes near
// one another share compiled code (runtime/CodeTemplate.h).
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/GraphFamily.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace gradc;

namespace {

// LeNet-5 as examples/cnn builds it: conv-relu-pool twice, three linear
// layers, cross-entropy.
const char *kCnn = R"(graph cnn
x = input(B, 1, 28, 28)
t = input(B, dtype=i64)
c1w = randn(6, 1, 5, 5, seed=1, requires_grad=True)
c1b = zeros(6, requires_grad=True)
c2w = randn(16, 6, 5, 5, seed=2, requires_grad=True)
c2b = zeros(16, requires_grad=True)
f1w = randn(400, 120, seed=3, requires_grad=True)
f1b = zeros(120, requires_grad=True)
f2w = randn(120, 84, seed=4, requires_grad=True)
f2b = zeros(84, requires_grad=True)
f3w = randn(84, 10, seed=5, requires_grad=True)
f3b = zeros(10, requires_grad=True)
h1 = max_pool2d(relu(conv2d(x, c1w * 0.2, c1b, padding=2)), 2)
h2 = max_pool2d(relu(conv2d(h1, c2w * 0.08, c2b)), 2)
h3 = relu(h2.reshape(-1, 400) @ (f1w * 0.05) + f1b)
h4 = relu(h3 @ (f2w * 0.09) + f2b)
logits = h4 @ (f3w * 0.1) + f3b
loss = cross_entropy(logits, t)
return loss, logits
)";

// One pre-LayerNorm block of examples/gpt (causal self-attention and a GELU
// MLP), context 16, width 32, 4 heads, vocabulary 20.
const char *kGpt = R"(graph gpt
idx = input(B, 16, dtype=i64)
targets = input(B, 16, dtype=i64)
wte = randn(20, 32, seed=1, requires_grad=True)
wpe = randn(16, 32, seed=2, requires_grad=True)
lw = ones(32, requires_grad=True)
lb = zeros(32, requires_grad=True)
aw = randn(32, 96, seed=3, requires_grad=True)
pw = randn(32, 32, seed=4, requires_grad=True)
fw = randn(32, 128, seed=5, requires_grad=True)
mw = randn(128, 32, seed=6, requires_grad=True)
hw = randn(32, 20, seed=7, requires_grad=True)
pos = arange(16)
mask = pos.reshape(1, 16) > pos.reshape(16, 1)
x0 = embedding(idx, wte) + embedding(pos, wpe)
qkv = layer_norm(x0, [32], lw, lb) @ (aw * 0.18)
q = qkv[:, :, 0:32].reshape(-1, 16, 4, 8).permute(0, 2, 1, 3)
k = qkv[:, :, 32:64].reshape(-1, 16, 4, 8).permute(0, 2, 3, 1)
v = qkv[:, :, 64:96].reshape(-1, 16, 4, 8).permute(0, 2, 1, 3)
att = softmax(masked_fill(q @ k * 0.35355339059327373, mask, -inf), dim=-1)
y = (att @ v).permute(0, 2, 1, 3).reshape(-1, 16, 32)
x1 = x0 + y @ (pw * 0.18)
x2 = x1 + gelu(layer_norm(x1, [32], lw, lb) @ (fw * 0.18)) @ (mw * 0.09)
logits = layer_norm(x2, [32]) @ (hw * 0.18)
loss = cross_entropy(logits.reshape(-1, 20), targets.reshape(-1))
return loss
)";

std::string withNumber(std::string text, int64_t n) {
  std::string from = "input(B";
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at))
    text.replace(at + 6, 1, std::to_string(n));
  return text;
}

bool sameBits(const Tensor &a, const Tensor &b) {
  return a.type() == b.type() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.type().bytes())) == 0;
}

/// Random values for every input the family's graph at `sizes` has without
/// an init: floats normal, integers in [0, classes).
std::map<std::string, Tensor> feed(const Graph &g, int64_t classes, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd;
  std::map<std::string, Tensor> in;
  for (const Node *n : g.inputs()) {
    if (n->attrs.count("init")) continue;
    Tensor t(n->type.dtype, n->type.shape);
    for (int64_t i = 0; i < t.numel(); ++i)
      t.set(i, n->type.dtype == DType::F32 ? nd(gen) : static_cast<double>(gen() % classes));
    in.emplace(n->name, std::move(t));
  }
  return in;
}

/// Every output and gradient of the family's member at each B of `sizes`
/// (taken in order) has the bits of the static graph at that B.
void expectStaticBits(const char *text, int64_t classes, const std::vector<std::string> &outs,
                      const std::vector<int64_t> &sizes) {
  GraphFamily family(text, "model.grad", GraphFormat::Dsl);
  Compiler c;
  std::vector<Root> roots{{"loss"}};
  for (int64_t b : sizes) {
    auto g = parseGraphText(withNumber(text, b), "static.grad", GraphFormat::Dsl);
    auto st = c.compile(*g);
    Session sm(family.member({{"B", b}})), ss(*st);
    for (auto &kv : feed(*g, classes, static_cast<unsigned>(b)))
      sm.setInput(kv.first, kv.second), ss.setInput(kv.first, kv.second);
    sm.runFused(roots, false);
    ss.runFused(roots, false);
    for (const std::string &o : outs)
      EXPECT_TRUE(sameBits(sm.output(o), ss.output(o))) << o << " at B=" << b;
    for (const Node *n : g->inputs()) {
      if (getBool(n->attrs, "requires_grad", false)) {
        EXPECT_TRUE(sameBits(*sm.grad(n->name), *ss.grad(n->name)))
            << n->name << " at B=" << b;
      }
    }
  }
  // Some of these sizes have code of their own structure (larger batches
  // cross the convolution-tile and parallel-block thresholds), but the
  // sizes near 7 share its template: no compile for them.
  size_t compiles = family.compileCount();
  for (int64_t b = 8; b <= 16; ++b) family.member({{"B", b}});
  EXPECT_EQ(family.compileCount(), compiles) << family.instanceCount() << " instances";
}

/// The compiles of the family of `text` over B = 1..hi, run in order.
size_t compilesUpTo(const char *text, int64_t hi) {
  GraphFamily family(text, "model.grad", GraphFormat::Dsl);
  for (int64_t b = 1; b <= hi; ++b) family.member({{"B", b}});
  return family.compileCount();
}

} // namespace

// Over B = 1..256 the CNN takes 4 compiles (B = 1, 26, 56, 164) and the
// GPT block 4 (B = 1, 128, 171, 256); docs/symbolic-sizes.md says why. These
// check the ranges below the first parallel blocks: the CNN's workspace
// offset changing at 31 no longer starts a template (2 compiles: B = 1's
// first convolution has its own form, one image per GEMM, and at 26 the
// logits' nullable seed leaves the tiny loop, whose stand-in form is kept
// because it compiles faster), nor do the GPT block's size-1 dims at B = 1
// and its row blocks at 22, 32 and 64 (1 compile).
TEST(SizedModels, CnnTakesTwoCompilesUpToBatch55) {
  EXPECT_EQ(compilesUpTo(kCnn, 55), 2u);
}

TEST(SizedModels, GptBlockTakesOneCompileUpToBatch127) {
  EXPECT_EQ(compilesUpTo(kGpt, 127), 1u);
}

TEST(SizedModels, CnnGivesTheStaticBitsAtEveryBatchSize) {
  // 31: an instance of B = 26's template, where the logits' seed is a
  // specialized loop and a workspace offset has changed since 26.
  expectStaticBits(kCnn, 10, {"loss", "logits"}, {1, 7, 31, 128, 1000});
}

TEST(SizedModels, GptBlockGivesTheStaticBitsAtEveryBatchSize) {
  // 64: an instance of B = 1's template whose norms, softmax and copies
  // run on the thread pool (the dispatch flag read from the table).
  expectStaticBits(kGpt, 20, {"loss"}, {1, 7, 64, 128, 1000});
}
