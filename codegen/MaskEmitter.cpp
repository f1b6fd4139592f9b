//===- codegen/MaskEmitter.cpp - triu and tril ------------------------------===//
//
// One flat loop over the result: element f sits in column j = f % cols and
// row i = (f / cols) % rows of its matrix, and keeps the operand's value
// where j - i >= diagonal (triu) or j - i <= diagonal (tril), else 0.
//
//===----------------------------------------------------------------------===//
#include "codegen/OpEmitter.h"

#include "codegen/CodeWriter.h"
#include "codegen/EmitUtil.h"

namespace gradc {

std::string OpEmitter::triangle(const Node *n) {
  const Node *x = n->operands[0];
  const Shape &s = n->type.shape;
  int64_t rows = s[s.size() - 2], cols = s.back();
  int64_t diag = getInt(n->attrs, "diagonal", 0);
  ValueRef xv = valueOf_(x);
  std::string X = xv.isSplat() ? xv.literal : xv.ptr + "[f]";
  std::string cmp = n->op == OpKind::Triu ? " >= " : " <= ";
  CodeWriter w;
  w.open("for (long long f = 0; f < " + std::to_string(n->type.numel()) + "LL; ++f)");
  w.line("long long j = f % " + std::to_string(cols) + "LL, i = (f / " +
         std::to_string(cols) + "LL) % " + std::to_string(rows) + "LL;");
  w.line(ptrOf(n) + "[f] = (j - i" + cmp + std::to_string(diag) + "LL) ? " + X +
         " : (" + dtypeCppName(n->type.dtype) + ")0;");
  w.close();
  return w.str();
}

} // namespace gradc
