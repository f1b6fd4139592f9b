//===- runtime/TorchFormat.cpp - PyTorch-style tensor printing ------------===//
//
// How PyTorch 1.13 prints a dense tensor, in short:
//
// 1. Pick one element format for the whole tensor, looking only at the
//    elements that will be shown (all of them, or the edge items when the
//    tensor has more than `threshold` elements) and, for floats, only at the
//    nonzero finite ones:
//      - integer and bool dtypes: Python's str() of each value;
//      - floats whose shown values are all integral ("int mode"): "%.0f"
//        plus a trailing "." ("1.", "-0."), unless max/min of the absolute
//        values exceeds 1000 or max exceeds 1e8, then scientific;
//      - other floats: "%.{p}f", unless max/min > 1000, max > 1e8 or
//        min < 1e-4, then scientific "%.{p}e".
//    The column width is the longest of those strings (over nonzero finite
//    values only, so "-0.0000" or "-inf" may overflow it); every element is
//    right-aligned to it.
// 2. Nest brackets row-major. A 1-D row puts
//    floor((linewidth - indent) / (width + 2)) elements on a line; inner
//    dimensions are separated by ",", dim-1 newlines and indent+1 spaces.
//    Summarized dimensions show edgeitems, then "..." (" ..." inside a row),
//    then edgeitems.
// 3. Append suffixes (size for empty tensors, dtype unless it is float32,
//    int64 or bool, then the caller's), wrapping to a new line indented
//    like "tensor(" when a suffix would pass the line width.
//
//===----------------------------------------------------------------------===//
#include "runtime/TorchFormat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace gradc {

namespace {

const char kPrefix[] = "tensor(";
constexpr int kIndent = sizeof(kPrefix) - 1;

/// printf into a std::string (the only place a C format string is used).
std::string printfDouble(const char *fmt, int precision, double v) {
  int n = std::snprintf(nullptr, 0, fmt, precision, v);
  std::string s(static_cast<size_t>(n), '\0');
  std::snprintf(&s[0], s.size() + 1, fmt, precision, v);
  return s;
}

/// Python's format of a non-finite float: "nan" (whatever its sign), "inf",
/// "-inf".
std::string nonFinite(double v) {
  if (std::isnan(v))
    return "nan";
  return v < 0 ? "-inf" : "inf";
}

/// Python "{:.{p}f}": glibc's printf rounds the exact binary value half to
/// even, as CPython does.
std::string fixedStr(double v, int precision) {
  if (!std::isfinite(v))
    return nonFinite(v);
  return printfDouble("%.*f", precision, v);
}

/// Python "{:.{p}e}": same mantissa and at least two exponent digits.
std::string sciStr(double v, int precision) {
  if (!std::isfinite(v))
    return nonFinite(v);
  return printfDouble("%.*e", precision, v);
}

/// Python str() of an integer element; doubles outside int64 saturate.
std::string intStr(double v) {
  if (std::isnan(v))
    return "0";
  if (v >= 9223372036854775807.0)
    return std::to_string(std::numeric_limits<int64_t>::max());
  if (v <= -9223372036854775808.0)
    return std::to_string(std::numeric_limits<int64_t>::min());
  return std::to_string(static_cast<int64_t>(v));
}

/// Brings a value to what the dtype can hold, as PyTorch stores it.
double normalize(double v, DType dtype) {
  switch (dtype) {
  case DType::F32:
    // Round to nearest float; beyond FLT_MAX + half an ulp that is infinity
    // (spelled out: an out-of-range cast would be undefined behaviour).
    if (std::fabs(v) >= 0x1.ffffffp+127)
      return std::copysign(std::numeric_limits<double>::infinity(), v);
    return static_cast<double>(static_cast<float>(v));
  case DType::F64:
    return v;
  case DType::I32:
  case DType::I64:
    return std::isfinite(v) ? std::trunc(v) : 0.0;
  case DType::Bool:
    return v != 0 ? 1.0 : 0.0;
  }
  return v;
}

/// The one element format chosen for a whole tensor (PyTorch's _Formatter).
class ElementFormat {
public:
  /// With `exact` (int64 tensors), each value is an index into it: the
  /// digits come from the exact integers, never from a double.
  ElementFormat(const std::vector<double> &shown, DType dtype, int precision,
                const std::vector<int64_t> *exact = nullptr)
      : dtype_(dtype), precision_(precision), exact_(exact) {
    if (!isFloat(dtype)) {
      for (double v : shown)
        width_ = std::max(width_, raw(v).size());
      return;
    }
    double maxAbs = 0, minAbs = std::numeric_limits<double>::infinity();
    bool any = false;
    for (double v : shown) {
      if (!std::isfinite(v) || v == 0)
        continue;
      any = true;
      maxAbs = std::max(maxAbs, std::fabs(v));
      minAbs = std::min(minAbs, std::fabs(v));
      if (v != std::ceil(v))
        intMode_ = false;
    }
    if (!any)
      return; // only zeros and non-finite values: int mode, width 1
    sciMode_ = maxAbs / minAbs > 1000.0 || maxAbs > 1.0e8 ||
               (!intMode_ && minAbs < 1.0e-4);
    // The width counts nonzero finite values only (in int mode including
    // the trailing ".").
    for (double v : shown)
      if (std::isfinite(v) && v != 0)
        width_ = std::max(width_, raw(v).size());
  }

