//===- ir/PoolGeometry.cpp - Sizes of 2-D pooling -------------------------===//
#include "ir/PoolGeometry.h"

#include "ir/ConvGeometry.h"
#include "ir/Error.h"

namespace gradc {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

void checkInput(const std::vector<TensorType> &in, const char *op) {
  if (!isFloat(in[0].dtype))
    throw Error(std::string(op) + " needs a floating-point operand (f32 or "
                "f64), got " + dtypeName(in[0].dtype));
}

/// Rounds a / b toward negative infinity (b > 0), as PyTorch's div_rtn.
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// PyTorch's pooling_output_shape for one dim.
int64_t pooledSize(int64_t in, int64_t k, int64_t pad, int64_t stride,
                   int64_t dil, bool ceil) {
  int64_t out = floorDiv(in + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0),
                         stride) + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

void requireNchw(const Shape &s, const char *op) {
  if (s.size() != 4)
    throw Error(std::string(op) + ": the input must be [N, C, H, W], got " +
                shapeToString(s));
}

/// The gradient operand of a backward op must have the forward's result
/// shape.
void requireGradShape(const TensorType &g, const PoolGeometry &p, const char *op) {
  if (g.shape != p.outputShape())
    throw Error(std::string(op) + ": the gradient must be " +
                shapeToString(p.outputShape()) + ", got " + shapeToString(g.shape));
}

Shape inputSizeAttr(const AttrMap &attrs, const char *op) {
  if (!attrs.count("input_size"))
    throw Error(std::string(op) + " needs the attribute 'input_size'");
  return getInts(attrs, "input_size", {});
}

} // namespace

PoolGeometry poolGeometry(const Shape &input, const AttrMap &attrs,
                          bool dilated, const char *op) {
  requireNchw(input, op);
  PoolGeometry g;
  g.n = input[0], g.c = input[1], g.h = input[2], g.w = input[3];
  if (!attrs.count("kernel_size"))
    throw Error(std::string(op) + " needs the attribute 'kernel_size'");
  std::vector<int64_t> k = pairAttr(attrs, "kernel_size", 1);
  g.kh = k[0], g.kw = k[1];
  // stride=None (absent, or an empty list) means kernel_size, as in PyTorch.
  bool noStride = !attrs.count("stride") || getInts(attrs, "stride", {}).empty();
  std::vector<int64_t> s = noStride ? k : pairAttr(attrs, "stride", 1);
  g.sh = s[0], g.sw = s[1];
  std::vector<int64_t> p = pairAttr(attrs, "padding", 0);
  g.ph = p[0], g.pw = p[1];
  if (dilated) {
    std::vector<int64_t> d = pairAttr(attrs, "dilation", 1);
    g.dh = d[0], g.dw = d[1];
  }
  if (g.kh < 1 || g.kw < 1)
    throw Error(std::string(op) + ": kernel_size must be positive");
  if (g.sh < 1 || g.sw < 1)
    throw Error(std::string(op) + ": stride must be positive");
  if (g.dh < 1 || g.dw < 1)
    throw Error(std::string(op) + ": dilation must be positive");
  if (g.ph < 0 || g.pw < 0 || g.ph > g.kh / 2 || g.pw > g.kw / 2)
    throw Error(std::string(op) + ": padding must be at least 0 and at most "
                "half of kernel_size (as in PyTorch)");
  bool ceil = getBool(attrs, "ceil_mode", false);
  g.oh = pooledSize(g.h, g.kh, g.ph, g.sh, g.dh, ceil);
  g.ow = pooledSize(g.w, g.kw, g.pw, g.sw, g.dw, ceil);
  if (g.oh < 1 || g.ow < 1)
    throw Error(std::string(op) + ": the output size " + str(g.oh) + "x" +
                str(g.ow) + " of input " + shapeToString(input) +
                " is too small");
  return g;
}

