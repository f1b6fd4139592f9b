//===- codegen/KernelParams.h - Buffers a kernel function takes -*- C++ -*-===//
//
// Every kernel is a static function whose pointer parameters are the
// distinct buffers it touches (one per piece of memory, so they can all be
// __restrict__: the buffer plan never lets two live values overlap, and an
// in-place update reads and writes through the same parameter). The entry
// point passes the actual pointers.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_KERNELPARAMS_H
#define GRADC_CODEGEN_KERNELPARAMS_H

#include <string>
#include <vector>

namespace gradc {

/// A buffer as the entry point sees it.
struct BufferRef {
  std::string key;      ///< Identity: equal keys are the same memory.
  std::string elemType; ///< C++ element type.
  std::string arg;      ///< Expression of the pointer in the entry point.
  bool nullable = false;  ///< Seeds (null: zeros) and gradients (null: skip).
  bool aligned = false;   ///< Known 64-byte aligned (workspace, context).
  std::string literal;  ///< Non-empty: a splat constant; no memory at all.
  std::string global;   ///< Non-empty: a static array (dense constant).
};

/// The parameter list of one kernel function.
class KernelParams {
public:
  struct Param {
    BufferRef ref;
    std::string name;
    bool written = false;
  };

  /// The name to use for `b` inside the kernel (its literal or array name
  /// when it is a constant); registers a parameter on first use.
  std::string use(const BufferRef &b, bool write = false);
  /// True if a parameter for this key exists.
  bool has(const std::string &key) const;
  const std::vector<Param> &params() const { return params_; }
  /// "const float *__restrict__ p0, float *__restrict__ p1, ..." (plus the
  /// flags word when `withFlags`).
  std::string signature(bool withFlags) const;
  /// The call's arguments, in the same order.
  std::string arguments(bool withFlags) const;

private:
  std::vector<Param> params_;
};

} // namespace gradc

#endif // GRADC_CODEGEN_KERNELPARAMS_H