  size_t width() const { return width_; }

  /// One element, right-aligned to the common width.
  std::string format(double v) const {
    std::string s = raw(v);
    if (s.size() < width_)
      s.insert(0, width_ - s.size(), ' ');
    return s;
  }

private:
  /// One element before padding.
  std::string raw(double v) const {
    switch (dtype_) {
    case DType::Bool:
      return v != 0 ? "True" : "False";
    case DType::I32:
    case DType::I64:
      if (exact_)
        return std::to_string((*exact_)[static_cast<size_t>(v)]);
      return intStr(v);
    case DType::F32:
    case DType::F64:
      break;
    }
    if (sciMode_)
      return sciStr(v, precision_);
    if (intMode_) {
      std::string s = fixedStr(v, 0);
      if (std::isfinite(v))
        s += '.';
      return s;
    }
    return fixedStr(v, precision_);
  }

  DType dtype_;
  int precision_;
  const std::vector<int64_t> *exact_;
  bool intMode_ = true;
  bool sciMode_ = false;
  size_t width_ = 1;
};

/// Walks a row-major tensor and renders the nested brackets.
class Printer {
public:
  Printer(const std::vector<double> &values, const Shape &shape,
          const TorchPrintOptions &opts, bool summarize)
      : values_(values), shape_(shape), strides_(rowMajorStrides(shape)),
        opts_(opts), summarize_(summarize) {}

  /// Indices of dimension `dim` that are shown, with -1 marking the "...".
  std::vector<int64_t> shownIndices(size_t dim) const {
    int64_t n = shape_[dim];
    int64_t edge = opts_.edgeitems;
    std::vector<int64_t> idx;
    if (summarize_ && n > 2 * edge) {
      for (int64_t i = 0; i < edge; ++i)
        idx.push_back(i);
      idx.push_back(-1);
      for (int64_t i = n - edge; i < n; ++i)
        idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i)
        idx.push_back(i);
    }
    return idx;
  }

  /// Collects the elements that are shown, which alone decide the format.
  void collectShown(size_t dim, int64_t offset,
                    std::vector<double> &out) const {
    if (dim == shape_.size()) {
      out.push_back(values_[static_cast<size_t>(offset)]);
      return;
    }
    for (int64_t i : shownIndices(dim))
      if (i >= 0)
        collectShown(dim + 1, offset + i * strides_[dim], out);
  }

  /// Renders the sub-tensor at `offset` whose outermost dimension is `dim`;
  /// `indent` is the column of its opening bracket.
  std::string render(size_t dim, int64_t offset, int indent,
                     const ElementFormat &fmt) const {
    size_t rank = shape_.size();
    if (dim == rank)
      return fmt.format(values_[static_cast<size_t>(offset)]);
    std::vector<std::string> parts;
    if (dim + 1 == rank) {
      for (int64_t i : shownIndices(dim))
        parts.push_back(i < 0 ? std::string(" ...")
                              : fmt.format(values_[static_cast<size_t>(
                                    offset + i * strides_[dim])]));
      // Wrap the row: a fixed count of elements per line, computed from the
      // common width (not from the actual strings).
      double perLine = std::floor(double(opts_.linewidth - indent) /
                                  double(fmt.width() + 2));
      size_t per = perLine < 1 ? 1 : static_cast<size_t>(perLine);
      std::string out = "[";
      std::string lineBreak = ",\n" + std::string(indent + 1, ' ');
      for (size_t k = 0; k < parts.size(); ++k) {
        if (k > 0)
          out += (k % per == 0) ? lineBreak : ", ";
        out += parts[k];
      }
      return out + "]";
    }
    for (int64_t i : shownIndices(dim))
      parts.push_back(i < 0 ? std::string("...")
                            : render(dim + 1, offset + i * strides_[dim],
                                     indent + 1, fmt));
    std::string sep = "," + std::string(rank - dim - 1, '\n') +
                      std::string(indent + 1, ' ');
    std::string out = "[";
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k > 0)
        out += sep;
      out += parts[k];
    }
    return out + "]";
  }

