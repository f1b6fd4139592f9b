//===- ir/ConvGeometry.cpp - Sizes of a 2-D convolution -------------------===//
#include "ir/ConvGeometry.h"

#include "ir/Error.h"

namespace gradc {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

void requireFloatOperands(const std::vector<TensorType> &in, const char *op) {
  for (const TensorType &t : in) {
    if (!isFloat(t.dtype))
      throw Error(std::string(op) + " needs floating-point operands (f32 or "
                  "f64), got " + dtypeName(t.dtype));
    if (t.dtype != in[0].dtype)
      throw Error(std::string(op) + ": operands have different dtypes (" +
                  dtypeName(in[0].dtype) + " and " + dtypeName(t.dtype) + ")");
  }
}

} // namespace

std::vector<int64_t> pairAttr(const AttrMap &attrs, const std::string &key,
                              int64_t def) {
  std::vector<int64_t> v = getInts(attrs, key, {def, def});
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2)
    throw Error("'" + key + "' must be an integer or a pair of integers, got " +
                str(static_cast<int64_t>(v.size())) + " values");
  return v;
}

ConvGeometry convGeometry(const Shape &input, const Shape &weight,
                          const AttrMap &attrs) {
  bool oneD = input.size() == 3;
  const char *op = oneD ? "conv1d" : "conv2d";
  std::string opS = op;
  if (input.size() != 4 && input.size() != 3)
    throw Error(opS + ": the input must be [N, C, H, W] (conv2d) or [N, C, L] "
                "(conv1d), got " + shapeToString(input));
  if (weight.size() != input.size())
    throw Error(opS + ": the weight must be [out_channels, in_channels / "
                "groups, " + (oneD ? "k" : "kH, kW") + "], got " +
                shapeToString(weight));
  ConvGeometry g;
  g.oneD = oneD;
  g.n = input[0], g.c = input[1];
  g.h = oneD ? 1 : input[2], g.w = input.back();
  g.o = weight[0], g.kh = oneD ? 1 : weight[2], g.kw = weight.back();
  g.groups = getInt(attrs, "groups", 1);
  if (g.groups < 1)
    throw Error(opS + ": groups must be positive, got " + str(g.groups));
  if (g.c % g.groups || weight[1] * g.groups != g.c)
    throw Error(opS + ": the input has " + str(g.c) + " channels but the "
                "weight " + shapeToString(weight) + " with groups=" +
                str(g.groups) + " expects " + str(weight[1] * g.groups));
  if (g.o % g.groups)
    throw Error(opS + ": out_channels " + str(g.o) +
                " is not divisible by groups=" + str(g.groups));
  // conv1d's attributes are one integer (or a one-element list) for L.
  auto spatial = [&](const std::string &key, int64_t def) {
    if (!oneD) return pairAttr(attrs, key, def);
    std::vector<int64_t> v = getInts(attrs, key, {def});
    if (v.size() != 1)
      throw Error("conv1d: '" + key + "' must be an integer or a one-element "
                  "list");
    return std::vector<int64_t>{oneD && key == "padding" ? 0 : 1, v[0]};
  };
  std::vector<int64_t> s = spatial("stride", 1);
  std::vector<int64_t> d = spatial("dilation", 1);
  g.sh = s[0], g.sw = s[1], g.dh = d[0], g.dw = d[1];
  if (g.sh < 1 || g.sw < 1)
    throw Error(opS + ": stride must be positive");
  if (g.dh < 1 || g.dw < 1)
    throw Error(opS + ": dilation must be positive");
  auto it = attrs.find("padding");
  if (it != attrs.end() && std::holds_alternative<std::string>(it->second)) {
    const std::string &mode = std::get<std::string>(it->second);
    if (mode == "same") {
      if (g.sh != 1 || g.sw != 1)
        throw Error(opS + ": padding=\"same\" is not supported for strided "
                    "convolutions (as in PyTorch)");
      // The extent d (k - 1) split evenly, the odd one after (PyTorch).
      int64_t th = g.dh * (g.kh - 1), tw = g.dw * (g.kw - 1);
      g.padTop = th / 2, g.padBottom = th - th / 2;
      g.padLeft = tw / 2, g.padRight = tw - tw / 2;
    } else if (mode != "valid") {
      throw Error(opS + ": padding must be an integer, a pair, \"same\" or "
                  "\"valid\", got \"" + mode + "\"");
    }
  } else {
    std::vector<int64_t> p = spatial("padding", 0);
    if (p[0] < 0 || p[1] < 0)
      throw Error(opS + ": padding must be non-negative");
    g.padTop = g.padBottom = p[0];
    g.padLeft = g.padRight = p[1];
  }
  int64_t eh = g.h + g.padTop + g.padBottom - g.dh * (g.kh - 1);
  int64_t ew = g.w + g.padLeft + g.padRight - g.dw * (g.kw - 1);
  if (eh < 1 || ew < 1)
    throw Error(opS + ": the kernel " + str(g.kh) + "x" + str(g.kw) +
                " (dilated) is larger than the padded input " +
                str(g.h + g.padTop + g.padBottom) + "x" +
                str(g.w + g.padLeft + g.padRight));
  g.oh = (eh - 1) / g.sh + 1;
  g.ow = (ew - 1) / g.sw + 1;
  if (!numElementsChecked(g.outputShape()))
    throw Error(opS + ": the result's element count overflows");
  return g;
}

