//===- ir/Op.cpp - The op table and its shape rules -----------------------===//
#include "ir/Op.h"

#include "ir/ConvGeometry.h"
#include "ir/Error.h"
#include "ir/FactoryShapes.h"
#include "ir/IndexShapes.h"
#include "ir/LayoutShapes.h"
#include "ir/NormShapes.h"
#include "ir/PoolGeometry.h"

#include <algorithm>
#include <unordered_map>

namespace gradc {

int64_t normalizeDim(int64_t dim, int64_t rank) {
  // A scalar accepts dims 0 and -1, as in PyTorch.
  int64_t r = std::max<int64_t>(rank, 1);
  if (dim < -r || dim >= r)
    throw Error("dim " + std::to_string(dim) +
                " is out of range for a tensor of rank " +
                std::to_string(rank) + " (expected in [" + std::to_string(-r) +
                ", " + std::to_string(r - 1) + "])");
  return dim < 0 ? dim + r : dim;
}

namespace {

std::string typeList(const std::vector<TensorType> &ts) {
  std::string r;
  for (size_t i = 0; i < ts.size(); ++i)
    r += (i ? " and " : "") + std::string(dtypeName(ts[i].dtype)) +
         shapeToString(ts[i].shape);
  return r;
}

void requireSameDType(const std::vector<TensorType> &in) {
  for (const TensorType &t : in)
    if (t.dtype != in[0].dtype)
      throw Error("operands have different dtypes (" + typeList(in) +
                  "); gradc does not promote: convert one of them");
}

void requireFloat(const TensorType &t, const char *what) {
  if (!isFloat(t.dtype))
    throw Error(std::string(what) + " needs a floating-point operand (f32 or "
                "f64), got " + dtypeName(t.dtype));
}

void requireNumeric(const TensorType &t) {
  if (t.dtype == DType::Bool)
    throw Error("arithmetic on a bool tensor is not supported");
}

Shape broadcastAll(const std::vector<TensorType> &in) {
  Shape s = in[0].shape;
  for (size_t i = 1; i < in.size(); ++i) {
    auto b = broadcastShapes(s, in[i].shape);
    if (!b)
      throw Error("shapes " + shapeToString(s) + " and " +
                  shapeToString(in[i].shape) + " cannot be broadcast together");
    s = *b;
  }
  return s;
}

TensorType inferUnary(const std::vector<TensorType> &in, AttrMap &) {
  requireNumeric(in[0]);
  return in[0];
}

TensorType inferUnaryFloat(const std::vector<TensorType> &in, AttrMap &) {
  requireFloat(in[0], "this op");
  return in[0];
}

/// Makes every float parameter of an activation (negative_slope, alpha,
/// beta, threshold, min_val, max_val) a double, so that `0` and `0.0`, in
/// JSON or the DSL, print as the same IR.
void floatAttrs(AttrMap &attrs) {
  for (auto &kv : attrs) kv.second = getFloat(attrs, kv.first, 0);
}

TensorType inferFloatParams(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "this op");
  floatAttrs(attrs);
  if ((attrs.count("min_val") || attrs.count("max_val")) &&
      getFloat(attrs, "min_val", -1) > getFloat(attrs, "max_val", 1))
    throw Error("hardtanh: min_val must not exceed max_val");
  return in[0];
}

TensorType inferGelu(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "gelu");
  std::string a = getString(attrs, "approximate", "none");
  if (a != "none" && a != "tanh")
    throw Error("gelu: approximate must be \"none\" or \"tanh\", got \"" + a +
                "\"");
  return in[0];
}

/// clamp(x, min, max): either bound may be left out, not both (PyTorch:
/// "At least one of 'min' or 'max' must not be None").
TensorType inferClamp(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireNumeric(in[0]);
  if (!attrs.count("min") && !attrs.count("max"))
    throw Error("clamp: at least one of 'min' or 'max' must be given");
  floatAttrs(attrs);
  return in[0];
}

TensorType inferDetach(const std::vector<TensorType> &in, AttrMap &) {
  return in[0];
}

TensorType inferBinary(const std::vector<TensorType> &in, AttrMap &) {
  requireSameDType(in);
  requireNumeric(in[0]);
  return {in[0].dtype, broadcastAll(in)};
}

