//===- frontend/Diagnostics.cpp - Clang-style error reports ---------------===//
#include "frontend/Diagnostics.h"

#include <algorithm>

namespace gradc {

namespace {
/// Columns of source shown either side of an error's caret.
constexpr int kContextColumns = 80;
} // namespace

std::string locString(SourceLoc loc) {
  return std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

size_t decodeUtf8(const std::string &s, size_t i, uint32_t &cp) {
  auto byte = [&](size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  unsigned b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t len;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0; // A continuation byte or 0xF8..0xFF cannot start a sequence.
  }
  for (size_t k = 1; k < len; ++k) {
    unsigned b = byte(i + k);
    if ((b & 0xC0) != 0x80) return 0; // Also catches the end of the string.
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

Diagnostics::Diagnostics(const std::string &source, std::string fileName,
                         size_t maxErrors)
    : source_(source), fileName_(std::move(fileName)), maxErrors_(maxErrors) {
  // Line breaks are "\n", "\r\n" and a lone "\r", as in the lexer.
  lineStarts_.push_back(0);
  for (size_t i = 0; i < source_.size(); ++i) {
    if (source_[i] == '\r' && i + 1 < source_.size() && source_[i + 1] == '\n')
      ++i;
    if (source_[i] == '\n' || source_[i] == '\r') lineStarts_.push_back(i + 1);
  }
}

void Diagnostics::error(SourceLoc loc, const std::string &message) {
  if (diags_.size() >= maxErrors_) {
    truncated_ = true;
    throw TooManyErrors();
  }
  // One mistake can be seen twice (by the lexer and the parser); say it once.
  for (const Diag &d : diags_)
    if (d.loc.line == loc.line && d.loc.col == loc.col && d.message == message)
      return;
  diags_.push_back({loc, message});
}

SourceLoc Diagnostics::endLoc() const {
  // Past the last character: on the last line that has one, since a file
  // normally ends with a line break.
  int line = static_cast<int>(lineStarts_.size());
  if (line > 1 && lineText(line).empty()) --line;
  std::string text = lineText(line);
  int col = 1;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    size_t n = decodeUtf8(text, i, cp);
    i += n ? n : 1;
    ++col;
  }
  return {line, col};
}

std::string Diagnostics::lineText(int line) const {
  if (line < 1 || static_cast<size_t>(line) > lineStarts_.size()) return "";
  size_t b = lineStarts_[line - 1];
  // The lexer skips a UTF-8 BOM without counting a column; so do we.
  if (line == 1 && source_.compare(0, 3, "\xEF\xBB\xBF") == 0) b = 3;
  size_t e = b;
  while (e < source_.size() && source_[e] != '\n' && source_[e] != '\r') ++e;
  return source_.substr(b, e - b);
}

std::string Diagnostics::render() const {
  std::vector<const Diag *> order;
  for (const Diag &d : diags_) order.push_back(&d);
  // Errors come from several phases (lexer, parser, lowering); show them in
  // source order as a single-pass compiler would (ties: in report order,
  // which the addresses in diags_ follow).
  std::sort(order.begin(), order.end(), [](const Diag *a, const Diag *b) {
    int la = a->loc.valid() ? a->loc.line : 1 << 30;
    int lb = b->loc.valid() ? b->loc.line : 1 << 30;
    if (la != lb) return la < lb;
    if (a->loc.col != b->loc.col) return a->loc.col < b->loc.col;
    return a < b;
  });
  std::string out;
  for (const Diag *d : order) {
    if (!d->loc.valid()) {
      out += fileName_ + ": error: " + d->message + "\n";
      continue;
    }
    out += fileName_ + ":" + locString(d->loc) + ": error: " + d->message +
           "\n";
    // The source line, with bytes a terminal cannot show replaced by '?'
    // (one per column, so the caret still lines up), and the caret line.
    // A long line is cut to kContextColumns either side of the caret, with
    // "..." where text was left out: a 4 MB line is not 4 MB of stderr.
    std::string text = lineText(d->loc.line), shown, caret;
    const int first = std::max(1, d->loc.col - kContextColumns);
    const int last = d->loc.col + kContextColumns;
    if (first > 1) shown += "...", caret += "   ";
    int col = 1;
    for (size_t i = 0; i < text.size(); ++col) {
      if (col > last) {
        shown += "...";
        break;
      }
      uint32_t cp;
      size_t n = decodeUtf8(text, i, cp);
      if (col >= first) {
        bool printable = n && cp != 0x7f && (cp >= 0x20 || cp == '\t');
        shown += printable ? text.substr(i, n) : "?";
        if (col < d->loc.col) caret += cp == '\t' && n == 1 ? '\t' : ' ';
      }
      i += n ? n : 1;
    }
    for (col = std::max(col, first); col < d->loc.col; ++col) caret += ' ';
    out += shown + "\n" + caret + "^\n";
  }
  if (truncated_)
    out += fileName_ + ": fatal error: too many errors emitted, stopping now\n";
  return out;
}

} // namespace gradc
