//===- frontend/CompositeBatchNorm.cpp - batch_norm as primitives ---------===//
//
// F.batch_norm(input, running_mean, running_var, weight=None, bias=None,
// training=False, momentum=0.1, eps=1e-5) on [N, C, *] inputs.
//
// Training normalizes with the batch's statistics over every dim but the
// channel dim 1: mean and biased variance (var with correction 0), then
// y = (x - mean) / sqrt(var + eps) * weight + bias. The var op accumulates
// in double in two passes, so this is as accurate as PyTorch's kernel, and
// the primitives' rules give batch norm's gradient (through mean and var).
//
// The updated running statistics are values of their own, named after the
// result: NAME.running_mean = (1 - momentum) running_mean + momentum mean
// and NAME.running_var = (1 - momentum) running_var + momentum var * n /
// (n - 1) (PyTorch updates with the unbiased variance; n values per
// channel). They are computed in no_grad and exist only when training with
// both running tensors given and the result is named; a graph lists them
// as outputs to get them, and the host copies them back into its running
// buffers after each step (docs/ops.md).
//
// Without training, the running statistics normalize instead.
//
//===----------------------------------------------------------------------===//
#include "frontend/CompositeOps.h"

#include "ir/Error.h"

namespace gradc {

namespace {
BuildOperand V(Node *n) { return BuildOperand::of(n); }
BuildOperand L(double v) { return BuildOperand::number(v); }
} // namespace

Node *batchNorm(GraphBuilder &b, const std::vector<BuildOperand> &x,
                const AttrMap &attrs, const std::string &name, bool noGrad) {
  auto op = [&](OpKind k, std::vector<BuildOperand> ops, AttrMap a = {},
                const std::string &n = "", bool ng = false) {
    return b.addOp(k, ops, std::move(a), n, noGrad || ng);
  };
  for (size_t k = 0; k < x.size(); ++k)
    if (!x[k].absent && !x[k].node)
      throw Error("operand " + std::to_string(k) +
                  " must be a tensor or None, not a number");
  Node *in = x[0].node;
  Node *rm = x[1].node, *rv = x[2].node, *w = x[3].node, *bias = x[4].node;
  const bool training = getBool(attrs, "training", false);
  const double momentum = getFloat(attrs, "momentum", 0.1);
  const double eps = getFloat(attrs, "eps", 1e-5);
  const Shape &s = in->type.shape;
  const int64_t rank = in->type.rank();
  if (rank < 2)
    throw Error("expected an input of shape [N, C, *], got " +
                shapeToString(s));
  const int64_t channels = s[1];
  if ((rm == nullptr) != (rv == nullptr))
    throw Error("give both running_mean and running_var, or neither");
  if (!training && !rm)
    throw Error("running_mean and running_var are required when training is "
                "false");
  const Shape perChannel{channels};
  for (Node *t : {rm, rv, w, bias})
    if (t && t->type.shape != perChannel)
      throw Error("'" + std::string(t == rm   ? "running_mean"
                                    : t == rv ? "running_var"
                                    : t == w  ? "weight"
                                              : "bias") +
                  "' must have shape [" + std::to_string(channels) +
                  "] (the channels), got " + shapeToString(t->type.shape));
  // [C] -> [C, 1, ...]: broadcasts against [N, C, *].
  Shape colShape(static_cast<size_t>(rank - 1), 1);
  colShape[0] = channels;
  auto column = [&](Node *t) {
    return op(OpKind::Reshape, {V(t)}, {{"shape", colShape}});
  };
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < rank; ++d) dims.push_back(d);
  int64_t perChannelCount = 1;
  for (int64_t d : dims) perChannelCount *= s[d];

  Node *mean, *var;
  if (training) {
    if (perChannelCount <= 1)
      throw Error("expected more than 1 value per channel when training, got "
                  "input of shape " + shapeToString(s));
    mean = op(OpKind::Mean, {V(in)}, {{"dim", dims}, {"keepdim", true}});
    var = op(OpKind::Var, {V(in)},
             {{"dim", dims}, {"correction", int64_t(0)}, {"keepdim", true}});
  } else {
    mean = column(rm);
    var = column(rv);
  }
  // y = (x - mean) * rsqrt(var + eps) [* w] [+ b]
  Node *invStd = op(OpKind::Rsqrt, {V(op(OpKind::Add, {V(var), L(eps)}))});
  Node *centered = op(OpKind::Sub, {V(in), V(mean)});
  bool last = !w && !bias;
  Node *y = op(OpKind::Mul, {V(centered), V(invStd)}, {}, last ? name : "");
  if (w)
    y = op(OpKind::Mul, {V(y), V(column(w))}, {}, bias ? "" : name);
  if (bias) y = op(OpKind::Add, {V(y), V(column(bias))}, {}, name);

  if (training && rm && !name.empty()) {
    // The running statistics, in no_grad (PyTorch updates them in place
    // outside of autograd), with the unbiased batch variance.
    double unbias = static_cast<double>(perChannelCount) /
                    static_cast<double>(perChannelCount - 1);
    auto flat = [&](Node *t) {
      return op(OpKind::Reshape, {V(t)}, {{"shape", perChannel}}, "", true);
    };
    auto update = [&](Node *running, Node *batch, double scale,
                      const std::string &suffix) {
      Node *kept = op(OpKind::Mul, {V(running), L(1 - momentum)}, {}, "", true);
      Node *fresh = op(OpKind::Mul, {V(flat(batch)), L(momentum * scale)}, {},
                       "", true);
      op(OpKind::Add, {V(kept), V(fresh)}, {}, name + suffix, true);
    };
    update(rm, mean, 1.0, ".running_mean");
    update(rv, var, unbias, ".running_var");
  }
  return y;
}

} // namespace gradc
