//===- frontend/DslLexer.cpp - Tokens of the DSL --------------------------===//
#include "frontend/DslLexer.h"

#include "frontend/DslNames.h"
#include "ir/Limits.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace gradc {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
  Lexer(const std::string &text, Diagnostics &diags)
      : s_(text), diags_(diags), maxLines_(defaultMaxNodes() + 3) {}

  std::vector<Token> run();

private:
  bool eof() const { return pos_ >= s_.size(); }
  /// The byte k ahead, or '\0' past the end (callers check eof() when a real
  /// NUL byte would matter).
  char peek(size_t k = 0) const {
    return pos_ + k < s_.size() ? s_[pos_ + k] : '\0';
  }
  SourceLoc here() const { return {line_, col_}; }
  bool atNewline() const {
    return !eof() && (s_[pos_] == '\n' || s_[pos_] == '\r');
  }
  /// Moves past one code point (or one byte that is not UTF-8): one column.
  void advance() {
    uint32_t cp;
    size_t n = decodeUtf8(s_, pos_, cp);
    pos_ += n ? n : 1;
    ++col_;
  }
  void consumeNewline() {
    if (s_[pos_] == '\r' && peek(1) == '\n') ++pos_;
    ++pos_;
    ++line_;
    col_ = 1;
  }
  /// Skips a comment; its bytes must still be UTF-8 without NULs.
  void skipComment() {
    while (!eof() && !atNewline()) {
      uint32_t cp = 0;
      size_t n = decodeUtf8(s_, pos_, cp);
      // No Error token: a comment is not part of any statement.
      if (!n) error(here(), "invalid UTF-8 byte sequence", false);
      else if (cp == 0) error(here(), "null character in source", false);
      advance();
    }
  }
  void push(TokKind k, std::string text, SourceLoc loc) {
    Token t;
    t.kind = k;
    t.text = std::move(text);
    t.loc = loc;
    toks_.push_back(std::move(t));
  }
  /// Reports a lexical error (at most one per line: one bad line should not
  /// use up the error limit) and leaves an Error token.
  void error(SourceLoc loc, const std::string &msg, bool token = true) {
    if (loc.line != lastErrorLine_) diags_.error(loc, msg);
    lastErrorLine_ = loc.line;
    if (token && (toks_.empty() || toks_.back().kind != TokKind::Error))
      push(TokKind::Error, "", loc);
  }

  void indentation(const std::string &ind, SourceLoc loc);
  void lexNumber();
  void lexQuoted(char quote);
  void lexOther();

  const std::string &s_;
  Diagnostics &diags_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  int lastErrorLine_ = 0;
  std::vector<Token> toks_;
  /// Logical lines lexed before stopping: one past what the parser's
  /// statement limit (the node limit) accepts, so that it reports the
  /// limit, and a huge file is never tokenized whole.
  uint64_t maxLines_;
  uint64_t lines_ = 0;
  std::vector<std::pair<char, SourceLoc>> brackets_;
  std::vector<std::string> indents_{""};
};

void Lexer::indentation(const std::string &ind, SourceLoc loc) {
  if (ind == indents_.back()) return;
  const std::string &top = indents_.back();
  if (ind.size() > top.size() && ind.compare(0, top.size(), top) == 0) {
    indents_.push_back(ind);
    push(TokKind::Indent, "", loc);
    return;
  }
  for (size_t j = indents_.size(); j-- > 0;) {
    if (indents_[j] != ind) continue;
    while (indents_.size() > j + 1) {
      indents_.pop_back();
      push(TokKind::Dedent, "", loc);
    }
    return;
  }
  // Neither deeper nor equal to an enclosing level. Tabs and spaces cannot
  // be compared without a tab width, so mixing them is an error, as in
  // Python 3.
  bool tabs = ind.find('\t') != std::string::npos ||
              top.find('\t') != std::string::npos;
  bool spaces = ind.find(' ') != std::string::npos ||
                top.find(' ') != std::string::npos;
  std::string msg = tabs && spaces
                        ? "inconsistent use of tabs and spaces in indentation"
                        : "unindent does not match any outer indentation level";
  // Recover at the innermost enclosing level that is a prefix of this one.
  while (indents_.size() > 1 &&
         (indents_.back().size() > ind.size() ||
          ind.compare(0, indents_.back().size(), indents_.back()) != 0)) {
    indents_.pop_back();
    push(TokKind::Dedent, "", loc);
  }
  error(loc, msg);
}