TensorType inferBinaryFloat(const std::vector<TensorType> &in, AttrMap &a) {
  TensorType t = inferBinary(in, a);
  requireFloat(t, "this op");
  return t;
}

TensorType inferCompare(const std::vector<TensorType> &in, AttrMap &) {
  requireSameDType(in);
  return {DType::Bool, broadcastAll(in)};
}

TensorType inferWhere(const std::vector<TensorType> &in, AttrMap &) {
  if (in[0].dtype != DType::Bool)
    throw Error("where: the condition must be a bool tensor (a comparison), "
                "got " + std::string(dtypeName(in[0].dtype)));
  requireSameDType({in[1], in[2]});
  return {in[1].dtype, broadcastAll(in)};
}

/// Canonical `dim` for reductions: sorted, unique, non-negative. An absent
/// `dim` (or an empty list) means every dimension and stays absent.
std::vector<int64_t> canonicalDims(AttrMap &attrs, int64_t rank) {
  auto it = attrs.find("dim");
  if (it == attrs.end()) {
    std::vector<int64_t> all(rank);
    for (int64_t i = 0; i < rank; ++i) all[i] = i;
    return all;
  }
  std::vector<int64_t> dims = getInts(attrs, "dim", {});
  if (dims.empty()) {
    attrs.erase(it);
    return canonicalDims(attrs, rank);
  }
  for (int64_t &d : dims) d = normalizeDim(d, rank);
  std::sort(dims.begin(), dims.end());
  for (size_t i = 1; i < dims.size(); ++i)
    if (dims[i] == dims[i - 1])
      throw Error("dim " + std::to_string(dims[i]) +
                  " appears more than once in the list of dims to reduce");
  // A scalar's dim 0 reduces nothing: drop the attribute so that the
  // canonical form is a fixed point (printing and re-parsing keep it).
  if (rank == 0) {
    attrs.erase(it);
    return {};
  }
  it->second = dims;
  return dims;
}

TensorType inferReduce(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireNumeric(in[0]);
  std::vector<int64_t> dims = canonicalDims(attrs, in[0].rank());
  bool keep = getBool(attrs, "keepdim", false);
  Shape out;
  for (int64_t i = 0; i < in[0].rank(); ++i) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), i);
    if (!reduced) out.push_back(in[0].shape[i]);
    else if (keep) out.push_back(1);
  }
  return {in[0].dtype, out};
}

TensorType inferMean(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "mean");
  return inferReduce(in, attrs);
}

TensorType inferMaxMin(const std::vector<TensorType> &in, AttrMap &attrs) {
  if (in[0].numel() == 0)
    throw Error("max/min of an empty tensor has no identity; it is an error "
                "in PyTorch too");
  return inferReduce(in, attrs);
}

TensorType inferLogsumexp(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "logsumexp");
  // A scalar's canonical form has no dim (canonicalDims drops it), so only
  // an input with dimensions must name them.
  if (!attrs.count("dim") && in[0].rank() > 0)
    throw Error("logsumexp needs the attribute 'dim'");
  return inferReduce(in, attrs);
}

/// var/std: `correction` (default 1, Bessel's) or the older `unbiased`
/// flag, which becomes the correction it stands for (true: 1, false: 0),
/// so both spellings print as the same IR.
TensorType inferVarStd(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "var/std");
  if (attrs.count("unbiased")) {
    if (attrs.count("correction"))
      throw Error("var/std: give either 'unbiased' or 'correction', not both");
    bool u = getBool(attrs, "unbiased", true);
    attrs.erase("unbiased");
    attrs["correction"] = int64_t(u ? 1 : 0);
  }
  if (attrs.count("correction")) {
    int64_t c = getInt(attrs, "correction", 1);
    if (c < 0) throw Error("var/std: correction must be non-negative");
    attrs["correction"] = c;
  }
  return inferReduce(in, attrs);
}

/// norm: the 2-norm (`p` = 2 or "fro", PyTorch's default) over `dim`.
TensorType inferNorm(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "norm");
  auto it = attrs.find("p");
  if (it != attrs.end()) {
    bool two = false;
    if (auto *s = std::get_if<std::string>(&it->second)) two = *s == "fro";
    else two = getFloat(attrs, "p", 2) == 2;
    if (!two) throw Error("norm: only p=2 (\"fro\") is supported");
    attrs.erase(it);
  }
  return inferReduce(in, attrs);
}

