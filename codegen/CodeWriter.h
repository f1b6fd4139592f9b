//===- codegen/CodeWriter.h - Writes C++ with its scopes --------*- C++ -*-===//
//
// Emitters print statements through a writer that knows the open scopes,
// as Halide's CodeGen_C prints assignments and scopes, instead of
// concatenating strings whose indentation and braces each caller keeps
// track of.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_CODEWRITER_H
#define GRADC_CODEGEN_CODEWRITER_H

#include <string>

namespace gradc {

/// Accumulates C++ source, indenting each line by the open scopes.
class CodeWriter {
public:
  /// `indent`: spaces before the outermost lines.
  explicit CodeWriter(int indent = 0) : base_(indent) {}

  /// Writes one line (without its newline) at the current depth.
  void line(const std::string &text) {
    out_ += pad() + text + "\n";
  }
  /// Writes every line of `block` (lines separated by '\n', a trailing
  /// newline optional) at the current depth.
  void lines(const std::string &block) {
    size_t start = 0;
    while (start < block.size()) {
      size_t end = block.find('\n', start);
      if (end == std::string::npos) end = block.size();
      line(block.substr(start, end - start));
      start = end + 1;
    }
  }
  /// Opens a scope: writes `header` followed by " {" (or just "{" for an
  /// empty header) and indents what follows.
  void open(const std::string &header = "") {
    line(header.empty() ? "{" : header + " {");
    ++depth_;
  }
  /// Closes the innermost scope; `after` follows the brace on its line
  /// (";" after a struct, " while (c);" after a do).
  void close(const std::string &after = "") {
    --depth_;
    line("}" + after);
  }
  /// Indents what follows one level without a brace: the body of a
  /// brace-less `for` or `if` written on lines of its own. dedent() ends it.
  void indent() { ++depth_; }
  /// Ends what indent() began.
  void dedent() { --depth_; }
  /// Writes an empty line (no indentation: no trailing spaces).
  void blank() { out_ += "\n"; }
  /// Writes one line a level less deep than the current scope: an access
  /// specifier ("public:") or a label sits at its class's or function's
  /// own depth, not at its members'.
  void outdented(const std::string &text) {
    int depth = depth_ > 0 ? depth_ - 1 : 0;
    out_ += std::string(base_ + 2 * depth, ' ') + text + "\n";
  }
  /// The text written so far.
  const std::string &str() const { return out_; }

private:
  std::string pad() const { return std::string(base_ + 2 * depth_, ' '); }

  std::string out_;
  int base_;
  int depth_ = 0;
};

} // namespace gradc

#endif // GRADC_CODEGEN_CODEWRITER_H