void Lexer::lexNumber() {
  SourceLoc loc = here();
  size_t b = pos_;
  bool isFloat = false;
  while (isDigit(peek())) advance();
  if (peek() == '.') {
    isFloat = true;
    advance();
    while (isDigit(peek())) advance();
  }
  if (peek() == 'e' || peek() == 'E') {
    size_t k = peek(1) == '+' || peek(1) == '-' ? 2 : 1;
    if (!isDigit(peek(k))) {
      error(loc, "invalid number: the exponent has no digits");
      while (isIdentChar(peek())) advance();
      return;
    }
    isFloat = true;
    for (size_t i = 0; i < k; ++i) advance();
    while (isDigit(peek())) advance();
  }
  if (isIdentChar(peek()) || peek() == '.') {
    while (isIdentChar(peek()) || peek() == '.') advance();
    error(loc, "invalid number literal '" + s_.substr(b, pos_ - b) + "'");
    return;
  }
  Token t;
  t.kind = TokKind::Number;
  t.text = s_.substr(b, pos_ - b);
  t.loc = loc;
  t.isInt = !isFloat;
  const char *first = t.text.data(), *last = first + t.text.size();
  auto r = std::from_chars(first, last, t.num);
  if (r.ec != std::errc()) {
    // Out of double range (1e999 is inf and 1e-999 is 0.0, as in Python;
    // some libraries also refuse subnormals here). strtod gets those right.
    t.num = std::strtod(t.text.c_str(), nullptr);
  }
  if (t.isInt) {
    auto ri = std::from_chars(first, last, t.uval);
    t.overflow = ri.ec != std::errc();
  }
  toks_.push_back(std::move(t));
}

void Lexer::lexQuoted(char quote) {
  SourceLoc loc = here();
  bool name = quote == '`';
  const char *what = name ? "backtick name" : "string";
  advance();
  std::string v;
  bool ok = true;
  while (true) {
    if (eof() || atNewline()) {
      error(loc, std::string("unterminated ") + what);
      return;
    }
    unsigned char c = static_cast<unsigned char>(peek());
    if (c == static_cast<unsigned char>(quote)) {
      advance();
      break;
    }
    if (c == '\\') {
      size_t n = dslUnescape(s_, pos_, v);
      if (!n) {
        error(here(), std::string("invalid escape sequence in ") + what +
                          " (use \\\\ \\n \\t \\r \\xHH or an escaped quote)");
        ok = false;
        bool lineEnds = pos_ + 1 >= s_.size() || peek(1) == '\n' ||
                        peek(1) == '\r';
        n = lineEnds ? 1 : 2;
      }
      for (size_t i = 0; i < n && !eof() && !atNewline(); ++i) advance();
      continue;
    }
    uint32_t cp;
    size_t n = decodeUtf8(s_, pos_, cp);
    if (!n) {
      error(here(), "invalid UTF-8 byte sequence");
      ok = false;
    } else if (c == 0) {
      error(here(), "null character in source");
      ok = false;
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      error(here(), std::string("control character in ") + what +
                        "; write it as an escape like \\x01");
      ok = false;
    } else {
      v += s_.substr(pos_, n);
    }
    advance();
  }
  if (!ok) return;
  if (name && v.empty()) {
    error(loc, "empty backtick name");
    return;
  }
  push(name ? TokKind::Name : TokKind::String, std::move(v), loc);
  toks_.back().quoted = name;
}

