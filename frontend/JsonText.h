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

#include <string>

namespace gradc {

/// Parses `text`; `fileName` prefixes error messages. Builds the DOM from
/// the library's SAX events, in time linear in the text.
nlohmann::json parseJsonText(const std::string &text,
                             const std::string &fileName);

/// The part of a nlohmann/json exception message after its
/// "[json.exception...] parse error at line L, column C: " prefix (gradc
/// prints its own location).
std::string jsonErrorMessage(const std::string &what);

/// Reads a whole file; throws gradc::Error naming the file on failure.
std::string readTextFile(const std::string &path);

} // namespace gradc

#endif // GRADC_FRONTEND_JSONTEXT_H
