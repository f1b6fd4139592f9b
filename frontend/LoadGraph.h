//===- frontend/LoadGraph.h - Reads a graph in any format ------*- C++ -*-===//
#ifndef GRADC_FRONTEND_LOADGRAPH_H
#define GRADC_FRONTEND_LOADGRAPH_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <memory>
#include <string>

namespace gradc {

/// The formats a graph file can be in, chosen by its extension.
enum class GraphFormat { Json, Dsl, IR };

/// The format of `path` by extension: .json, .grad, or .gir (IR text).
/// Throws gradc::Error for any other extension.
GraphFormat graphFormatOf(const std::string &path);

/// Parses graph text in `format`; `fileName` is used in messages. Size
/// variables of input shapes take their values from `sizes` (IR text has
/// none: its shapes are always numbers).
std::unique_ptr<Graph> parseGraphText(const std::string &text,
                                      const std::string &fileName,
                                      GraphFormat format,
                                      const SizeBinding &sizes = {});
/// The same with the sizes chosen by `bind` from the text's signature,
/// read in the same parse (ir/SizeVars.h).
std::unique_ptr<Graph> parseGraphText(const std::string &text,
                                      const std::string &fileName,
                                      GraphFormat format, const SizeBinder &bind);

/// The declared input shapes of graph text, with their size variables.
GraphSignature graphTextSignature(const std::string &text,
                                  const std::string &fileName,
                                  GraphFormat format);

/// Reads and parses a graph file. A file larger than the memory cap
/// (defaultMaxBytes(), GRADC_MAX_BYTES) is refused before it is read; the
/// graph may have at most defaultMaxNodes() nodes (GRADC_MAX_NODES).
std::unique_ptr<Graph> loadGraphFile(const std::string &path,
                                     const SizeBinding &sizes = {});
/// The same with the sizes chosen by `bind` from the file's signature.
std::unique_ptr<Graph> loadGraphFile(const std::string &path, const SizeBinder &bind);

/// The declared input shapes of a graph file, with their size variables
/// (ir/SizeVars.h); bind them, then load the file with the binding.
GraphSignature graphFileSignature(const std::string &path);

/// Writes a source-level graph in `format` (for `gradc convert`); with
/// `sizes`, input shapes as declared there (size variables by name).
std::string writeGraphText(const Graph &g, GraphFormat format,
                           const GraphSignature *sizes = nullptr);

} // namespace gradc

#endif // GRADC_FRONTEND_LOADGRAPH_H