private:
  const std::vector<double> &values_;
  const Shape &shape_;
  std::vector<int64_t> strides_;
  const TorchPrintOptions &opts_;
  bool summarize_;
};

/// Python's str() of a shape tuple: "(0, 3)", "(0,)".
std::string tupleStr(const Shape &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

/// Appends ", suffix" items, moving one to a new line when it would pass the
/// line width. PyTorch measures the last line as its length + 2 (one for the
/// "\n" it finds and one extra); the arithmetic below keeps that quirk.
std::string addSuffixes(const std::string &body,
                        const std::vector<std::string> &suffixes,
                        int linewidth) {
  std::string out = body;
  size_t nl = body.rfind('\n');
  int64_t lastLen = static_cast<int64_t>(body.size()) -
                    (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) +
                    1;
  for (const std::string &suffix : suffixes) {
    int64_t len = static_cast<int64_t>(suffix.size());
    if (lastLen + len + 2 > linewidth) {
      out += ",\n" + std::string(kIndent, ' ') + suffix;
      lastLen = kIndent + len;
    } else {
      out += ", " + suffix;
      lastLen += len + 2;
    }
  }
  return out + ")";
}

} // namespace

const char *torchDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "torch.float32";
  case DType::F64:
    return "torch.float64";
  case DType::I32:
    return "torch.int32";
  case DType::I64:
    return "torch.int64";
  case DType::Bool:
    return "torch.bool";
  }
  return "torch.float32";
}

namespace {

/// formatTorchTensor, with `exact` (int64 values) standing in for `values`
/// when given (then `values` holds each element's index).
std::string formatTensor(const std::vector<double> &values, const Shape &shape,
                         DType dtype, const std::vector<std::string> &suffixes,
                         const TorchPrintOptions &opts,
                         const std::vector<int64_t> *exact) {
  for (int64_t d : shape)
    if (d < 0)
      throw std::invalid_argument("formatTorchTensor: negative dimension in " +
                                  shapeToString(shape));
  std::optional<int64_t> numel = numElementsChecked(shape);
  if (!numel || static_cast<uint64_t>(*numel) != values.size())
    throw std::invalid_argument(
        "formatTorchTensor: " + std::to_string(values.size()) +
        " values do not fill shape " + shapeToString(shape));
  if (opts.edgeitems < 1)
    throw std::invalid_argument("formatTorchTensor: edgeitems must be >= 1");

  std::vector<std::string> all;
  std::string body;
  if (*numel == 0) {
    // No element tells the dtype, so PyTorch spells out everything but
    // float32; the size too, unless the tensor is 1-D.
    if (shape.size() != 1)
      all.push_back("size=" + tupleStr(shape));
    if (dtype != DType::F32)
      all.push_back(std::string("dtype=") + torchDTypeName(dtype));
    body = "[]";
  } else {
    if (dtype == DType::F64 || dtype == DType::I32)
      all.push_back(std::string("dtype=") + torchDTypeName(dtype));
    std::vector<double> normalized(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      normalized[i] = exact ? values[i] : normalize(values[i], dtype);
    bool summarize = *numel > opts.threshold;
    Printer printer(normalized, shape, opts, summarize);
    std::vector<double> shown;
    printer.collectShown(0, 0, shown);
    ElementFormat fmt(shown, dtype, opts.precision, exact);
    body = printer.render(0, 0, kIndent, fmt);
  }
  all.insert(all.end(), suffixes.begin(), suffixes.end());
  return addSuffixes(kPrefix + body, all, opts.linewidth);
}

} // namespace

std::string formatTorchTensor(const std::vector<double> &values,
                              const Shape &shape, DType dtype,
                              const std::vector<std::string> &suffixes,
                              const TorchPrintOptions &opts) {
  return formatTensor(values, shape, dtype, suffixes, opts, nullptr);
}

std::string formatTorchTensorInt64(const std::vector<int64_t> &values,
                                   const Shape &shape,
                                   const std::vector<std::string> &suffixes,
                                   const TorchPrintOptions &opts) {
  // The printer lays out doubles; here each stands for its element's index
  // (exact: a tensor the formatter can print has far fewer than 2^53).
  std::vector<double> index(values.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = static_cast<double>(i);
  return formatTensor(index, shape, DType::I64, suffixes, opts, &values);
}

} // namespace gradc
