//===- ir/GradFn.cpp - PyTorch grad_fn names ------------------------------===//
#include "ir/GradFn.h"

#include "ir/OpClasses.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace gradc {

namespace {

bool isScalarConstant(const Node *n) {
  return n->op == OpKind::Constant && n->type.rank() == 0;
}

/// The strides of a view of a tensor with `oldShape`/`oldStride` as
/// `newShape`, or nullopt when no such view exists (then PyTorch's reshape
/// copies). The same chunk-matching rule as ATen's computeStride: walking
/// from the innermost dim, group the old dims into contiguous chunks; each
/// chunk must be covered exactly by a run of new dims.
std::optional<std::vector<int64_t>> viewStrides(const Shape &oldShape,
                                                const std::vector<int64_t> &oldStride,
                                                const Shape &newShape) {
  const int64_t nNew = static_cast<int64_t>(newShape.size());
  std::vector<int64_t> st(newShape.size(), 1);
  if (oldShape.empty()) return st;
  int64_t numel = numElements(oldShape);
  if (numel == 0) {
    if (oldShape == newShape) return oldStride;
    for (int64_t d = nNew - 2; d >= 0; --d)
      st[d] = std::max<int64_t>(newShape[d + 1], 1) * st[d + 1];
    return st;
  }
  int64_t viewD = nNew - 1;
  int64_t base = oldStride.back(), chunk = 1, covered = 1;
  for (int64_t d = static_cast<int64_t>(oldShape.size()) - 1; d >= 0; --d) {
    chunk *= oldShape[d];
    bool chunkEnds = d == 0 || (oldShape[d - 1] != 1 &&
                                oldStride[d - 1] != chunk * base);
    if (!chunkEnds) continue;
    while (viewD >= 0 && (covered < chunk || newShape[viewD] == 1)) {
      st[viewD] = covered * base;
      covered *= newShape[viewD];
      --viewD;
    }
    if (covered != chunk) return std::nullopt;
    if (d > 0) {
      base = oldStride[d - 1];
      chunk = 1;
      covered = 1;
    }
  }
  if (viewD != -1) return std::nullopt;
  return st;
}

/// How far torchStrides follows elementwise ops back before it assumes a
/// contiguous tensor (bounds the work and the recursion).
constexpr int kLayoutDepth = 32;

/// Memo of torchStrides within one query (operands may be shared, so the
/// walk is over a DAG).
using StrideMemo = std::unordered_map<const Node *, std::vector<int64_t>>;

std::vector<int64_t> torchStrides(const Node *n, int depth, StrideMemo &memo);

/// The layout of an elementwise op's result, as PyTorch's TensorIterator
/// picks it: dims ordered fastest-first by comparing the operands' strides
/// (the first operand with distinct non-zero strides decides; equal strides
/// put the smaller dim first), then a dense tensor in that order. So
/// sin(x.t()) is laid out like x.t().
std::vector<int64_t> elementwiseStrides(const Node *n, int depth,
                                        StrideMemo &memo) {
  const Shape &out = n->type.shape;
  const size_t nd = out.size();
  std::vector<std::vector<int64_t>> ops; // operand strides broadcast to out
  for (const Node *o : n->operands) {
    std::vector<int64_t> st = torchStrides(o, depth, memo), b(nd, 0);
    const Shape &os = o->type.shape;
    size_t lead = nd - os.size();
    for (size_t d = 0; d < os.size(); ++d)
      b[d + lead] = (os[d] == 1 && out[d + lead] != 1) ? 0 : st[d];
    ops.push_back(b);
  }
  auto shouldSwap = [&](size_t d0, size_t d1) {
    for (const auto &st : ops) {
      if (st[d0] == 0 || st[d1] == 0) continue;
      if (st[d0] < st[d1]) return -1;
      if (st[d0] > st[d1]) return 1;
      if (out[d0] > out[d1]) return 1;
    }
    return 0;
  };
  std::vector<size_t> perm(nd); // fastest dim first
  for (size_t i = 0; i < nd; ++i) perm[i] = nd - 1 - i;
  for (size_t i = 1; i < nd; ++i) { // insertion sort, ambiguous pairs stay
    size_t d1 = i;
    for (size_t d0 = i; d0-- > 0;) {
      int c = shouldSwap(perm[d0], perm[d1]);
      if (c > 0) {
        std::swap(perm[d0], perm[d1]);
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  }
  std::vector<int64_t> st(nd);
  int64_t next = 1;
  for (size_t i = 0; i < nd; ++i) {
    st[perm[i]] = next;
    next *= out[perm[i]];
  }
  return st;
}

/// The strides PyTorch's tensor for `n` would have: views carry their
/// operand's layout along, elementwise ops follow their operands' layout,
/// every other op makes a contiguous tensor. Chains of views are walked
/// iteratively; elementwise ops are followed up to kLayoutDepth deep.
std::vector<int64_t> torchStrides(const Node *n, int depth, StrideMemo &memo) {
  auto hit = memo.find(n);
  if (hit != memo.end()) return hit->second;
  std::vector<const Node *> chain;
  const Node *base = n;
  while (isView(base->op)) {
    chain.push_back(base);
    base = base->operands[0];
  }
  std::vector<int64_t> st = depth < kLayoutDepth && isElementwise(base->op)
                                ? elementwiseStrides(base, depth + 1, memo)
                                : rowMajorStrides(base->type.shape);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Node *v = *it;
    if (v->info().has(opprop::Identity)) continue; // detach: the same layout
    const Shape &in = v->operands[0]->type.shape, &out = v->type.shape;
    // Every other view is a shape op; shapeOp() throws for one that is not.
    switch (shapeOp(v->op)) {
    case ShapeOp::Transpose:
      if (!st.empty())
        std::swap(st[getInt(v->attrs, "dim0", 0)], st[getInt(v->attrs, "dim1", 0)]);
      break;
    case ShapeOp::Permute: {
      std::vector<int64_t> p = getInts(v->attrs, "dims", {}), s2;
      for (int64_t d : p) s2.push_back(st[d]);
      st = s2;
      break;
    }
    case ShapeOp::Expand: {
      size_t lead = out.size() - in.size();
      std::vector<int64_t> s2(out.size(), 0);
      for (size_t d = 0; d < in.size(); ++d)
        s2[d + lead] = (in[d] == 1 && out[d + lead] != 1) ? 0 : st[d];
      st = s2;
      break;
    }
    case ShapeOp::Slice: {
      int64_t d = getInt(v->attrs, "dim", 0);
      st[d] *= getInt(v->attrs, "step", 1);
      break;
    }
    case ShapeOp::Select: // drops dim
      st.erase(st.begin() + getInt(v->attrs, "dim", 0));
      break;
    case ShapeOp::Squeeze: { // drops the listed (default: all) size-1 dims
      std::vector<int64_t> listed = getInts(v->attrs, "dim", {}), s2;
      bool all = !v->attrs.count("dim");
      for (size_t d = 0; d < in.size(); ++d) {
        bool named = all || std::find(listed.begin(), listed.end(),
                                      static_cast<int64_t>(d)) != listed.end();
        if (!(named && in[d] == 1)) s2.push_back(st[d]);
      }
      st = s2;
      break;
    }
    case ShapeOp::Unsqueeze: {
      int64_t d = getInt(v->attrs, "dim", 0);
      int64_t r = static_cast<int64_t>(in.size());
      st.insert(st.begin() + d, d >= r ? 1 : in[d] * st[d]);
      break;
    }
    case ShapeOp::Reshape: {
      auto s2 = viewStrides(in, st, out);
      st = s2 ? *s2 : rowMajorStrides(out);
      break;
    }
    case ShapeOp::Concat: // not a view: never in the chain
      break;
    }
  }
  memo[n] = st;
  return st;
}

} // namespace

std::string gradFnName(const Node &n) {
  const OpInfo &info = n.info();
  if (!info.gradFn) return "";
  // A composite's result shows the composite's node, as PyTorch has one.
  if (!n.gradFn.empty()) return n.gradFn;
  // Every other op's name is its row's GradFn column; the ops below pick
  // among several of PyTorch's backward nodes by the call form (scalar
  // operands, attributes, ranks, the operand's layout).
  const OpKind k = n.op;
  if (k == OpKind::Sub) {
    // `2 - x` dispatches to rsub(Tensor, Scalar).
    if (isScalarConstant(n.operands[0]) && !isScalarConstant(n.operands[1]))
      return "RsubBackward1";
    return info.gradFn;
  }
  if (k == OpKind::Div) {
    // `2 / x` is reciprocal(x) * 2 in PyTorch.
    if (isScalarConstant(n.operands[0]) && !isScalarConstant(n.operands[1]))
      return "MulBackward0";
    return info.gradFn;
  }
  if (k == OpKind::Pow) {
    // x ** 2 is PowBackward0; x ** y and 2 ** x (Python's __rpow__ makes
    // the 2 a tensor) are PowBackward1. Scalar operands read as Python
    // operators throughout, as in the DSL (`2 - x`, `2 / x`, `2 ** x`).
    if (isScalarConstant(n.operands[1])) return "PowBackward0";
    return "PowBackward1";
  }
  if (k == OpKind::Sum || k == OpKind::Mean) {
    // x.sum() is SumBackward0; with a dim (or keepdim, which PyTorch only
    // takes together with a dim) it is SumBackward1.
    std::string base = n.op == OpKind::Sum ? "Sum" : "Mean";
    bool dimForm = n.attrs.count("dim") || getBool(n.attrs, "keepdim", false);
    return base + (dimForm ? "Backward1" : "Backward0");
  }
  if (k == OpKind::Max || k == OpKind::Min) {
    std::string base = n.op == OpKind::Max ? "Max" : "Min";
    auto it = n.attrs.find("dim");
    // x.max() is MaxBackward1 (its gradient is spread over ties); with
    // keepdim but no dim it is x.amax(all dims, keepdim=True).
    if (it == n.attrs.end())
      return getBool(n.attrs, "keepdim", false)
                 ? std::string(n.op == OpKind::Max ? "Amax" : "Amin") + "Backward0"
                 : base + "Backward1";
    // x.max(dim) is MaxBackward0 (gradient to the returned index); a list
    // of dims needs amax/amin. A scalar's dim 0 canonicalizes to [].
    size_t nd = getInts(n.attrs, "dim", {}).size();
    if (nd == 1 || n.operands[0]->type.rank() == 0) return base + "Backward0";
    return std::string(n.op == OpKind::Max ? "Amax" : "Amin") + "Backward0";
  }
  if (k == OpKind::AdaptiveAvgPool2d) {
    // PyTorch computes an output of 1x1 as x.mean((-1, -2), keepdim=True).
    return getInts(n.attrs, "output_size", {}) == std::vector<int64_t>{1, 1}
               ? "MeanBackward1"
               : "AdaptiveAvgPool2DBackward0";
  }
  if (k == OpKind::Norm) {
    // torch.norm over two dims is frobenius_norm, computed as a sqrt.
    return getInts(n.attrs, "dim", {}).size() == 2 ? "SqrtBackward0"
                                                   : info.gradFn;
  }
  if (k == OpKind::NllLoss) {
    // Inputs with positions ([N, C, d...]) go through nll_loss2d, on a view
    // as [N, C, H, W] unless there are exactly two; reduction none then
    // views the result back.
    int64_t r = n.operands[0]->type.rank();
    if (r <= 2) return info.gradFn;
    if (getString(n.attrs, "reduction", "mean") == "none" && r != 4)
      return "ViewBackward0";
    return "NllLoss2DBackward0";
  }
  if (k == OpKind::Squeeze) {
    return n.attrs.count("dim") && getInts(n.attrs, "dim", {}).size() == 1
               ? "SqueezeBackward1"
               : "SqueezeBackward0";
  }
  if (k == OpKind::Reshape) {
    // reshape is a view (_reshape_alias) when the operand's layout allows
    // one, else a copy followed by _unsafe_view.
    StrideMemo memo;
    return viewStrides(n.operands[0]->type.shape,
                       torchStrides(n.operands[0], 0, memo), n.type.shape)
               ? "ReshapeAliasBackward0"
               : "UnsafeViewBackward0";
  }
  if (k == OpKind::Matmul) {
    // torch.matmul dispatches on the ranks: dot, mv, mm, or a folded
    // bmm/mm followed by a view (or, for 2-D @ batched, a transposed copy).
    int64_t ra = n.operands[0]->type.rank(), rb = n.operands[1]->type.rank();
    if (ra == 1 && rb == 1) return "DotBackward0";
    if (ra == 1 && rb == 2) return "SqueezeBackward3";
    if (ra == 2 && rb == 1) return "MvBackward0";
    if (ra == 2 && rb == 2) return "MmBackward0";
    if (ra == 2 && rb >= 3) {
      // (b^T @ a^T)^T made contiguous: a copy unless the transposed result
      // already is contiguous (one of its two matrix dims is 1).
      int64_t rows = n.operands[0]->type.shape[0];
      int64_t cols = n.operands[1]->type.shape.back();
      return rows == 1 || cols == 1 ? "TransposeBackward0" : "CloneBackward0";
    }
    return "UnsafeViewBackward0";
  }
  return info.gradFn;
}

} // namespace gradc
