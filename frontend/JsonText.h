//===- frontend/JsonText.h - Safe JSON parsing -----------------*- C++ -*-===//
//
// Parses JSON text with nlohmann/json after rejecting nesting deeper than
// kMaxJsonNesting (the library recurses), turning every failure into a
// gradc::Error "FILE:LINE:COL: error: ..." and rejecting duplicate object
// keys (the library would keep the last one silently) with their JSON path.
// Graph files and tensor files (--inputs, --seeds) both come through here.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_JSONTEXT_H
#define GRADC_FRONTEND_JSONTEXT_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace gradc {

/// Parses `text`; `fileName` prefixes error messages. Builds the DOM from
/// the library's SAX events, in time linear in the text. Integers keep
/// their exact 64-bit value (the DOM's integer and unsigned kinds). With
/// `nonFiniteNumbers`, the bare words NaN, Infinity and -Infinity are read
/// as numbers, as Python's json module writes them (tensor files).
///
/// `maxTopLevelArray` bounds the arrays directly under a top-level object
/// (a graph's "inputs" and "nodes"): one more element is an error, raised
/// while parsing, so a huge graph file is refused before its whole DOM
/// exists. `limitMessage` is that error's text.
nlohmann::json parseJsonText(const std::string &text,
                             const std::string &fileName,
                             bool nonFiniteNumbers = false,
                             uint64_t maxTopLevelArray = UINT64_MAX,
                             const std::string &limitMessage = "");

/// The part of a nlohmann/json exception message after its
/// "[json.exception...] parse error at line L, column C: " prefix (gradc
/// prints its own location).
std::string jsonErrorMessage(const std::string &what);

/// Reads a whole file; throws gradc::Error naming the file on failure, if
/// it is a directory, or if it is larger than `maxBytes` (checked before
/// reading when the size is known, else while reading; `what` words that
/// message, e.g. "the inputs file").
std::string readTextFile(const std::string &path,
                         uint64_t maxBytes = UINT64_MAX,
                         const std::string &what = "the file");

} // namespace gradc

#endif // GRADC_FRONTEND_JSONTEXT_H
