//===- codegen/ScanEmitter.cpp - cumsum -------------------------------------===//
//
// A line of the result is the elements along `dim` at fixed other indices:
// with s the stride of `dim` and n its size, line o starts at
// (o / s) * s * n + o % s and steps by s. Each line is one running sum in
// double, as PyTorch's CPU kernel accumulates.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"

namespace gradc {

std::string OpEmitter::cumsum(const Node *n) {
  const Node *x = n->operands[0];
  const Shape &s = n->type.shape;
  std::string L = "LL";
  if (n->type.numel() == 0) return "";
  int64_t d = getInt(n->attrs, "dim", 0);
  int64_t size = s.empty() ? 1 : s[d];
  int64_t stride = s.empty() ? 1 : rowMajorStrides(s)[d];
  int64_t lines = n->type.numel() / size;
  ValueRef xv = valueOf_(x);
  std::string X = xv.isSplat() ? xv.literal : xv.ptr + "[at]";
  std::string T = dtypeCppName(n->type.dtype);
  CodeWriter w;
  w.open("for (long long o = 0; o < " + std::to_string(lines) + L + "; ++o)");
  w.line("long long base = (o / " + std::to_string(stride) + L + ") * " +
         std::to_string(stride * size) + L + " + o % " + std::to_string(stride) + L + ";");
  w.line("double acc = 0;");
  w.open("for (long long r = 0; r < " + std::to_string(size) + L + "; ++r)");
  w.line("long long at = base + r * " + std::to_string(stride) + L + ";");
  w.line("acc += " + X + ";");
  w.line(ptrOf(n) + "[at] = (" + T + ")acc;");
  w.close();
  w.close();
  return w.str();
}

} // namespace gradc
