//===- codegen/NormEmitter.cpp - Loop nests of normalization --------------===//
//
// Row r of the input is x[r * M + j], j < M. Statistics per row:
//   mean = sum_j x / M,  var = sum_j (x - mean)^2 / M,  rstd = 1/sqrt(var+eps)
// (two passes, in double: no cancellation), xhat = (x - mean) rstd.
//
//===----------------------------------------------------------------------===//
#include "codegen/NormEmitter.h"
#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"
#include "codegen/ParallelBlocks.h"

#include "ir/Error.h"
#include "ir/NormShapes.h"

namespace gradc {

namespace {

using emit::num;

using emit::at;

/// `for (long long v = 0; v < n; ++v)`: a loop header.
std::string loop(const std::string &v, int64_t n) {
  return "for (long long " + v + " = 0; " + v + " < " + num(n) + "; ++" + v + ")";
}

/// Opens the row loop (rows [b0, b1) of a block when `blocked`) and defines
/// mean and rstd of row r of `x`; the caller writes the rest of the row
/// and closes the loop.
void openRowWithStats(CodeWriter &w, const LayerNormLayout &l, const ValueRef &x,
                      bool blocked) {
  // (Shared by group_norm, whose rows are (sample, group).)
  std::string X = at(x, "r * " + num(l.cols) + " + j");
  std::string cols = std::to_string(l.cols) + ".0";
  w.open(blocked ? "for (long long r = b0; r < b1; ++r)" : loop("r", l.rows));
  w.line("double mean = 0, var = 0;");
  w.lines(emit::reassociableLoop());
  w.line(loop("j", l.cols) + " mean += (double)" + X + ";");
  w.line("mean /= " + cols + ";");
  w.lines(emit::reassociableLoop());
  w.line(loop("j", l.cols) + " { double d = (double)" + X +
         " - mean; var += d * d; }");
  w.line("var /= " + cols + ";");
  w.line("double rstd = 1.0 / sqrt(var + " + literal(l.eps, DType::F64) + ");");
}

} // namespace

std::string normalizationCode(const Node *n,
                              const std::function<ValueRef(const Node *)> &valueOf) {
  if (n->type.numel() == 0) return "";
  std::string T = dtypeCppName(n->type.dtype);
  // The rows run in blocks (on the thread pool when large enough: the
  // code's form is the same either way); the buffers are the block
  // function's P0 (the result), P1, ...
  bool pool = false, blocked = false;
  std::vector<BlockPointer> ptrs;
  auto vo = [&](const Node *m) {
    ValueRef r = valueOf(m);
    if (!blocked || r.isSplat()) return r;
    for (const BlockPointer &p : ptrs)
      if (p.value == r.ptr) return ValueRef{p.name, ""};
    std::string c = ptrs.empty() ? "" : "const ";
    ptrs.push_back(
        {c + dtypeCppName(m->type.dtype) + " *", "P" + std::to_string(ptrs.size()), r.ptr});
    return ValueRef{ptrs.back().name, ""};
  };
  // The row layout, and the index of the affine parameters of element j
  // of row r: j for layer_norm, the channel for group_norm.
  bool group = n->op == OpKind::GroupNorm || n->op == OpKind::GroupNormBackward ||
               n->op == OpKind::GroupNormXhat;
  const Node *input = n->op == OpKind::LayerNormBackward ||
                              n->op == OpKind::GroupNormBackward
                          ? n->operands[1]
                          : n->operands[0];
  LayerNormLayout l;
  std::string pj = "j";
  if (group) {
    GroupNormLayout gl = groupNormLayout(input->type.shape, n->attrs);
    l.rows = gl.rows(), l.cols = gl.cols(), l.eps = gl.eps;
    pj = "(r % " + num(gl.groups) + ") * " + num(gl.c / gl.groups) + " + j / " +
         num(gl.spatial);
  } else {
    l = layerNormLayout(input->type.shape, n->attrs);
  }
  if (l.rows == 0 || l.cols == 0) return "";
  pool = rowsOnThreadPool(l.rows, l.cols);
  blocked = true;
  std::string out = vo(n).ptr, id = "norm" + std::to_string(n->id);
  auto done = [&](const CodeWriter &w) {
    return parallelBlocks(id, l.rows, ptrs, w.str(), pool);
  };
  // An if chain, not a switch: OpEmitter::emit's switch over every op kind
  // is the one the compiler checks for completeness.
  if (n->op == OpKind::LayerNorm || n->op == OpKind::LayerNormXhat ||
      n->op == OpKind::GroupNorm || n->op == OpKind::GroupNormXhat) {
    const Node *x = n->operands[0];
    std::string e = "r * " + num(l.cols) + " + j";
    std::string v = "((double)" + at(vo(x), e) + " - mean) * rstd";
    if (n->operands.size() >= 2) v = "(" + v + ") * (double)" + at(vo(n->operands[1]), pj);
    if (n->operands.size() == 3) v += " + (double)" + at(vo(n->operands[2]), pj);
    CodeWriter w;
    openRowWithStats(w, l, vo(x), blocked);
    w.line(loop("j", l.cols) + " " + out + "[" + e + "] = (" + T + ")(" + v + ");");
    w.close();
    return done(w);
  }
  if (n->op == OpKind::LayerNormBackward || n->op == OpKind::GroupNormBackward) {
    // dx = rstd (gw - mean(gw) - xhat mean(gw xhat)), gw = g w.
    const Node *g = n->operands[0], *x = n->operands[1];
    std::string e = "r * " + num(l.cols) + " + j";
    std::string gw = "(double)" + at(vo(g), e);
    if (n->operands.size() == 3) gw += " * (double)" + at(vo(n->operands[2]), pj);
    std::string xh = "(((double)" + at(vo(x), e) + " - mean) * rstd)";
    std::string cols = std::to_string(l.cols) + ".0";
    CodeWriter w;
    openRowWithStats(w, l, vo(x), blocked);
    w.line("double a = 0, b = 0;");
    w.lines(emit::reassociableLoop());
    w.line(loop("j", l.cols) + " { double gw = " + gw + "; a += gw; b += gw * " + xh +
           "; }");
    w.line("a /= " + cols + "; b /= " + cols + ";");
    w.line(loop("j", l.cols) + " { double gw = " + gw + "; " + out + "[" + e +
           "] = (" + T + ")(rstd * (gw - a - " + xh + " * b)); }");
    w.close();
    return done(w);
  }
  throw InternalError("codegen", std::string("'") + n->info().name +
                                     "' is not a normalization op");
}

} // namespace gradc
