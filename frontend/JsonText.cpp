//===- frontend/JsonText.cpp - Safe JSON parsing --------------------------===//
#include "frontend/JsonText.h"

#include "frontend/JsonLoader.h"
#include "ir/Error.h"

#include "ir/Limits.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

namespace gradc {

std::string jsonErrorMessage(const std::string &what) {
  size_t p = what.find("] ");
  std::string s = p == std::string::npos ? what : what.substr(p + 2);
  if (s.rfind("parse error", 0) == 0) {
    size_t colon = s.find(": ");
    if (colon != std::string::npos) s = s.substr(colon + 2);
  }
  return s;
}

namespace {

using json = nlohmann::json;

//===----------------------------------------------------------------------===//
// Raw text: positions, nesting, parsing
//===----------------------------------------------------------------------===//

/// "FILE:LINE:COL: error: MSG" for a byte offset into `text` (columns count
/// bytes, as clang's do).
[[noreturn]] void failAtOffset(const std::string &file, const std::string &text,
                               size_t offset, const std::string &msg) {
  offset = std::min(offset, text.size());
  size_t line = 1, lineStart = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  throw Error::located(file + ":" + std::to_string(line) + ":" +
                       std::to_string(offset - lineStart + 1) + ": error: " +
                       msg);
}

/// Rejects bracket nesting deeper than kMaxJsonNesting before the recursive
/// JSON parser sees it. Brackets inside strings do not count.
void checkNesting(const std::string &text, const std::string &file) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonNesting)
        failAtOffset(file, text, i,
                     "JSON nesting is deeper than " +
                         std::to_string(kMaxJsonNesting) + " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

/// Sentinel strings that stand for NaN, Infinity and -Infinity in tensor
/// files: replaceNonFinite() writes them (escaped, so the text stays JSON)
/// and the DOM builder turns them back into numbers. A raw control byte
/// cannot appear in a JSON string, so only these escapes produce them.
const char *const kNaN = "\x01NaN";
const char *const kInf = "\x01Infinity";
const char *const kNegInf = "\x01-Infinity";

/// Whether text[i..] starts with the word `w` standing alone.
bool wordAt(const std::string &text, size_t i, const char *w) {
  size_t n = std::strlen(w);
  if (text.compare(i, n, w) != 0) return false;
  size_t e = i + n;
  return e == text.size() ||
         !(std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '_');
}

/// `text` with the bare words NaN, Infinity and -Infinity outside strings
/// replaced by the sentinel strings above.
std::string replaceNonFinite(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  bool inString = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (wordAt(text, i, "NaN")) {
      out += "\"\\u0001NaN\"";
      i += 2;
      continue;
    } else if (wordAt(text, i, "Infinity")) {
      out += "\"\\u0001Infinity\"";
      i += 7;
      continue;
    } else if (wordAt(text, i, "-Infinity")) {
      out += "\"\\u0001-Infinity\"";
      i += 8;
      continue;
    }
    out += c;
  }
  return out;
}

/// Builds the DOM from the parser's SAX events. Our own builder rather than
/// nlohmann's callback parser, whose end_object scans the enclosing array
/// (quadratic for 100k nodes), and rather than plain json::parse, which lets
/// the last of two duplicate keys win silently: here a duplicate key is an
/// error that says where. Parse errors carry a byte offset for line:col.
class DomBuilder : public nlohmann::json_sax<json> {
public:
  DomBuilder(const std::string &text, const std::string &file,
             bool nonFinite, uint64_t maxTopLevelArray,
             const std::string &limitMessage)
      : text_(text), file_(file), nonFinite_(nonFinite),
        maxTopLevelArray_(maxTopLevelArray), limitMessage_(limitMessage) {}

  json takeRoot() { return std::move(root_); }

