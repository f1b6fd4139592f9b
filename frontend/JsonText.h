//===- frontend/JsonText.h - Safe JSON parsing -----------------*- C++ -*-===//
//
// Parses JSON text with nlohmann/json after rejecting nesting deeper than
// kMaxJsonNesting (the library recurses), turning every failure into a
// gradc::Error "FILE:LINE:COL: error: ...".
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_JSONTEXT_H
#define GRADC_FRONTEND_JSONTEXT_H

#include <nlohmann/json.hpp>

#include <string>

namespace gradc {

/// Parses `text`; `fileName` prefixes error messages.
nlohmann::json parseJsonText(const std::string &text,
                             const std::string &fileName);

/// Reads a whole file; throws gradc::Error naming the file on failure.
std::string readTextFile(const std::string &path);

} // namespace gradc

#endif // GRADC_FRONTEND_JSONTEXT_H
