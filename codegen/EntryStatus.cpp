//===- codegen/EntryStatus.cpp - What an entry point's status says --------===//
#include "codegen/EntryStatus.h"

namespace gradc {

namespace {
constexpr int64_t kValueMax = (int64_t(1) << 47) - 1;
constexpr uint64_t kValueMask = (uint64_t(1) << 48) - 1;
} // namespace

uint64_t encodeStatus(uint64_t site, int64_t value) {
  if (value > kValueMax) value = kValueMax;
  if (value < -kValueMax - 1) value = -kValueMax - 1;
  return (site << 48) | (static_cast<uint64_t>(value) & kValueMask);
}

uint64_t statusSite(uint64_t status) { return status >> 48; }

int64_t statusValue(uint64_t status) {
  uint64_t v = status & kValueMask;
  if (v & (uint64_t(1) << 47)) v |= ~kValueMask; // sign-extend 48 bits
  return static_cast<int64_t>(v);
}

std::string describeStatus(const ModuleInfo &info, uint64_t status) {
  uint64_t site = statusSite(status);
  int64_t v = statusValue(status);
  std::string value = std::to_string(v);
  if (v == kValueMax) value = ">= " + value;
  if (v == -kValueMax - 1) value = "<= " + value;
  if (site == 0 || site > info.statusSites.size())
    return "the compiled code reported an unknown failure (status " +
           std::to_string(status) + ")";
  const StatusSite &s = info.statusSites[site - 1];
  return s.what + " " + value + " out of range [0, " + std::to_string(s.bound) +
         ") in node '" + s.node + "'";
}

} // namespace gradc
