//===- frontend/Diagnostics.h - Clang-style error reports ------*- C++ -*-===//
//
// Collects the errors of one DSL source file and renders them the way clang
// does:
//
//   bad.grad:3:9: error: use of undefined name 'yy'; did you mean 'y'?
//   z = y * yy
//           ^
//
// Columns are 1-based and count Unicode code points (a tab is one column);
// the caret line copies tabs from the source so that the caret lines up in
// a terminal. The frontend keeps going after an error so that one run shows
// several independent problems, up to a limit.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DIAGNOSTICS_H
#define GRADC_FRONTEND_DIAGNOSTICS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gradc {

/// A position in a source file: 1-based line and column (in code points).
/// Line 0 means "no position".
struct SourceLoc {
  int line = 0;
  int col = 0;

  bool valid() const { return line > 0; }
};

/// Renders a location as "LINE:COL", as used inside messages ("'y' is
/// already defined at 3:1").
std::string locString(SourceLoc loc);

/// Thrown by Diagnostics::error once the error limit is reached; the DSL
/// frontend catches it at its entry point and reports what it has.
struct TooManyErrors {};

/// Length in bytes of the well-formed UTF-8 sequence that starts at
/// `s[i]` (1 to 4), storing its code point in `cp`; 0 when the bytes there
/// are not well-formed UTF-8 (overlong forms, surrogates and values above
/// U+10FFFF are rejected). `i` must be < s.size().
size_t decodeUtf8(const std::string &s, size_t i, uint32_t &cp);

/// The errors found in one source file.
class Diagnostics {
public:
  /// `source` must outlive this object; `fileName` prefixes every message.
  Diagnostics(const std::string &source, std::string fileName,
              size_t maxErrors = 20);

  /// Records an error at `loc` (or without a position when !loc.valid()).
  /// Throws TooManyErrors when this is one error past the limit.
  void error(SourceLoc loc, const std::string &message);

  /// Number of errors recorded.
  size_t errorCount() const { return diags_.size(); }
  bool hasErrors() const { return !diags_.empty(); }

  /// Every error in source order (located ones first by line and column,
  /// then those without a position), each as
  /// "FILE:LINE:COL: error: MESSAGE\n<source line>\n<caret line>\n" (a line
  /// longer than 161 columns cut to 80 either side of the caret, "..."
  /// marking the cuts), plus a
  /// final "too many errors" line when the limit was hit.
  std::string render() const;

  /// The location just past the last character of the source (for errors
  /// like a missing `return`).
  SourceLoc endLoc() const;

private:
  struct Diag {
    SourceLoc loc;
    std::string message;
  };

  /// The text of 1-based line `line`, without its line terminator.
  std::string lineText(int line) const;

  const std::string &source_;
  std::string fileName_;
  size_t maxErrors_;
  bool truncated_ = false;
  std::vector<size_t> lineStarts_; ///< Byte offset where each line starts.
  std::vector<Diag> diags_;
};

} // namespace gradc

#endif // GRADC_FRONTEND_DIAGNOSTICS_H
