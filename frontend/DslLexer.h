//===- frontend/DslLexer.h - Tokens of the DSL -----------------*- C++ -*-===//
//
// Splits DSL source into tokens the way Python's tokenizer does: NEWLINE
// ends a statement (except inside brackets, or after a '\' line
// continuation), and an indentation stack turns leading whitespace into
// INDENT/DEDENT tokens. Blank lines and `#` comments produce nothing.
//
// Errors (a stray character, an unterminated string, a NUL byte, bytes that
// are not UTF-8, tabs and spaces mixed in indentation, an unclosed bracket)
// are reported to Diagnostics and leave an Error token behind, so the parser
// can skip the statement without reporting it again.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DSLLEXER_H
#define GRADC_FRONTEND_DSLLEXER_H

#include "frontend/Diagnostics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gradc {

/// Kinds of DSL tokens.
enum class TokKind {
  Name,    ///< Identifier or `backtick name`; keywords are Names too.
  Temp,    ///< `$name`: a temporary that stays unnamed in the IR.
  Number,  ///< Integer or float literal (never signed: '-' is an operator).
  String,  ///< "..." or '...'; `text` holds the decoded value.
  Op,      ///< Operator or punctuation; `text` holds its spelling.
  Newline, ///< End of a logical line.
  Indent,  ///< The line is indented deeper than the enclosing block.
  Dedent,  ///< One block ends.
  Eof,     ///< End of input (always the last token).
  Error,   ///< A lexical error, already reported.
};

/// One token with its position.
struct Token {
  TokKind kind = TokKind::Eof;
  std::string text; ///< Name (decoded), "$name", string value, or operator.
  SourceLoc loc;    ///< Position of its first character.
  bool quoted = false;   ///< Name written in backticks: never a keyword.
  bool isInt = false;    ///< Number without '.', exponent, inf or nan.
  bool overflow = false; ///< isInt and the value does not fit uint64_t.
  uint64_t uval = 0;     ///< isInt: the value.
  double num = 0;        ///< The value as a double (correctly rounded).
  /// After a bracket that is never closed: the rest of the file is one
  /// broken statement, reported once by the lexer, so the parser is quiet.
  bool unclosed = false;

  bool is(TokKind k, const char *s) const { return kind == k && text == s; }
  bool isOp(const char *s) const { return is(TokKind::Op, s); }
  /// A bare (not backticked) name with this spelling.
  bool isWord(const char *s) const { return !quoted && is(TokKind::Name, s); }
};

/// Tokenizes `text`, reporting lexical errors to `diags`. The result always
/// ends with Newline (if there was any token), the Dedents that close open
/// blocks, and Eof.
std::vector<Token> lexDsl(const std::string &text, Diagnostics &diags);

} // namespace gradc

#endif // GRADC_FRONTEND_DSLLEXER_H