/// argmax/argmin: the index along one `dim`, or into the flattened tensor
/// when `dim` is absent (as in PyTorch); i64 result.
TensorType inferArgExtremum(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireNumeric(in[0]);
  if (in[0].numel() == 0)
    throw Error("argmax/argmin of an empty tensor is an error in PyTorch too");
  if (attrs.count("dim") && !std::get_if<int64_t>(&attrs["dim"]))
    throw Error("argmax/argmin: 'dim' must be one integer");
  if (!attrs.count("dim")) {
    // Over all elements: keepdim keeps every dim as 1.
    Shape out;
    if (getBool(attrs, "keepdim", false)) out.assign(in[0].rank(), 1);
    return {DType::I64, out};
  }
  TensorType t = inferReduce(in, attrs);
  // A single dim stays an integer in canonical form.
  if (attrs.count("dim")) attrs["dim"] = getInts(attrs, "dim", {})[0];
  return {DType::I64, t.shape};
}

TensorType inferMaskedFill(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireNumeric(in[0]);
  if (in[1].dtype != DType::Bool)
    throw Error("masked_fill: the mask must be bool, got " +
                std::string(dtypeName(in[1].dtype)));
  if (!attrs.count("value")) throw Error("masked_fill needs the attribute 'value'");
  attrs["value"] = getFloat(attrs, "value", 0);
  auto b = broadcastShapes(in[0].shape, in[1].shape);
  if (!b || *b != in[0].shape)
    throw Error("masked_fill: the mask " + shapeToString(in[1].shape) +
                " does not broadcast to the tensor " + shapeToString(in[0].shape));
  return in[0];
}

/// cumsum: `dim` is required and becomes non-negative.
TensorType inferCumsum(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "cumsum");
  if (!attrs.count("dim")) throw Error("cumsum needs the attribute 'dim'");
  attrs["dim"] = normalizeDim(getInt(attrs, "dim", 0), in[0].rank());
  return in[0];
}

/// triu/tril: a tensor of rank >= 2 (PyTorch's condition), `diagonal` an
/// integer (default 0; positive above the main diagonal).
TensorType inferTriangle(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireNumeric(in[0]);
  if (in[0].rank() < 2)
    throw Error("triu/tril: the operand needs at least two dimensions, got " +
                shapeToString(in[0].shape));
  if (attrs.count("diagonal")) attrs["diagonal"] = getInt(attrs, "diagonal", 0);
  return in[0];
}

/// dropout: p in [0, 1], training a bool, seed an integer (the frontends
/// always set it); the optional second operand, a run-time seed, is an
/// integer scalar.
TensorType inferDropout(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "dropout");
  double p = getFloat(attrs, "p", 0.5);
  if (!(p >= 0 && p <= 1))
    throw Error("dropout: p must be in [0, 1], got " + std::to_string(p));
  if (attrs.count("p")) attrs["p"] = p;
  if (attrs.count("training")) attrs["training"] = getBool(attrs, "training", true);
  if (attrs.count("seed")) attrs["seed"] = getInt(attrs, "seed", 0);
  if (in.size() > 1 &&
      ((in[1].dtype != DType::I64 && in[1].dtype != DType::I32) ||
       in[1].rank() != 0))
    throw Error("dropout: the run-time seed (operand 1) must be an i64 or "
                "i32 scalar, got " + std::string(dtypeName(in[1].dtype)) +
                shapeToString(in[1].shape));
  return in[0];
}

TensorType inferConcat(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireSameDType(in);
  int64_t r = in[0].rank();
  if (r == 0) throw Error("concat: zero-dimensional tensors cannot be joined");
  int64_t d = normalizeDim(getInt(attrs, "dim", 0), r);
  attrs["dim"] = d;
  Shape s = in[0].shape;
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].rank() != r)
      throw Error("concat: operand " + std::to_string(i) + " has rank " +
                  std::to_string(in[i].rank()) + ", expected " +
                  std::to_string(r));
    for (int64_t k = 0; k < r; ++k)
      if (k != d && in[i].shape[k] != s[k])
        throw Error("concat: shapes " + shapeToString(in[0].shape) + " and " +
                    shapeToString(in[i].shape) + " differ outside dim " +
                    std::to_string(d));
    s[d] += in[i].shape[d];
  }
  return {in[0].dtype, s};
}

