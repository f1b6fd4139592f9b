//===- tests/fuzz/FuzzCheck.cpp - Shared checks of the fuzz targets -------===//
#include "FuzzCheck.h"

#include "ir/Error.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cstdio>
#include <cstdlib>

namespace gradc {
namespace fuzz {

void bug(const char *what, const std::string &detail) {
  std::fprintf(stderr, "gradc fuzz: %s\n%.4000s\n", what, detail.c_str());
  std::abort();
}

void checkErrorMessage(const std::string &msg, const std::string &file) {
  if (msg.empty()) bug("an empty error message", "");
  if (msg.find(file) == std::string::npos)
    bug("an error message that does not name the file", msg);
}

void checkIRRoundTrip(const Graph &g) {
  std::string printed = printGraph(g);
  std::unique_ptr<Graph> back;
  try {
    back = parseGraph(printed, "printed.gir");
    verifyGraph(*back);
  } catch (const Error &e) {
    bug("printed IR does not parse back", std::string(e.what()) + "\n" + printed);
  }
  std::string again = printGraph(*back);
  if (again != printed)
    bug("printed IR changes after a round trip", printed + "\n---\n" + again);
}

/// True when `name` could alter generated code if it were pasted into it.
static bool isDangerousName(const std::string &name) {
  if (name.size() < 3) return false; // short names match by accident
  for (unsigned char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == ' ' || c == '.'))
      return true;
  return false;
}

void checkGeneratedSource(const Graph &g, const std::string &source) {
  if (source.find("\\\n") != std::string::npos)
    bug("generated C++ contains a line splice", source);
  // The code outside // comments (where escaped names may appear).
  std::string code;
  for (size_t i = 0; i < source.size();) {
    size_t c = source.find("//", i);
    if (c == std::string::npos) c = source.size();
    code.append(source, i, c - i);
    i = source.find('\n', c);
    if (i == std::string::npos) break;
  }
  std::vector<std::string> names = {g.name()};
  for (const auto &n : g.nodes()) names.push_back(n->name);
  for (const auto &o : g.outputs()) names.push_back(o.name);
  for (const std::string &n : names)
    if (isDangerousName(n) && code.find(n) != std::string::npos)
      bug("a user name reached the generated C++ outside a comment", n);
  // Braces outside comments balance; the emitter writes no braces inside
  // string or character literals.
  long depth = 0;
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '/' && i + 1 < source.size() && source[i + 1] == '/') {
      size_t e = source.find('\n', i);
      if (e == std::string::npos) break;
      i = e;
      continue;
    }
    if (source[i] == '{') ++depth;
    if (source[i] == '}' && --depth < 0) bug("unbalanced braces", source);
  }
  if (depth != 0) bug("unbalanced braces", source);
}

} // namespace fuzz
} // namespace gradc