void canonicalConvAttrs(AttrMap &attrs, const ConvGeometry &g) {
  using V = std::vector<int64_t>;
  attrs["stride"] = g.oneD ? V{g.sw} : V{g.sh, g.sw};
  attrs["dilation"] = g.oneD ? V{g.dw} : V{g.dh, g.dw};
  attrs["groups"] = g.groups;
  if (g.padTop == g.padBottom && g.padLeft == g.padRight)
    attrs["padding"] = g.oneD ? V{g.padLeft} : V{g.padTop, g.padLeft};
  else
    attrs["padding"] = std::string("same");
}

namespace {

/// conv1d and conv2d: `rank` is the input's rank the op takes.
TensorType inferConv(const std::vector<TensorType> &in, AttrMap &attrs,
                     size_t rank) {
  const char *op = rank == 3 ? "conv1d" : "conv2d";
  if (in[0].shape.size() != rank)
    throw Error(std::string(op) + ": the input must be " +
                (rank == 3 ? "[N, C, L]" : "[N, C, H, W]") + ", got " +
                shapeToString(in[0].shape) + " (unbatched inputs are not "
                "supported)");
  requireFloatOperands(in, op);
  ConvGeometry g = convGeometry(in[0].shape, in[1].shape, attrs);
  if (in.size() == 3 && in[2].shape != Shape{g.o})
    throw Error(std::string(op) + ": the bias must be [" + str(g.o) +
                "], got " + shapeToString(in[2].shape));
  canonicalConvAttrs(attrs, g);
  return {in[0].dtype, g.outputShape()};
}

} // namespace

TensorType inferConv1d(const std::vector<TensorType> &in, AttrMap &attrs) {
  return inferConv(in, attrs, 3);
}

TensorType inferConv2d(const std::vector<TensorType> &in, AttrMap &attrs) {
  return inferConv(in, attrs, 4);
}

TensorType inferConv2dInputBackward(const std::vector<TensorType> &in,
                                    AttrMap &attrs) {
  requireFloatOperands(in, "_conv2d_input_backward");
  if (!attrs.count("input_size"))
    throw Error("_conv2d_input_backward needs the attribute 'input_size'");
  Shape x = getInts(attrs, "input_size", {});
  ConvGeometry g = convGeometry(x, in[1].shape, attrs);
  if (in[0].shape != g.outputShape())
    throw Error("_conv2d_input_backward: the gradient must be " +
                shapeToString(g.outputShape()) + ", got " +
                shapeToString(in[0].shape));
  canonicalConvAttrs(attrs, g);
  return {in[0].dtype, x};
}

TensorType inferConv2dWeightBackward(const std::vector<TensorType> &in,
                                     AttrMap &attrs) {
  requireFloatOperands(in, "_conv2d_weight_backward");
  if (!attrs.count("weight_size"))
    throw Error("_conv2d_weight_backward needs the attribute 'weight_size'");
  Shape w = getInts(attrs, "weight_size", {});
  ConvGeometry g = convGeometry(in[1].shape, w, attrs);
  if (in[0].shape != g.outputShape())
    throw Error("_conv2d_weight_backward: the gradient must be " +
                shapeToString(g.outputShape()) + ", got " +
                shapeToString(in[0].shape));
  canonicalConvAttrs(attrs, g);
  return {in[0].dtype, w};
}

} // namespace gradc
