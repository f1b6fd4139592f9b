//===- frontend/JsonLoader.h - Reads graphs in the JSON format -*- C++ -*-===//
//
// Reads the JSON graph format of DESIGN.md ("JSON graph format") into IR,
// building every node through GraphBuilder so that a graph written in JSON
// and the same graph written in the DSL lower to identical IR.
//
// Names. A node name of the exact form "%" followed by digits ("%3") denotes
// an unnamed IR temporary: the node is built with an empty name, but other
// nodes of the same file may still refer to it by that spelling. This is how
// writeJsonGraph (JsonWriter.h) expresses temporaries, and the numbers it
// uses are the ones `gradc dump --emit ir` prints. So that every IR user name
// stays expressible, a name of two or more '%' followed by digits is an
// escaped user name: one '%' is dropped on load ("%%5" is the user name
// "%5", "%%%5" is "%%5"). Every other string is a user name as written.
//
// Order. Node inputs normally name earlier inputs/nodes. A reference to a
// node defined later is allowed: the nodes are then built in a stable
// topological order (file order among nodes that are ready); a cycle is an
// error that lists the nodes on it.
//
// Errors. Every problem is a gradc::Error whose message names the file, the
// JSON path and the node, e.g.
//   g.json: nodes[2] ("t"): mul: shapes [2, 3] and [4] cannot be broadcast together
//   g.json: inputs[0] ("x").shape: expected a list of non-negative integers
// and malformed JSON is reported as "g.json:3:14: error: ...".
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_JSONLOADER_H
#define GRADC_FRONTEND_JSONLOADER_H

#include "ir/Graph.h"
#include "ir/SizeVars.h"

#include <memory>
#include <string>

namespace gradc {

/// Parses a graph in the JSON format. Throws gradc::Error on any bad input.
/// `fileName` prefixes every message; the graph is named after its stem when
/// the file has no top-level "name". Size variables in input shapes
/// (`"shape": ["B", 784]`) take their values from what `bind` returns for
/// the file's signature; one left unbound is an error naming its JSON path.
std::unique_ptr<Graph> loadJsonGraph(const std::string &text,
                                     const std::string &fileName,
                                     const SizeBinder &bind = nullptr);

/// The declared input shapes of a JSON graph, size variables unresolved.
/// Malformed entries are skipped: loadJsonGraph reports them.
GraphSignature jsonGraphSignature(const std::string &text,
                                  const std::string &fileName);

/// Deepest bracket nesting the loader accepts; deeper text is rejected
/// before parsing, because the JSON library recurses on nesting.
constexpr int kMaxJsonNesting = 512;

/// True if `jsonName` denotes an unnamed temporary: "%" and one or more
/// digits, nothing else.
bool isJsonTemporaryName(const std::string &jsonName);

/// The IR name a JSON name stands for: "" for a temporary, the name with one
/// '%' dropped for an escaped user name ("%%5" -> "%5"), else the name.
std::string irNameFromJson(const std::string &jsonName);

/// The JSON spelling of a non-empty IR user name; the inverse of
/// irNameFromJson (adds a '%' to names of the form "%...%<digits>").
std::string jsonNameFromIR(const std::string &irName);

} // namespace gradc

#endif // GRADC_FRONTEND_JSONLOADER_H