TensorType inferMatmul(const std::vector<TensorType> &in, AttrMap &) {
  requireSameDType(in);
  requireFloat(in[0], "matmul");
  Shape a = in[0].shape, b = in[1].shape;
  if (a.empty() || b.empty())
    throw Error("matmul: both operands need at least one dimension, got " +
                typeList(in));
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA) a.insert(a.begin(), 1);
  if (vecB) b.push_back(1);
  int64_t k = a.back(), k2 = b[b.size() - 2];
  if (k != k2)
    throw Error("matmul: inner dimensions differ: " +
                shapeToString(in[0].shape) + " @ " +
                shapeToString(in[1].shape) + " (" + std::to_string(k) +
                " vs " + std::to_string(k2) + ")");
  Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  auto batch = broadcastShapes(ba, bb);
  if (!batch)
    throw Error("matmul: batch dimensions " + shapeToString(ba) + " and " +
                shapeToString(bb) + " cannot be broadcast together");
  Shape s = *batch;
  if (!vecA) s.push_back(a[a.size() - 2]);
  if (!vecB) s.push_back(b.back());
  return {in[0].dtype, s};
}

TensorType inferSoftmax(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireFloat(in[0], "softmax");
  if (!attrs.count("dim")) throw Error("softmax needs the attribute 'dim'");
  attrs["dim"] = normalizeDim(getInt(attrs, "dim", 0), in[0].rank());
  return in[0];
}

std::string checkReduction(AttrMap &attrs) {
  std::string r = getString(attrs, "reduction", "mean");
  if (r != "mean" && r != "sum" && r != "none")
    throw Error("reduction must be \"mean\", \"sum\" or \"none\", got \"" +
                r + "\"");
  return r;
}

TensorType inferCrossEntropy(const std::vector<TensorType> &in,
                             AttrMap &attrs) {
  const TensorType &x = in[0], &t = in[1];
  requireFloat(x, "cross_entropy");
  std::string red = checkReduction(attrs);
  if (x.rank() != 1 && x.rank() != 2)
    throw Error("cross_entropy: logits must be [C] or [N, C], got " +
                shapeToString(x.shape));
  if (t.dtype != DType::I64 && t.dtype != DType::I32)
    throw Error("cross_entropy: the target must hold integer class indices "
                "(i64 or i32), got " + std::string(dtypeName(t.dtype)));
  Shape want = x.rank() == 2 ? Shape{x.shape[0]} : Shape{};
  if (x.shape.back() == 0)
    throw Error("cross_entropy: the logits have no classes (shape " +
                shapeToString(x.shape) + ")");
  if (attrs.count("ignore_index"))
    attrs["ignore_index"] = getInt(attrs, "ignore_index", -100);
  if (t.shape != want)
    throw Error("cross_entropy: target shape " + shapeToString(t.shape) +
                " does not match logits " + shapeToString(x.shape) +
                " (expected " + shapeToString(want) + ")");
  if (red == "none") return {x.dtype, want};
  return {x.dtype, {}};
}

/// nll_loss: input [C] with a scalar target, or [N, C, d...] with a target
/// [N, d...]; class weights [C] of the input's dtype.
TensorType inferNllLoss(const std::vector<TensorType> &in, AttrMap &attrs) {
  const TensorType &x = in[0], &t = in[1];
  requireFloat(x, "nll_loss");
  std::string red = checkReduction(attrs);
  if (x.rank() < 1)
    throw Error("nll_loss: the input must be [C], [N, C] or [N, C, d...], "
                "got a scalar");
  if (t.dtype != DType::I64 && t.dtype != DType::I32)
    throw Error("nll_loss: the target must hold integer class indices "
                "(i64 or i32), got " + std::string(dtypeName(t.dtype)));
  const int64_t classDim = x.rank() == 1 ? 0 : 1;
  Shape want = x.shape;
  want.erase(want.begin() + classDim);
  if (t.shape != want)
    throw Error("nll_loss: target shape " + shapeToString(t.shape) +
                " does not match input " + shapeToString(x.shape) +
                " (expected " + shapeToString(want) + ")");
  if (x.shape[classDim] == 0)
    throw Error("nll_loss: the input has no classes (shape " +
                shapeToString(x.shape) + ")");
  if (in.size() > 2) {
    if (in[2].dtype != x.dtype || in[2].shape != Shape{x.shape[classDim]})
      throw Error("nll_loss: weight must be " + std::string(dtypeName(x.dtype)) +
                  "[" + std::to_string(x.shape[classDim]) +
                  "] (one per class), got " + dtypeName(in[2].dtype) +
                  shapeToString(in[2].shape));
  }
  if (attrs.count("ignore_index"))
    attrs["ignore_index"] = getInt(attrs, "ignore_index", -100);
  if (red == "none") return {x.dtype, want};
  return {x.dtype, {}};
}