void Lexer::lexOther() {
  SourceLoc loc = here();
  char c = peek();
  if (c == '/' && peek(1) == '/') {
    advance();
    advance();
    error(loc, "floor division '//' is not supported");
    return;
  }
  static const char *two[] = {"**", "==", "!=", "<=", ">="};
  for (const char *op : two)
    if (c == op[0] && peek(1) == op[1]) {
      advance();
      advance();
      push(TokKind::Op, op, loc);
      return;
    }
  if (std::string("+-*/@,:.=<>;").find(c) != std::string::npos && c) {
    advance();
    push(TokKind::Op, std::string(1, c), loc);
    return;
  }
  if (c == '(' || c == '[') {
    advance();
    brackets_.push_back({c, loc});
    push(TokKind::Op, std::string(1, c), loc);
    return;
  }
  if (c == ')' || c == ']') {
    advance();
    char open = c == ')' ? '(' : '[';
    if (brackets_.empty()) {
      error(loc, std::string("unmatched '") + c + "'");
      return;
    }
    auto [got, gotLoc] = brackets_.back();
    brackets_.pop_back();
    if (got != open) {
      error(loc, std::string("closing '") + c + "' does not match opening '" +
                     got + "' at " + locString(gotLoc));
      return;
    }
    push(TokKind::Op, std::string(1, c), loc);
    return;
  }
  uint32_t cp;
  size_t n = decodeUtf8(s_, pos_, cp);
  std::string msg;
  if (!n) {
    msg = "invalid UTF-8 byte sequence";
  } else if (cp == 0) {
    msg = "null character in source";
  } else if (cp >= 0x80) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
    msg = "unexpected character '" + s_.substr(pos_, n) + "' (" + hex +
          "); write names with non-ASCII characters in backticks, like `" +
          s_.substr(pos_, n) + "`";
  } else if (cp < 0x20 || cp == 0x7f) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(cp));
    msg = std::string("unexpected control character '") + hex + "'";
  } else {
    msg = std::string("unexpected character '") + c + "'";
  }
  advance();
  error(loc, msg);
}

std::vector<Token> Lexer::run() {
  if (s_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3; // UTF-8 BOM.
  bool lineStart = true;
  while (true) {
    if (lineStart) {
      lineStart = false;
      SourceLoc loc = here();
      size_t b = pos_;
      while (!eof() && (peek() == ' ' || peek() == '\t' || peek() == '\f'))
        advance();
      std::string ind = s_.substr(b, pos_ - b);
      if (!eof() && peek() == '#') skipComment();
      if (eof()) break;
      if (atNewline()) { // Blank lines do not change the indentation.
        consumeNewline();
        lineStart = true;
        continue;
      }
      indentation(ind, loc);
    }
    if (eof()) break;
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\f') {
      advance();
    } else if (c == '#') {
      skipComment();
    } else if (atNewline()) {
      SourceLoc loc = here();
      consumeNewline();
      if (brackets_.empty()) {
        if (!toks_.empty() && toks_.back().kind != TokKind::Newline) {
          push(TokKind::Newline, "", loc);
          if (++lines_ > maxLines_) break;
        }
        lineStart = true;
      }
    } else if (c == '\\' && (peek(1) == '\n' || peek(1) == '\r')) {
      advance(); // Line continuation: the statement goes on.
      consumeNewline();
    } else if (isIdentStart(c)) {
      SourceLoc loc = here();
      size_t b = pos_;
      while (isIdentChar(peek())) advance();
      push(TokKind::Name, s_.substr(b, pos_ - b), loc);
    } else if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
      lexNumber();
    } else if (c == '"' || c == '\'' || c == '`') {
      lexQuoted(c);
    } else if (c == '$') {
      SourceLoc loc = here();
      advance();
      size_t b = pos_;
      while (isIdentChar(peek())) advance();
      if (pos_ == b)
        error(loc, "expected a temporary name after '$' (like $t)");
      else
        push(TokKind::Temp, "$" + s_.substr(b, pos_ - b), loc);
    } else {
      lexOther();
    }
  }
  if (!brackets_.empty()) {
    SourceLoc open = brackets_.front().second;
    for (Token &t : toks_)
      if (t.loc.line > open.line ||
          (t.loc.line == open.line && t.loc.col > open.col))
        t.unclosed = true;
    lastErrorLine_ = 0;
    error(open, std::string("'") + brackets_.front().first +
                    "' was never closed");
  }
  SourceLoc end = here();
  if (!toks_.empty() && toks_.back().kind != TokKind::Newline)
    push(TokKind::Newline, "", end);
  for (size_t i = 1; i < indents_.size(); ++i)
    push(TokKind::Dedent, "", end);
  push(TokKind::Eof, "", end);
  return std::move(toks_);
}

} // namespace

std::vector<Token> lexDsl(const std::string &text, Diagnostics &diags) {
  return Lexer(text, diags).run();
}

} // namespace gradc
