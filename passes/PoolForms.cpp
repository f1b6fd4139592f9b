//===- passes/PoolForms.cpp - max_pool2d's selection as ordinary ops ------===//
#include "passes/PoolForms.h"

#include "ir/PoolGeometry.h"

namespace gradc {
namespace {

/// `v` with `before` and `after` elements of value `fill` added along
/// `dim` (concat with splat blocks).
Node *pad(GradBuilder &b, Node *v, int64_t dim, int64_t before, int64_t after,
          double fill) {
  if (!before && !after) return v;
  std::vector<Node *> parts;
  auto block = [&](int64_t n) {
    TensorType t = v->type;
    t.shape[dim] = n;
    parts.push_back(b.full(fill, t));
  };
  if (before) block(before);
  parts.push_back(v);
  if (after) block(after);
  return b.op(OpKind::Concat, parts, {{"dim", dim}});
}

/// `count` elements of `v` along `dim` from `start`, `step` apart.
Node *take(GradBuilder &b, Node *v, int64_t dim, int64_t start, int64_t count,
           int64_t step) {
  return b.op(OpKind::Slice, {v},
              {{"dim", dim}, {"start", start},
               {"end", start + (count - 1) * step + 1}, {"step", step}});
}

} // namespace

Node *maxPoolGather(GradBuilder &b, Node *x, Node *y, Node *t,
                    const AttrMap &attrs, int64_t batch) {
  PoolGeometry g = poolGeometry(x->type.shape, attrs, true, "max_pool2d");
  int64_t s = batch > 0 ? 1 : 0;
  DType dt = x->type.dtype;
  // Pad both to cover every window: the padding never wins a window (a
  // value below any input, as PyTorch's -inf padding; finite so that the
  // generated code needs no infinity literal) and carries a zero tangent.
  double low = dt == DType::F64 ? -1e300 : -1e38;
  int64_t needH = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  int64_t needW = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  int64_t afterH = std::max<int64_t>(0, needH - g.h - g.ph);
  int64_t afterW = std::max<int64_t>(0, needW - g.w - g.pw);
  Node *xp = pad(b, pad(b, x, 2, g.ph, afterH, low), 3, g.pw, afterW, low);
  Node *tp = pad(b, pad(b, t, 2 + s, g.ph, afterH, 0), 3 + s, g.pw, afterW, 0);
  Node *taken = nullptr, *acc = nullptr;
  Node *zero = b.scalar(0, dt);
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) {
      auto window = [&](Node *v, int64_t d) {
        return take(b, take(b, v, d, i * g.dh, g.oh, g.sh), d + 1, j * g.dw, g.ow,
                    g.sw);
      };
      // The offset is picked where it holds the maximum and no earlier
      // offset of the window did.
      Node *hit = b.op(OpKind::Eq, {window(xp, 2), y});
      Node *pick = taken ? b.select(taken, b.boolean(false), hit) : hit;
      taken = taken ? b.logicalOr(taken, hit) : hit;
      Node *term = b.select(pick, window(tp, 2 + s), zero);
      acc = acc ? b.add(acc, term) : term;
    }
  return acc;
}

} // namespace gradc
