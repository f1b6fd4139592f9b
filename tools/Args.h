//===- tools/Args.h - Command-line parsing of the gradc driver -*- C++ -*-===//
#ifndef GRADC_TOOLS_ARGS_H
#define GRADC_TOOLS_ARGS_H

#include <map>
#include <set>
#include <string>
#include <vector>

namespace gradc {

/// The options of one subcommand, parsed from argv.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values; ///< --flag VALUE
  std::set<std::string> switches;                         ///< --flag

  bool has(const std::string &f) const {
    return switches.count(f) || values.count(f);
  }
  /// The last value of a flag, or `def`.
  std::string get(const std::string &f, const std::string &def = "") const;
  /// Every value of a flag (a flag may repeat; "a,b" splits). Throws
  /// gradc::Error on an empty name ("", "a,,b").
  std::vector<std::string> all(const std::string &f) const;
};

/// What a subcommand accepts. Flags in `multi` take one or more values
/// (until the next option; a graph file name ends the list).
struct ArgSpec {
  std::set<std::string> withValue;
  std::set<std::string> multi;
  std::set<std::string> switches;
};

/// Parses argv[first..]; "--flag=value" and "--flag value" both work.
/// Throws gradc::Error for an unknown or incomplete option.
Args parseArgs(int argc, char **argv, int first, const ArgSpec &spec);

} // namespace gradc

#endif // GRADC_TOOLS_ARGS_H
