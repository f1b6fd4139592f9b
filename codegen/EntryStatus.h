//===- codegen/EntryStatus.h - What an entry point's status says -*- C++ -*-===//
//
// Generated code never reads or writes outside a buffer. What only the data
// can reveal (an index out of range in embedding, gather, index_select,
// one_hot, a class target of cross_entropy) is a check in the kernel: one
// flag per gather loop, the offending index clamped so the loop stays in
// bounds, and a status returned by the entry point. The status packs the
// 1-based check site (ModuleInfo::statusSites) in bits 48-63 and the value
// in bits 0-47 (two's complement, saturated). Every caller (Session, the C
// API, the CLI, the Python binding) turns it into an error through
// describeStatus.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_ENTRYSTATUS_H
#define GRADC_CODEGEN_ENTRYSTATUS_H

#include "codegen/ModuleInfo.h"

#include <cstdint>
#include <string>

namespace gradc {

/// The status of a failed check at 1-based `site` with `value`, as the
/// generated gc_index_status computes it.
uint64_t encodeStatus(uint64_t site, int64_t value);
/// The 1-based site of a nonzero status.
uint64_t statusSite(uint64_t status);
/// The value of a status (saturated at +-(2^47 - 1)).
int64_t statusValue(uint64_t status);
/// "index 12 out of range [0, 10) in node 'emb'" for a nonzero status.
std::string describeStatus(const ModuleInfo &info, uint64_t status);

} // namespace gradc

#endif // GRADC_CODEGEN_ENTRYSTATUS_H