/// _nll_loss_backward(g, input, target[, weight]): input's type; g has the
/// type of the forward result.
TensorType inferNllLossBackward(const std::vector<TensorType> &in,
                                AttrMap &attrs) {
  std::vector<TensorType> fwd(in.begin() + 1, in.end());
  TensorType y = inferNllLoss(fwd, attrs);
  if (in[0].shape != y.shape || in[0].dtype != y.dtype)
    throw Error("_nll_loss_backward: the gradient " + shapeToString(in[0].shape) +
                " does not match the loss " + shapeToString(y.shape));
  return in[1];
}

TensorType inferMseLoss(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireSameDType(in);
  requireFloat(in[0], "mse_loss");
  std::string red = checkReduction(attrs);
  Shape s = broadcastAll(in);
  if (red == "none") return {in[0].dtype, s};
  return {in[0].dtype, {}};
}

/// _argmax_mask / _argmin_mask(x, dim): a bool mask of x's shape marking,
/// along `dim`, the one element x.max(dim) / x.min(dim) returns the index
/// of (the first extremum; NaN counts as the extremum, the first NaN wins).
TensorType inferArgMask(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireNumeric(in[0]);
  if (!attrs.count("dim")) throw Error("the mask op needs the attribute 'dim'");
  attrs["dim"] = normalizeDim(getInt(attrs, "dim", 0), in[0].rank());
  return {DType::Bool, in[0].shape};
}

/// _slice_backward(g): zeros of `shape` with g written at the positions
/// slice(dim, start, end, step) of that shape reads (the adjoint of slice).
TensorType inferSliceBackward(const std::vector<TensorType> &in,
                              AttrMap &attrs) {
  if (!attrs.count("shape"))
    throw Error("_slice_backward needs the attribute 'shape'");
  TensorType full{in[0].dtype, getInts(attrs, "shape", {})};
  AttrMap sliceAttrs = attrs;
  sliceAttrs.erase("shape");
  TensorType sliced = inferSlice({full}, sliceAttrs);
  if (sliced.shape != in[0].shape)
    throw Error("_slice_backward: the gradient " + shapeToString(in[0].shape) +
                " does not match the slice " + shapeToString(sliced.shape) +
                " of " + shapeToString(full.shape));
  for (const auto &kv : sliceAttrs) attrs[kv.first] = kv.second;
  return full;
}

/// _cross_entropy_backward(g, logits, target): d cross_entropy / d logits.
TensorType inferCrossEntropyBackward(const std::vector<TensorType> &in,
                                     AttrMap &attrs) {
  AttrMap fwd = attrs;
  TensorType y = inferCrossEntropy({in[1], in[2]}, fwd);
  if (in[0] != y)
    throw Error("_cross_entropy_backward: the gradient must be " + y.str() +
                ", got " + in[0].str());
  attrs = fwd;
  return in[1];
}

