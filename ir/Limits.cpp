//===- ir/Limits.cpp - Resource limits on user-supplied graphs ------------===//
#include "ir/Limits.h"

#include "ir/Error.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <unistd.h>

namespace gradc {

std::optional<uint64_t> parseByteCount(const std::string &text) {
  if (text.empty() || text.size() > 24) return std::nullopt;
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (v > (std::numeric_limits<uint64_t>::max() - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  int shift = 0;
  if (i < text.size()) {
    switch (text[i]) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    case 'T': case 't': shift = 40; break;
    default: return std::nullopt;
    }
    ++i;
    if (i < text.size() && (text[i] == 'B' || text[i] == 'b')) ++i;
    if (i != text.size()) return std::nullopt;
  }
  if (shift && v > (std::numeric_limits<uint64_t>::max() >> shift))
    return std::nullopt;
  return v << shift;
}

std::optional<uint64_t> envByteCount(const char *name) {
  const char *env = std::getenv(name);
  if (!env) return std::nullopt;
  auto v = parseByteCount(env);
  if (!v || *v == 0)
    throw Error(std::string(name) + " must be a positive byte count like "
                                    "4096, 512M or 8G, got '" +
                env + "'");
  return v;
}

uint64_t defaultMaxSourceBytes() {
  return envByteCount("GRADC_MAX_SOURCE_BYTES").value_or(kDefaultMaxSourceBytes);
}

uint64_t defaultMaxNodes() {
  return envByteCount("GRADC_MAX_NODES").value_or(kDefaultMaxNodes);
}

std::string tooManyNodesMessage(uint64_t maxNodes) {
  return "the graph has more than " + std::to_string(maxNodes) +
         " nodes, the limit (set GRADC_MAX_NODES to raise it)";
}

uint64_t defaultMaxBytes() {
  if (auto v = envByteCount("GRADC_MAX_BYTES")) return *v;
  // A quarter of RAM leaves room for the compiler, the JIT and the
  // process's own copies (inputs are converted, outputs printed).
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0) return kDefaultMaxBytesCeiling;
  uint64_t quarter = static_cast<uint64_t>(pages) *
                     static_cast<uint64_t>(pageSize) / 4;
  return quarter < kDefaultMaxBytesCeiling ? quarter : kDefaultMaxBytesCeiling;
}

std::optional<int64_t> tensorBytesChecked(const TensorType &t) {
  auto n = numElementsChecked(t.shape);
  if (!n) return std::nullopt;
  int64_t size = dtypeSize(t.dtype);
  if (*n > std::numeric_limits<int64_t>::max() / size) return std::nullopt;
  return *n * size;
}

void checkTensorType(const TensorType &t, const std::string &what) {
  if (t.rank() > kMaxRank)
    throw Error(what + " has rank " + std::to_string(t.rank()) +
                ", more than the limit of " + std::to_string(kMaxRank) +
                " dimensions");
  for (int64_t d : t.shape)
    if (d < 0)
      throw Error(what + " has a negative dimension in the shape " +
                  shapeToString(t.shape));
  if (!tensorBytesChecked(t))
    throw Error(what + " of shape " + shapeToString(t.shape) +
                " has too many elements (the size overflows 64 bits)");
}

void checkTensorBytes(const TensorType &t, uint64_t maxBytes,
                      const std::string &what) {
  checkTensorType(t, what);
  uint64_t bytes = static_cast<uint64_t>(*tensorBytesChecked(t));
  if (bytes > maxBytes)
    throw Error(what + " of type " + t.str() + " needs " + formatBytes(bytes) +
                ", more than the memory limit of " + formatBytes(maxBytes) +
                " (set GRADC_MAX_BYTES to raise it)");
}

std::string formatBytes(uint64_t bytes) {
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

} // namespace gradc
