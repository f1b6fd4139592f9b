//===- frontend/LoadGraph.cpp - Reads a graph in any format ---------------===//
#include "frontend/LoadGraph.h"

#include "frontend/DslParser.h"
#include "frontend/DslWriter.h"
#include "frontend/JsonLoader.h"
#include "frontend/JsonText.h"
#include "frontend/JsonWriter.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

namespace gradc {

static bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

GraphFormat graphFormatOf(const std::string &path) {
  if (endsWith(path, ".json")) return GraphFormat::Json;
  if (endsWith(path, ".grad")) return GraphFormat::Dsl;
  if (endsWith(path, ".gir")) return GraphFormat::IR;
  throw Error::located(path + ": error: unknown graph format (expected a "
                              ".json, .grad or .gir file)");
}

std::unique_ptr<Graph> parseGraphText(const std::string &text,
                                      const std::string &fileName,
                                      GraphFormat format) {
  switch (format) {
  case GraphFormat::Json:
    return loadJsonGraph(text, fileName);
  case GraphFormat::Dsl:
    return parseDslGraph(text, fileName);
  case GraphFormat::IR: {
    auto g = parseGraph(text, fileName);
    verifyGraph(*g);
    return g;
  }
  }
  throw InternalError("frontend", "graph format out of range");
}

std::unique_ptr<Graph> loadGraphFile(const std::string &path) {
  GraphFormat f = graphFormatOf(path);
  // A graph file is held whole in memory while it is parsed: no larger
  // than the memory cap, checked before it is read.
  return parseGraphText(readTextFile(path, defaultMaxBytes(), "the graph file"),
                        path, f);
}

std::string writeGraphText(const Graph &g, GraphFormat format) {
  switch (format) {
  case GraphFormat::Json: return writeJsonGraph(g);
  case GraphFormat::Dsl:
    return writeDslGraph(g);
  case GraphFormat::IR: return printGraph(g);
  }
  throw InternalError("frontend", "graph format out of range");
}

} // namespace gradc
