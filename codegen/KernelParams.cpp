//===- codegen/KernelParams.cpp - Buffers a kernel function takes ---------===//
#include "codegen/KernelParams.h"

namespace gradc {

std::string KernelParams::use(const BufferRef &b, bool write) {
  if (!b.literal.empty()) return b.literal;
  if (!b.global.empty()) return b.global;
  for (Param &p : params_)
    if (p.ref.key == b.key) {
      p.written |= write;
      return p.name;
    }
  params_.push_back({b, "p" + std::to_string(params_.size()), write});
  return params_.back().name;
}

bool KernelParams::has(const std::string &key) const {
  for (const Param &p : params_)
    if (p.ref.key == key) return true;
  return false;
}

std::string KernelParams::signature(bool withFlags) const {
  std::string s;
  for (const Param &p : params_) {
    if (!s.empty()) s += ", ";
    s += (p.written ? "" : "const ") + p.ref.elemType + " *__restrict__ " +
         p.name;
  }
  if (withFlags) s += std::string(s.empty() ? "" : ", ") + "unsigned long long flags";
  return s;
}

std::string KernelParams::arguments(bool withFlags) const {
  std::string s;
  for (const Param &p : params_) {
    if (!s.empty()) s += ", ";
    s += "(" + std::string(p.written ? "" : "const ") + p.ref.elemType +
         " *)(" + p.ref.arg + ")";
  }
  if (withFlags) s += std::string(s.empty() ? "" : ", ") + "flags";
  return s;
}

} // namespace gradc