/// _gemm(a, b) {trans_a, trans_b}: a batched matrix product of operands of
/// rank >= 2 whose last two dims are read transposed when the flag is set
/// (op(a) @ op(b), batch dims broadcast). The backward of matmul uses it so
/// that g b^T and a^T g need no transposed copies: BLAS reads them.
TensorType inferGemm(const std::vector<TensorType> &in, AttrMap &attrs) {
  requireSameDType(in);
  requireFloat(in[0], "_gemm");
  const Shape &a = in[0].shape, &b = in[1].shape;
  if (a.size() < 2 || b.size() < 2)
    throw Error("_gemm: both operands need at least two dimensions, got " +
                typeList(in));
  bool ta = getBool(attrs, "trans_a", false), tb = getBool(attrs, "trans_b", false);
  int64_t m = ta ? a.back() : a[a.size() - 2], k = ta ? a[a.size() - 2] : a.back();
  int64_t k2 = tb ? b.back() : b[b.size() - 2], n = tb ? b[b.size() - 2] : b.back();
  if (k != k2)
    throw Error("_gemm: inner dimensions differ (" + std::to_string(k) + " vs " +
                std::to_string(k2) + ")");
  auto batch = broadcastShapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!batch) throw Error("_gemm: batch dimensions cannot be broadcast together");
  Shape s = *batch;
  s.push_back(m);
  s.push_back(n);
  return {in[0].dtype, s};
}

/// grad(loss, w): d loss / d w, so the result has w's type. The loss must
/// hold one element, as torch.autograd.grad requires without grad_outputs.
TensorType inferGrad(const std::vector<TensorType> &in, AttrMap &) {
  requireFloat(in[0], "grad");
  requireFloat(in[1], "grad");
  if (in[0].numel() != 1)
    throw Error("grad: the differentiated value must hold one element "
                "(grad can be implicitly created only for scalar outputs), "
                "got " + shapeToString(in[0].shape));
  return in[1];
}

std::vector<std::string> words(const char *s) {
  std::vector<std::string> r;
  std::string w;
  for (const char *p = s;; ++p) {
    if (*p == ' ' || *p == 0) {
      if (!w.empty()) r.push_back(w);
      w.clear();
      if (*p == 0) return r;
    } else {
      w += *p;
    }
  }
}

/// The DSL signature column: "dim keepdim", or "shape..." for varargs.
OpInfo withDslArgs(OpInfo o, const char *args) {
  o.dslArgs = words(args);
  o.dslVarargs = false;
  if (!o.dslArgs.empty()) {
    std::string &last = o.dslArgs.back();
    if (last.size() > 3 && last.compare(last.size() - 3, 3, "...") == 0) {
      last.resize(last.size() - 3);
      o.dslVarargs = true;
    }
  }
  return o;
}

std::vector<OpInfo> buildTable() {
  using namespace opprop;
  std::vector<OpInfo> t;
#define GRADC_OP(Kind, Name, MinA, MaxA, Class, Props, Lower, GradFn, Attrs, \
                 DslArgs, Infer)                                             \
  t.push_back(withDslArgs(                                                   \
      OpInfo{OpKind::Kind, Name, MinA, MaxA, OpClass::Class, (Props),        \
             LowerKind::Lower, GradFn, words(Attrs), {}, false, Infer,       \
             ((Props) & Internal) != 0},                                     \
      DslArgs));
#include "ir/Ops.def"
  return t;
}

const std::vector<OpInfo> &table() {
  static const std::vector<OpInfo> t = buildTable();
  return t;
}

} // namespace

const OpInfo &opInfo(OpKind k) { return table()[static_cast<size_t>(k)]; }

std::optional<OpKind> lookupOp(const std::string &name) {
  static const std::unordered_map<std::string, OpKind> byName = [] {
    std::unordered_map<std::string, OpKind> m;
    for (const OpInfo &o : table()) m[o.name] = o.kind;
    m["cat"] = OpKind::Concat; // PyTorch's spelling of concat.
    return m;
  }();
  auto it = byName.find(name);
  if (it == byName.end()) return std::nullopt;
  return it->second;
}

bool isView(OpKind k) { return opInfo(k).has(opprop::View); }
bool isReshape(OpKind k) { return opInfo(k).has(opprop::Reshape); }
bool isElementwise(OpKind k) { return opInfo(k).has(opprop::Elementwise); }
bool isCommutative(OpKind k) { return opInfo(k).has(opprop::Commutative); }
bool isReduction(OpKind k) { return opInfo(k).has(opprop::Reduction); }

std::vector<std::string> userOpNames() {
  std::vector<std::string> r;
  for (const OpInfo &o : table())
    if (o.cls != OpClass::Leaf && !o.internal) r.push_back(o.name);
  return r;
}

} // namespace gradc