PoolGeometry adaptivePoolGeometry(const Shape &input, const AttrMap &attrs) {
  const char *op = "adaptive_avg_pool2d";
  requireNchw(input, op);
  if (!attrs.count("output_size"))
    throw Error("adaptive_avg_pool2d needs the attribute 'output_size'");
  PoolGeometry g;
  g.n = input[0], g.c = input[1], g.h = input[2], g.w = input[3];
  std::vector<int64_t> o = pairAttr(attrs, "output_size", 1);
  g.oh = o[0], g.ow = o[1];
  if (g.oh < 1 || g.ow < 1)
    throw Error("adaptive_avg_pool2d: output_size must be positive");
  if (g.h < 1 || g.w < 1)
    throw Error("adaptive_avg_pool2d: the input " + shapeToString(input) +
                " has an empty spatial dimension");
  return g;
}

namespace {

void canonicalPool(AttrMap &attrs, const PoolGeometry &g, bool dilated) {
  attrs["kernel_size"] = std::vector<int64_t>{g.kh, g.kw};
  attrs["stride"] = std::vector<int64_t>{g.sh, g.sw};
  attrs["padding"] = std::vector<int64_t>{g.ph, g.pw};
  if (dilated) attrs["dilation"] = std::vector<int64_t>{g.dh, g.dw};
  attrs["ceil_mode"] = getBool(attrs, "ceil_mode", false);
}

} // namespace

TensorType inferMaxPool2d(const std::vector<TensorType> &in, AttrMap &attrs) {
  checkInput(in, "max_pool2d");
  PoolGeometry g = poolGeometry(in[0].shape, attrs, true, "max_pool2d");
  canonicalPool(attrs, g, true);
  return {in[0].dtype, g.outputShape()};
}

TensorType inferAvgPool2d(const std::vector<TensorType> &in, AttrMap &attrs) {
  checkInput(in, "avg_pool2d");
  PoolGeometry g = poolGeometry(in[0].shape, attrs, false, "avg_pool2d");
  canonicalPool(attrs, g, false);
  attrs["count_include_pad"] = getBool(attrs, "count_include_pad", true);
  return {in[0].dtype, g.outputShape()};
}

TensorType inferAdaptiveAvgPool2d(const std::vector<TensorType> &in,
                                  AttrMap &attrs) {
  checkInput(in, "adaptive_avg_pool2d");
  PoolGeometry g = adaptivePoolGeometry(in[0].shape, attrs);
  attrs["output_size"] = std::vector<int64_t>{g.oh, g.ow};
  return {in[0].dtype, g.outputShape()};
}

TensorType inferMaxPool2dBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs) {
  checkInput(in, "_max_pool2d_backward");
  if (in[0].dtype != in[1].dtype)
    throw Error("_max_pool2d_backward: operands have different dtypes");
  PoolGeometry g = poolGeometry(in[1].shape, attrs, true, "_max_pool2d_backward");
  requireGradShape(in[0], g, "_max_pool2d_backward");
  canonicalPool(attrs, g, true);
  return in[1];
}

TensorType inferAvgPool2dBackward(const std::vector<TensorType> &in,
                                  AttrMap &attrs) {
  checkInput(in, "_avg_pool2d_backward");
  Shape x = inputSizeAttr(attrs, "_avg_pool2d_backward");
  PoolGeometry g = poolGeometry(x, attrs, false, "_avg_pool2d_backward");
  requireGradShape(in[0], g, "_avg_pool2d_backward");
  canonicalPool(attrs, g, false);
  attrs["count_include_pad"] = getBool(attrs, "count_include_pad", true);
  return {in[0].dtype, x};
}

TensorType inferAdaptiveAvgPool2dBackward(const std::vector<TensorType> &in,
                                          AttrMap &attrs) {
  checkInput(in, "_adaptive_avg_pool2d_backward");
  Shape x = inputSizeAttr(attrs, "_adaptive_avg_pool2d_backward");
  PoolGeometry g = adaptivePoolGeometry(x, attrs);
  requireGradShape(in[0], g, "_adaptive_avg_pool2d_backward");
  attrs["output_size"] = std::vector<int64_t>{g.oh, g.ow};
  return {in[0].dtype, x};
}

} // namespace gradc
