//===- ir/LayoutShapes.cpp - Shape rules of layout ops --------------------===//
#include "ir/LayoutShapes.h"

#include "ir/Error.h"
#include "ir/Op.h"

#include <algorithm>

namespace gradc {

TensorType inferReshape(const std::vector<TensorType> &in, AttrMap &attrs) {
  if (!attrs.count("shape")) throw Error("reshape needs the attribute 'shape'");
  Shape s = getInts(attrs, "shape", {});
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0) throw Error("reshape: only one dimension can be -1");
      infer = static_cast<int64_t>(i);
    } else if (s[i] < 0) {
      throw Error("reshape: invalid dimension " + std::to_string(s[i]));
    } else {
      auto n = numElementsChecked({known, s[i]});
      if (!n) throw Error("reshape: element count overflows");
      known = *n;
    }
  }
  int64_t n = in[0].numel();
  if (infer >= 0) {
    if (known == 0 || n % known)
      throw Error("reshape: cannot infer -1 in " + shapeToString(s) +
                  " for " + std::to_string(n) + " elements");
    s[infer] = n / known;
    known = n;
  }
  if (known != n)
    throw Error("reshape: shape " + shapeToString(s) + " has " +
                std::to_string(known) + " elements but the input " +
                shapeToString(in[0].shape) + " has " + std::to_string(n));
  attrs["shape"] = s;
  return {in[0].dtype, s};
}

TensorType inferExpand(const std::vector<TensorType> &in, AttrMap &attrs) {
  if (!attrs.count("shape")) throw Error("expand needs the attribute 'shape'");
  Shape s = getInts(attrs, "shape", {});
  const Shape &src = in[0].shape;
  if (s.size() < src.size())
    throw Error("expand: target " + shapeToString(s) + " has fewer dims than "
                "the input " + shapeToString(src));
  size_t lead = s.size() - src.size();
  for (size_t i = 0; i < s.size(); ++i) {
    if (i < lead) {
      if (s[i] < 0)
        throw Error("expand: -1 is not allowed in a new leading dimension");
      continue;
    }
    int64_t d = src[i - lead];
    if (s[i] == -1) s[i] = d;
    if (s[i] != d && d != 1)
      throw Error("expand: the input " + shapeToString(src) +
                  " cannot be expanded to " + shapeToString(s) +
                  " (a dimension must be 1 to be expanded)");
    if (s[i] < 0) throw Error("expand: invalid size " + std::to_string(s[i]));
  }
  if (!numElementsChecked(s)) throw Error("expand: element count overflows");
  attrs["shape"] = s;
  return {in[0].dtype, s};
}

TensorType inferTranspose(const std::vector<TensorType> &in, AttrMap &attrs) {
  int64_t r = in[0].rank();
  int64_t d0 = normalizeDim(getInt(attrs, "dim0", 0), r);
  int64_t d1 = normalizeDim(getInt(attrs, "dim1", 1 < r ? 1 : 0), r);
  attrs["dim0"] = d0;
  attrs["dim1"] = d1;
  Shape s = in[0].shape;
  if (r > 0) std::swap(s[d0], s[d1]);
  return {in[0].dtype, s};
}

TensorType inferPermute(const std::vector<TensorType> &in, AttrMap &attrs) {
  std::vector<int64_t> dims = getInts(attrs, "dims", {});
  int64_t r = in[0].rank();
  if (static_cast<int64_t>(dims.size()) != r)
    throw Error("permute: 'dims' has " + std::to_string(dims.size()) +
                " entries but the input has rank " + std::to_string(r));
  std::vector<bool> seen(r, false);
  Shape s(r);
  for (int64_t i = 0; i < r; ++i) {
    dims[i] = normalizeDim(dims[i], r);
    if (seen[dims[i]])
      throw Error("permute: dim " + std::to_string(dims[i]) + " repeats");
    seen[dims[i]] = true;
    s[i] = in[0].shape[dims[i]];
  }
  attrs["dims"] = dims;
  return {in[0].dtype, s};
}

TensorType inferSqueeze(const std::vector<TensorType> &in, AttrMap &attrs) {
  int64_t r = in[0].rank();
  std::vector<int64_t> dims;
  bool given = attrs.count("dim") > 0;
  if (given) {
    // The dims as written (normalized): x.squeeze(d) keeps its `dim`, also
    // when that dim is not 1, so that grad_fn names follow the call form.
    for (int64_t d : getInts(attrs, "dim", {}))
      dims.push_back(normalizeDim(d, r));
    std::sort(dims.begin(), dims.end());
    dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
    attrs["dim"] = dims;
  } else {
    for (int64_t i = 0; i < r; ++i) dims.push_back(i);
  }
  // As in PyTorch, squeezing a dimension that is not 1 is a no-op.
  Shape s;
  for (int64_t i = 0; i < r; ++i)
    if (in[0].shape[i] != 1 ||
        !std::binary_search(dims.begin(), dims.end(), i))
      s.push_back(in[0].shape[i]);
  return {in[0].dtype, s};
}

TensorType inferUnsqueeze(const std::vector<TensorType> &in, AttrMap &attrs) {
  if (!attrs.count("dim")) throw Error("unsqueeze needs the attribute 'dim'");
  int64_t r = in[0].rank();
  int64_t d = getInt(attrs, "dim", 0);
  if (d < -(r + 1) || d > r)
    throw Error("unsqueeze: dim " + std::to_string(d) + " is out of range [" +
                std::to_string(-(r + 1)) + ", " + std::to_string(r) + "]");
  if (d < 0) d += r + 1;
  attrs["dim"] = d;
  Shape s = in[0].shape;
  s.insert(s.begin() + d, 1);
  return {in[0].dtype, s};
}

TensorType inferSlice(const std::vector<TensorType> &in, AttrMap &attrs) {
  int64_t r = in[0].rank();
  if (r == 0) throw Error("slice: cannot slice a scalar");
  int64_t d = normalizeDim(getInt(attrs, "dim", 0), r);
  int64_t n = in[0].shape[d];
  int64_t step = getInt(attrs, "step", 1);
  if (step <= 0) throw Error("slice: step must be positive");
  // Python slice semantics: negative indices count from the end, then clamp.
  auto clampIdx = [n](int64_t i) {
    if (i < 0) i += n;
    return std::min(std::max<int64_t>(i, 0), n);
  };
  int64_t start = clampIdx(getInt(attrs, "start", 0));
  int64_t end = clampIdx(getInt(attrs, "end", n));
  if (end < start) end = start;
  attrs["dim"] = d;
  attrs["start"] = start;
  attrs["end"] = end;
  attrs["step"] = step;
  Shape s = in[0].shape;
  s[d] = (end - start + step - 1) / step;
  return {in[0].dtype, s};
}

} // namespace gradc
