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

/// Indentation per scope of the code in a kernel function (loop nests,
/// reductions, the kernel's own braces): none. The scopes are still the
/// writer's; the text stays as compact as it always was, and with it the
/// compile cache's keys and the sizes UnitSplit balances a unit's parts by.
/// (An op's own statements inside a kernel keep OpEmitter's two spaces.)
constexpr int kKernelStep = 0;

/// Accumulates C++ source, indenting each line by the open scopes.
class CodeWriter {
public:
  /// `indent`: spaces before the outermost lines; `step`: spaces per open
  /// scope (kKernelStep for kernel code).
  explicit CodeWriter(int indent = 0, int step = 2) : base_(indent), step_(step) {}

  /// Writes one line (without its newline) at the current depth; an empty
  /// line gets no indentation (no trailing blanks in the output).
  void line(const std::string &text) {
    out_ += (text.empty() ? "" : pad()) + text + "\n";
  }
  /// Writes an empty line.
  void blank() { out_ += "\n"; }
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
  /// Opens a scope whose first line is `text` exactly: a line that ends
  /// in its own "{" or holds the brace and a first statement
  /// ("{ const float r = x;"), so the line breaks stay where they were.
  void openLine(const std::string &text) {
    line(text);
    ++depth_;
  }
  /// Indents what follows one level without a brace: the body of a
  /// brace-less `for` or `if` written on lines of its own. dedent() ends it.
  void indent() { ++depth_; }
  /// Ends what indent() began.
  void dedent() { --depth_; }
  /// Writes one line a level less deep than the current scope: an access
  /// specifier ("public:") or a label sits at its class's or function's
  /// own depth, not at its members'.
  void outdented(const std::string &text) {
    int depth = depth_ > 0 ? depth_ - 1 : 0;
    out_ += std::string(base_ + step_ * depth, ' ') + text + "\n";
  }
  /// Closes the innermost scope; `after` follows the brace on its line
  /// (";" after a struct, " while (c);" after a do).
  void close(const std::string &after = "") {
    --depth_;
    line("}" + after);
  }
  /// Closes the innermost scope and opens its sibling on the same line:
  /// "} " + `header` + " {" (reopen("else") writes "} else {").
  void reopen(const std::string &header) {
    --depth_;
    line("} " + header + " {");
    ++depth_;
  }
  /// Open scopes (0 once every open has its close).
  int depth() const { return depth_; }
  /// RAII scope: opens with `header` (as open()) on construction and
  /// closes on destruction, so a nest's braces cannot go unbalanced.
  class Scope {
  public:
    Scope(CodeWriter &w, const std::string &header = "") : w_(w) { w_.open(header); }
    ~Scope() { w_.close(); }
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    CodeWriter &w_;
  };

  /// The text written so far.
  const std::string &str() const { return out_; }

private:
  std::string pad() const { return std::string(base_ + step_ * depth_, ' '); }

  std::string out_;
  int base_;
  int step_;
  int depth_ = 0;
};

} // namespace gradc

#endif // GRADC_CODEGEN_CODEWRITER_H