  bool null() override { return add(json(nullptr)); }
  bool boolean(bool v) override { return add(json(v)); }
  bool number_integer(number_integer_t v) override { return add(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return add(json(v)); }
  bool number_float(number_float_t v, const string_t &) override {
    return add(json(v));
  }
  bool string(string_t &v) override {
    if (nonFinite_ && !v.empty() && v[0] == '\x01') {
      if (v == kNaN) return add(json(std::numeric_limits<double>::quiet_NaN()));
      if (v == kInf) return add(json(std::numeric_limits<double>::infinity()));
      if (v == kNegInf)
        return add(json(-std::numeric_limits<double>::infinity()));
    }
    return add(json(std::move(v)));
  }
  bool binary(binary_t &) override { return add(json(nullptr)); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t &k) override {
    Frame &f = frames_.back();
    if (f.value->contains(k))
      throw Error(file_ + ": " + path() + ": duplicate key '" + k + "'");
    f.key = k;
    return true;
  }

  bool parse_error(std::size_t position, const std::string &lastToken,
                   const json::exception &e) override {
    // `position` counts bytes read, the offending one included. A number
    // that overflows (406) is only known bad at its end: point at its start.
    size_t offset = position ? position - 1 : 0;
    if (e.id == 406 && lastToken.size() <= position)
      offset = position - lastToken.size();
    failAtOffset(file_, text_, offset, jsonErrorMessage(e.what()));
  }

private:
  struct Frame {
    json *value;     // The open object or array.
    std::string key; // Objects: the key whose value comes next.
  };

  /// Stores `v` where the next value goes; returns where it landed.
  json *place(json v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame &f = frames_.back();
    if (f.value->is_array()) {
      if (frames_.size() == 2 && frames_[0].value->is_object() &&
          f.value->size() >= maxTopLevelArray_)
        throw Error(file_ + ": " + frames_[0].key + ": " + limitMessage_);
      f.value->push_back(std::move(v));
      return &f.value->back();
    }
    json &slot = (*f.value)[f.key];
    slot = std::move(v);
    return &slot;
  }
  bool add(json v) {
    place(std::move(v));
    return true;
  }
  // Children only ever go into the innermost open container, so pointers
  // to the outer ones stay valid.
  bool open(json v) {
    frames_.push_back({place(std::move(v)), {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }

  /// JSON path of the innermost open object, e.g. "nodes[2]".
  std::string path() const {
    std::string p;
    for (size_t i = 0; i + 1 < frames_.size(); ++i)
      p += frames_[i].value->is_array()
               ? "[" + std::to_string(frames_[i].value->size() - 1) + "]"
               : (p.empty() ? "" : ".") + frames_[i].key;
    return p.empty() ? "top level" : p;
  }

  const std::string &text_;
  const std::string &file_;
  bool nonFinite_;
  uint64_t maxTopLevelArray_;
  const std::string &limitMessage_;
  json root_;
  std::vector<Frame> frames_;
};

} // namespace

nlohmann::json parseJsonText(const std::string &original,
                             const std::string &file, bool nonFiniteNumbers,
                             uint64_t maxTopLevelArray,
                             const std::string &limitMessage) {
  std::string replaced;
  if (nonFiniteNumbers) replaced = replaceNonFinite(original);
  const std::string &text = nonFiniteNumbers ? replaced : original;
  checkNesting(text, file);
  DomBuilder dom(text, file, nonFiniteNumbers, maxTopLevelArray, limitMessage);
  try {
    json::sax_parse(text, &dom, json::input_format_t::json, /*strict=*/true,
                    /*ignore_comments=*/false);
  } catch (const json::exception &e) {
    throw Error::located(file + ": error: " + jsonErrorMessage(e.what()));
  }
  return dom.takeRoot();
}

std::string readTextFile(const std::string &path, uint64_t maxBytes,
                         const std::string &what) {
  auto tooLarge = [&](const std::string &size) {
    return Error::located(path + ": error: " + what + " is " + size +
                 ", more than the limit of " + formatBytes(maxBytes) +
                 " (set GRADC_MAX_BYTES to raise it)");
  };
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      throw Error::located(path + ": error: is a directory, not a file");
    // A regular file's size is known before a byte is read; pipes and
    // other streams are bounded while reading below.
    if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > maxBytes)
      throw tooLarge(formatBytes(static_cast<uint64_t>(st.st_size)));
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error::located(path + ": error: cannot open the file");
  std::string text;
  char buf[1 << 16];
  while (f) {
    f.read(buf, sizeof buf);
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (text.size() > maxBytes) throw tooLarge("larger");
  }
  if (f.bad()) throw Error::located(path + ": error: cannot read the file");
  return text;
}

} // namespace gradc
