//===- codegen/Mangle.h - Safe spellings of user names ---------*- C++ -*-===//
//
// User-chosen names never reach generated C++ as written: symbols are
// sanitized C identifiers (with a hash when anything was changed), and
// comments carry an escaped form that cannot end the comment or splice
// lines.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_MANGLE_H
#define GRADC_CODEGEN_MANGLE_H

#include <string>

namespace gradc {

/// A C identifier for `name`: letters, digits and '_' kept, everything else
/// replaced; a leading digit, a reserved word or an empty result is
/// prefixed; if anything changed, an 8-hex-digit hash of the original is
/// appended so that distinct names stay distinct.
std::string mangleIdentifier(const std::string &name);

/// `text` made safe inside a // comment: printable ASCII except '\', '%'
/// and '?' (trigraphs) is kept, every other byte becomes %XX. Long texts
/// are cut with "...".
std::string escapeComment(const std::string &text, size_t maxLen = 120);

/// `identifier` with its ASCII letters upper-cased: the macro spelling of a
/// mangled symbol prefix (NAME_SIZE_B, include guards).
std::string upperIdentifier(std::string identifier);

/// 64-bit FNV-1a hash, used for mangling and cache keys.
unsigned long long fnv1a(const std::string &s);

} // namespace gradc

#endif // GRADC_CODEGEN_MANGLE_H
