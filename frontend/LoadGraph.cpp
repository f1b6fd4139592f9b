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

namespace {

/// The signature of a graph in IR text: numeric shapes only.
GraphSignature irSignature(const Graph &g, const std::string &fileName) {
  GraphSignature sig;
  for (const Node *in : g.inputs()) {
    InputSignature s{in->name, {}, fileName};
    for (int64_t d : in->type.shape) s.dims.push_back(SymDim{d, ""});
    sig.inputs.push_back(std::move(s));
  }
  return sig;
}

} // namespace

std::unique_ptr<Graph> parseGraphText(const std::string &text,
                                      const std::string &fileName,
                                      GraphFormat format, const SizeBinder &bind) {
  switch (format) {
  case GraphFormat::Json:
    return loadJsonGraph(text, fileName, bind);
  case GraphFormat::Dsl:
    return parseDslGraph(text, fileName, bind);
  case GraphFormat::IR: {
    auto g = parseGraph(text, fileName);
    // No size variables to bind; the binder still sees the signature, so
    // that sizes given for a graph without any are reported.
    if (bind) bind(irSignature(*g, fileName));
    verifyGraph(*g);
    return g;
  }
  }
  throw InternalError("frontend", "graph format out of range");
}

std::unique_ptr<Graph> parseGraphText(const std::string &text,
                                      const std::string &fileName,
                                      GraphFormat format,
                                      const SizeBinding &sizes) {
  SizeBinder fixed;
  if (!sizes.empty()) fixed = [&sizes](const GraphSignature &) { return sizes; };
  return parseGraphText(text, fileName, format, fixed);
}

GraphSignature graphTextSignature(const std::string &text,
                                  const std::string &fileName,
                                  GraphFormat format) {
  switch (format) {
  case GraphFormat::Json:
    return jsonGraphSignature(text, fileName);
  case GraphFormat::Dsl:
    return dslGraphSignature(text, fileName);
  case GraphFormat::IR:
    return irSignature(*parseGraph(text, fileName), fileName);
  }
  throw InternalError("frontend", "graph format out of range");
}

std::unique_ptr<Graph> loadGraphFile(const std::string &path, const SizeBinder &bind) {
  GraphFormat f = graphFormatOf(path);
  // A graph file is held whole in memory while it is parsed: no larger
  // than the memory cap, checked before it is read.
  return parseGraphText(readTextFile(path, defaultMaxBytes(), "the graph file"),
                        path, f, bind);
}

std::unique_ptr<Graph> loadGraphFile(const std::string &path,
                                     const SizeBinding &sizes) {
  SizeBinder fixed;
  if (!sizes.empty()) fixed = [&sizes](const GraphSignature &) { return sizes; };
  return loadGraphFile(path, fixed);
}

GraphSignature graphFileSignature(const std::string &path) {
  GraphFormat f = graphFormatOf(path);
  return graphTextSignature(
      readTextFile(path, defaultMaxBytes(), "the graph file"), path, f);
}

std::string writeGraphText(const Graph &g, GraphFormat format,
                           const GraphSignature *sizes) {
  switch (format) {
  case GraphFormat::Json: return writeJsonGraph(g, sizes);
  case GraphFormat::Dsl:
    return writeDslGraph(g, sizes);
  case GraphFormat::IR: return printGraph(g);
  }
  throw InternalError("frontend", "graph format out of range");
}

} // namespace gradc
