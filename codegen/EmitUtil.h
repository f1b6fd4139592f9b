//===- codegen/EmitUtil.h - Small helpers of the C++ emitter ---*- C++ -*-===//
#ifndef GRADC_CODEGEN_EMITUTIL_H
#define GRADC_CODEGEN_EMITUTIL_H

#include "ir/Types.h"

#include <string>

namespace gradc {

/// How generated code reads a value: through a pointer (or static array)
/// named `ptr`, or as the inline `literal` of a splat constant.
struct ValueRef {
  std::string ptr;
  std::string literal;
  bool isSplat() const { return ptr.empty(); }
};

/// A C++ literal of `dtype` with value `v` (inf/nan through builtins).
std::string literal(double v, DType dtype);

/// The generated prelude: typedef-free declarations of the C math and
/// CBLAS functions generated code may call.
extern const char *const kPrelude;

} // namespace gradc

#endif // GRADC_CODEGEN_EMITUTIL_H
