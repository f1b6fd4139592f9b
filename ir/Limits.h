//===- ir/Limits.h - Resource limits on user-supplied graphs ---*- C++ -*-===//
//
// Graphs come from users (and attackers). Everything sized by them is
// checked against these limits before anything is allocated, so that a
// hostile file ends in a clear gradc::Error instead of an overflow, a
// runaway allocation or an out-of-memory kill.
//
//   - rank: at most kMaxRank dimensions per tensor;
//   - element counts and byte sizes: must fit in int64_t;
//   - bytes: one tensor, and all buffers of one compiled graph together,
//     at most maxBytes (GRADC_MAX_BYTES, or a default derived from RAM).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_LIMITS_H
#define GRADC_IR_LIMITS_H

#include "ir/Types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gradc {

/// Largest rank of any tensor. Real models stay far below it; generated
/// loop nests are as deep as the rank, and clang stops at 256 nested
/// brackets, so a rank in the hundreds would fail late and obscurely.
constexpr int64_t kMaxRank = 64;

/// Ceiling of the default memory cap: 16 GiB.
constexpr uint64_t kDefaultMaxBytesCeiling = uint64_t(16) << 30;

/// The memory cap in bytes: the value of the environment variable
/// GRADC_MAX_BYTES when it is set (a number, optionally suffixed K, M, G
/// or T for binary units), else min(16 GiB, a quarter of physical RAM).
/// Throws gradc::Error if GRADC_MAX_BYTES is set but malformed.
uint64_t defaultMaxBytes();

/// Default limit on the size of generated C++ the JIT compiles: 2 MiB.
constexpr uint64_t kDefaultMaxSourceBytes = uint64_t(2) << 20;

/// The limit on generated C++ handed to the JIT: GRADC_MAX_SOURCE_BYTES
/// when set (same syntax as GRADC_MAX_BYTES), else kDefaultMaxSourceBytes.
/// Compile time grows faster than the source (a 3 MiB kernel took minutes),
/// so beyond it a clear error beats an apparent hang. Throws gradc::Error
/// if the variable is malformed.
uint64_t defaultMaxSourceBytes();

/// Default limit on the nodes of a graph as loaded: 200,000.
constexpr uint64_t kDefaultMaxNodes = 200000;

/// The most nodes (inputs included) a loaded graph may have: GRADC_MAX_NODES
/// when set (a count, same syntax as GRADC_MAX_BYTES), else
/// kDefaultMaxNodes. Every loader checks it while reading, before the
/// graph is complete, so a huge file is refused in time and memory
/// proportional to the limit; the compiler's own time and memory grow
/// linearly with the node count (docs/robustness.md). Throws gradc::Error
/// if the variable is malformed.
uint64_t defaultMaxNodes();

/// The error for a graph with more than `maxNodes` nodes.
std::string tooManyNodesMessage(uint64_t maxNodes);

/// Parses a byte count like "4096", "512M" or "2G"; nullopt if malformed.
std::optional<uint64_t> parseByteCount(const std::string &text);

/// The byte count in environment variable `name` (parseByteCount syntax),
/// if it is set. Throws gradc::Error naming the variable if it is malformed
/// or zero.
std::optional<uint64_t> envByteCount(const char *name);

/// Bytes of a tensor of type `t`, or nullopt if the element count or the
/// byte count overflows int64_t (or a dimension is negative).
std::optional<int64_t> tensorBytesChecked(const TensorType &t);

/// Throws gradc::Error when `t` breaks a limit that holds regardless of
/// configuration: rank above kMaxRank, a negative dimension, an element
/// or byte count that overflows int64_t. `what` names the value.
void checkTensorType(const TensorType &t, const std::string &what);

/// checkTensorType, and the tensor's bytes must not exceed `maxBytes`.
void checkTensorBytes(const TensorType &t, uint64_t maxBytes,
                      const std::string &what);

/// "12.0 GiB"-style rendering of a byte count, for messages.
std::string formatBytes(uint64_t bytes);

} // namespace gradc

#endif // GRADC_IR_LIMITS_H
