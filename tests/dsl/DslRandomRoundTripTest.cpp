//===- tests/dsl/DslRandomRoundTripTest.cpp - Random graphs through the DSL ===//
//
// Builds random graphs over the whole op table with GraphBuilder (random
// shapes, dtypes, inits, literals, attributes, no_grad flags, temporaries
// used several times, hostile names), writes each with writeDslGraph,
// parses it back and compares printGraph. Deterministic seed.
//
//===----------------------------------------------------------------------===//
#include "DslTestUtil.h"

#include <cmath>
#include <limits>
#include <random>
#include <set>

using namespace gradc;
using namespace gradc::dsltest;

namespace {

class RandomGraph {
public:
  explicit RandomGraph(unsigned seed) : rng_(seed) {}

  std::unique_ptr<Graph> build() {
    GraphBuilder b(pickName(false));
    int nInputs = 1 + pick(4);
    for (int i = 0; i < nInputs; ++i) addInput(b);
    int nOps = 3 + pick(25);
    for (int i = 0; i < nOps; ++i) addOp(b);
    std::vector<Node *> named;
    for (Node *v : values_)
      if (!v->name.empty()) named.push_back(v);
    std::set<Node *> outs;
    int nOut = 1 + pick(3);
    for (int i = 0; i < nOut; ++i) outs.insert(named[pick(named.size())]);
    for (Node *n : outs) b.addOutput(n->name);
    return b.finish();
  }

private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<>(0, 1)(rng_) < p; }
  int64_t range(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  /// A fresh name: mostly plain, sometimes one that needs backticks.
  std::string pickName(bool allowEmpty) {
    if (allowEmpty && chance(0.4)) return "";
    static const char *hostile[] = {
        "my name", "return", "123", "a`b", "ünï", "x.y", "\n", "$t", "T",
        "torch", "F", "inf", "nan", "graph", "with", "%0", "%%1", "\\",
        "\xff", "\"q\"", "'", "None", "True", "lambda", "ones", "relu",
        "no_grad", "-1", "a b\tc", "\x01"};
    std::string n;
    if (chance(0.3)) n = hostile[pick(sizeof hostile / sizeof *hostile)];
    if (chance(0.02)) n = std::string(300, 'L');
    if (n.empty() || used_.count(n)) n = "v" + std::to_string(counter_++);
    used_.insert(n);
    return n;
  }

  double literal() {
    static const double lits[] = {
        2, -1, 0.5, -0.0, 1e-7, 1e20, 3, 1e16, 123456789.125, 5e-324,
        std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN(), 0.1, -2.5e-300};
    return lits[pick(sizeof lits / sizeof *lits)];
  }

  void addInput(GraphBuilder &b) {
    static const Shape shapes[] = {{}, {3}, {2, 3}, {3, 3}, {1, 3},
                                   {3, 1}, {2, 1, 3}, {0}, {2, 0}};
    Shape s = shapes[pick(sizeof shapes / sizeof *shapes)];
    DType t = chance(0.7)   ? DType::F32
              : chance(0.5) ? DType::F64
              : chance(0.7) ? DType::I64
              : chance(0.5) ? DType::I32
                            : DType::Bool;
    InputInit init;
    init.kind = static_cast<InputInit::Kind>(pick(7));
    init.value = literal();
    init.seed = range(-5, 1000);
    if (init.kind == InputInit::Data)
      for (int64_t i = 0; i < numElements(s); ++i)
        init.data.push_back(chance(0.5) ? double(range(-3, 3)) : literal());
    bool rg = isFloat(t) && chance(0.5);
    values_.push_back(b.addInput(pickName(false), {t, s}, rg, init));
  }

  void addOp(GraphBuilder &b) {
    std::vector<std::string> ops = userOpNames();
    OpKind k = *lookupOp(ops[pick(ops.size())]);
    const OpInfo &info = opInfo(k);
    int arity = info.maxArity < 0 ? 1 + static_cast<int>(pick(3))
                                  : info.maxArity;
    std::vector<BuildOperand> operands;
    for (int i = 0; i < arity; ++i) {
      if (chance(0.2) && k != OpKind::Concat)
        operands.push_back(BuildOperand::number(literal()));
      else // Prefer recent values, so that chains form.
        operands.push_back(BuildOperand::of(
            values_[values_.size() - 1 - pick(std::min<size_t>(values_.size(), 4))]));
    }
    // The types the shape rule will see (literals as GraphBuilder types
    // them), to avoid calling addOp with operands it rejects.
    DType lit = DType::F32;
    for (const BuildOperand &o : operands)
      if (o.node && o.node->type.dtype != DType::Bool) {
        lit = o.node->type.dtype;
        break;
      }
    std::vector<TensorType> types;
    for (const BuildOperand &o : operands)
      types.push_back(o.node ? o.node->type : TensorType{lit, {}});
    if (types.empty()) types.push_back({lit, {}}); // arange: no operands
    int64_t r = std::max<int64_t>(types[0].rank(), 1);
    auto dim = [&] { return range(-r, r - 1); };
    AttrMap a;
    switch (info.cls) {
    case OpClass::Reduce:
      if (chance(0.5)) a["dim"] = chance(0.5) ? Attr(dim()) : Attr(std::vector<int64_t>{dim(), dim()});
      if (chance(0.5)) a["keepdim"] = chance(0.5);
      break;
    case OpClass::Leaf: case OpClass::Unary: case OpClass::Binary:
    case OpClass::Compare: case OpClass::Ternary: case OpClass::Shape:
    case OpClass::Special:
      break;
    }
    int64_t n = types[0].numel();
    // Attributes for the ops named here; the others are built with none
    // (an op whose attributes are all optional still round-trips).
    if (k == OpKind::Reshape) {
      a["shape"] = chance(0.5) ? std::vector<int64_t>{-1} : std::vector<int64_t>{1, n};
    }
    if (k == OpKind::Expand) {
      Shape s = types[0].shape;
      s.insert(s.begin(), 2);
      if (s.size() > 1 && chance(0.5)) s[1] = -1;
      a["shape"] = s;
    }
    if (k == OpKind::Transpose) {
      if (chance(0.8)) a["dim0"] = dim(), a["dim1"] = dim();
    }
    if (k == OpKind::Permute) {
      std::vector<int64_t> p;
      for (int64_t i = 0; i < types[0].rank(); ++i) p.push_back(i);
      std::shuffle(p.begin(), p.end(), rng_);
      a["dims"] = p;
    }
    if (k == OpKind::Squeeze) {
      if (chance(0.5)) a["dim"] = dim();
    }
    if (k == OpKind::Unsqueeze) {
      a["dim"] = range(-r, r);
    }
    if (k == OpKind::Concat || k == OpKind::Softmax || k == OpKind::LogSoftmax) {
      a["dim"] = dim();
    }
    if (k == OpKind::Slice) {
      a["dim"] = dim();
      if (chance(0.7)) a["start"] = range(-4, 4);
      if (chance(0.7)) a["end"] = range(-4, 4);
      if (chance(0.5)) a["step"] = range(1, 3);
    }
    if (k == OpKind::Arange) {
      a["end"] = chance(0.5) ? Attr(range(0, 4)) : Attr(0.5 * double(range(0, 6)));
      if (chance(0.5)) a["start"] = range(-2, 0);
      if (chance(0.3)) a["dtype"] = std::string("f64");
    }
    if (k == OpKind::Full) {
      // torch.full(size, fill_value): int, float or bool
      a["size"] = chance(0.3) ? std::vector<int64_t>{} : std::vector<int64_t>{range(0, 3), 2};
      a["fill_value"] = chance(0.3) ? Attr(range(-3, 3))
                        : chance(0.5) ? Attr(literal()) : Attr(chance(0.5));
      if (chance(0.3)) a["dtype"] = std::string("f64");
    }
    if (k == OpKind::Clamp) {
      // one bound or both
      if (chance(0.7)) a["min"] = -0.5;
      if (!a.count("min") || chance(0.5)) a["max"] = 0.5;
    }
    if (k == OpKind::CrossEntropy || k == OpKind::NllLoss || k == OpKind::MseLoss) {
      static const char *red[] = {"mean", "sum", "none"};
      if (chance(0.6)) a["reduction"] = std::string(red[pick(3)]);
    }
    try {
      AttrMap probe = a;
      info.infer(types, probe);
    } catch (const Error &) {
      return; // Not a valid node; try another.
    }
    values_.push_back(b.addOp(k, operands, a, pickName(true), chance(0.2)));
  }

  std::mt19937 rng_;
  std::vector<Node *> values_;
  std::set<std::string> used_;
  int counter_ = 0;
};

TEST(DslRandomRoundTrip, WriteThenParseGivesTheSameIR) {
  int nodes = 0, temps = 0;
  for (unsigned seed = 1; seed <= 400; ++seed) {
    std::unique_ptr<Graph> g = RandomGraph(seed).build();
    nodes += static_cast<int>(g->nodes().size());
    std::string text = expectRoundTrip(*g);
    temps += text.find("$0 = ") != std::string::npos;
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed;
      break;
    }
  }
  // The generator must exercise something: many nodes, some temporaries.
  EXPECT_GT(nodes, 3000);
  EXPECT_GT(temps, 20);
}

} // namespace
