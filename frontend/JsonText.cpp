//===- frontend/JsonText.cpp - Safe JSON parsing --------------------------===//
#include "frontend/JsonText.h"

#include "frontend/JsonLoader.h"
#include "ir/Error.h"

#include <fstream>
#include <sstream>

namespace gradc {

static std::string location(const std::string &text, size_t offset,
                            const std::string &file) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

nlohmann::json parseJsonText(const std::string &text,
                             const std::string &fileName) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonNesting)
        throw Error(location(text, i, fileName) +
                    ": error: JSON nested deeper than " +
                    std::to_string(kMaxJsonNesting) + " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error &e) {
    std::string msg = e.what();
    // Drop the library's "[json.exception.parse_error.101] " prefix.
    size_t p = msg.find("] ");
    if (p != std::string::npos) msg = msg.substr(p + 2);
    size_t off = e.byte > 0 ? e.byte - 1 : 0;
    throw Error(location(text, off, fileName) + ": error: malformed JSON: " +
                msg);
  } catch (const nlohmann::json::exception &e) {
    // e.g. a number out of range (1e400): not a parse_error, still bad input.
    std::string msg = e.what();
    size_t p = msg.find("] ");
    if (p != std::string::npos) msg = msg.substr(p + 2);
    throw Error(fileName + ": error: invalid JSON: " + msg);
  }
}

std::string readTextFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": error: cannot open the file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw Error(path + ": error: cannot read the file");
  return ss.str();
}

} // namespace gradc
