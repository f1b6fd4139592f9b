//===- tools/Args.cpp - Command-line parsing of the gradc driver ----------===//
#include "tools/Args.h"

#include "ir/Error.h"

namespace gradc {

std::string Args::get(const std::string &f, const std::string &def) const {
  auto it = values.find(f);
  return it == values.end() || it->second.empty() ? def : it->second.back();
}

std::vector<std::string> Args::all(const std::string &f) const {
  std::vector<std::string> r;
  auto it = values.find(f);
  if (it == values.end()) return r;
  for (const std::string &v : it->second) {
    size_t start = 0;
    while (true) {
      size_t c = v.find(',', start);
      std::string part = v.substr(start, c == std::string::npos ? std::string::npos : c - start);
      // An empty name ("", "a,,b", "a,") is a mistake, not "no root":
      // ignoring it silently ran with the default roots instead.
      if (part.empty())
        throw Error("option " + f + " needs a name, got an empty one in '" +
                    v + "'");
      r.push_back(part);
      if (c == std::string::npos) break;
      start = c + 1;
    }
  }
  return r;
}

static bool looksLikeGraphFile(const std::string &s) {
  for (const char *ext : {".json", ".grad", ".gir"}) {
    std::string e(ext);
    if (s.size() > e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0)
      return true;
  }
  return false;
}

Args parseArgs(int argc, char **argv, int first, const ArgSpec &spec) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() < 2 || s[0] != '-' || s == "-") {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s, value;
    bool inlineValue = false;
    if (size_t eq = s.find('='); eq != std::string::npos) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
      inlineValue = true;
    }
    if (spec.switches.count(name)) {
      if (inlineValue) throw Error("option " + name + " takes no value");
      a.switches.insert(name);
      continue;
    }
    bool multi = spec.multi.count(name) > 0;
    if (!multi && !spec.withValue.count(name))
      throw Error("unknown option '" + name + "' (see --help)");
    std::vector<std::string> &vals = a.values[name];
    if (inlineValue) {
      vals.push_back(value);
      continue;
    }
    if (i + 1 >= argc) throw Error("option " + name + " needs a value");
    vals.push_back(argv[++i]);
    // NAME...: take further values up to the next option or graph file.
    while (multi && i + 1 < argc && argv[i + 1][0] != '-' &&
           !looksLikeGraphFile(argv[i + 1]))
      vals.push_back(argv[++i]);
  }
  return a;
}

} // namespace gradc
