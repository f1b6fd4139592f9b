//===- frontend/DslNames.h - Spelling rules of the DSL ---------*- C++ -*-===//
//
// What the DSL lexer accepts as a bare identifier, which words are reserved,
// and how names, strings and numbers are spelled so that they read back
// exactly. Shared by the lexer (reading) and DslWriter (writing), so the two
// cannot drift apart.
//
// A user name that is not a bare identifier (spaces, quotes, non-ASCII,
// keywords such as `return`, names that look like numbers) is written in
// backticks with backslash escapes: `my name`, `return`, `a\`b`, `\x01`.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DSLNAMES_H
#define GRADC_FRONTEND_DSLNAMES_H

#include "ir/Types.h"

#include <optional>
#include <string>

namespace gradc {

/// True for [A-Za-z_].
inline bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
/// True for [A-Za-z0-9_].
inline bool isIdentChar(char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

/// True for the words the DSL reserves: every Python keyword (`return`,
/// `with`, `True`, `lambda`, ...) plus `inf` and `nan`, which are number
/// literals. A reserved word used as a name must be written in backticks.
bool isDslKeyword(const std::string &word);

/// True if `name` can be written bare: an ASCII identifier that is not
/// reserved.
bool isDslIdentifier(const std::string &name);

/// The DSL spelling of a user name: the name itself when it is a bare
/// identifier, else the name in backticks with escapes (see dslQuote).
std::string dslName(const std::string &name);

/// Quotes `s` between two `quote` characters. Backslash, the quote
/// character, control bytes and bytes that are not well-formed UTF-8 are
/// escaped (\\ \` \" \n \t \r \xHH); other UTF-8 passes through.
std::string dslQuote(const std::string &s, char quote);

/// Reads the escape sequence that starts at text[i] == '\\' (as written by
/// dslQuote, plus \' and \0). Appends the byte it stands for to `out` and
/// returns the number of source bytes consumed, or 0 if it is not a valid
/// escape.
size_t dslUnescape(const std::string &text, size_t i, std::string &out);

/// The DSL spelling of a number that reads back as the same double:
/// integral values below 1e16 as integers ("2", "-1"), others as
/// formatDouble does ("0.1", "2.5e-07"), and inf, -inf, nan.
std::string dslNumber(double v);

/// The DSL spelling of a number that must read as a float literal (it has a
/// '.', an exponent, or is inf/nan), e.g. tensor data of a float input.
std::string dslFloat(double v);

/// The dtype a DSL spelling names: f32/float32/float, f64/float64/double,
/// i32/int32/int, i64/int64/long, bool. std::nullopt for anything else.
std::optional<DType> dslDType(const std::string &s);

} // namespace gradc

#endif // GRADC_FRONTEND_DSLNAMES_H
