//===- tests/ops/OpCoverageTest.cpp - Every op has tests and docs ---------===//
#include "OpCases.h"

#include "frontend/Decompositions.h"
#include "frontend/DslParser.h"
#include "frontend/DslWriter.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <set>
#include <sstream>

using namespace gradc;
using namespace gradc::test;

// --- coverage of the op list --------------------------------------------
//
// Every op a user can write must have, besides its row in ir/Ops.def: a
// finite-difference case above, a PyTorch mapping in tests/torch/
// gradc_torch.py (the random cross-checks), a row in docs/ops.md, and a
// DSL round trip (a graph of its case, written as DSL and read back, is
// the same IR). The test names what is missing, op by op.

namespace {

std::string readSource(const std::string &rel) {
  std::ifstream f(std::string(GRADC_SOURCE_DIR) + "/" + rel);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// The keys of the OPS table of the PyTorch reference.
std::set<std::string> torchMappings() {
  std::string py = readSource("tests/torch/gradc_torch.py");
  size_t from = py.find("\nOPS = {"), to = py.find("\n}\n", from);
  std::set<std::string> r;
  if (from == std::string::npos || to == std::string::npos) return r;
  std::string body = py.substr(from, to - from);
  std::regex key("\"([a-z_0-9]+)\":");
  for (std::sregex_iterator it(body.begin(), body.end(), key), end; it != end; ++it)
    r.insert((*it)[1]);
  return r;
}

/// Op names in the first column of the tables of docs/ops.md (`sin`,
/// `cos` or `lt le gt ge eq ne` name several).
std::set<std::string> documentedOps() {
  std::istringstream md(readSource("docs/ops.md"));
  std::set<std::string> r;
  std::string line;
  std::regex word("[a-z_0-9]+");
  while (std::getline(md, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::string first = line.substr(1, line.find('|', 1) - 1);
    size_t a = first.find('`'), b = first.find('`', a + 1);
    while (a != std::string::npos && b != std::string::npos) {
      std::string inside = first.substr(a + 1, b - a - 1);
      // Only the op name before any "(...)" of a signature.
      inside = inside.substr(0, inside.find('('));
      for (std::sregex_iterator it(inside.begin(), inside.end(), word), end; it != end; ++it)
        r.insert(it->str());
      a = first.find('`', b + 1);
      b = a == std::string::npos ? a : first.find('`', a + 1);
    }
  }
  return r;
}

TEST(OpCoverage, EveryUserOpHasTestsAndDocs) {
  std::set<std::string> fd, dsl, viaDsl;
  for (const OpCaseRow &row : opCases()) {
    Case c(DType::F64, 1);
    row.build(c);
    std::unique_ptr<Graph> g = c.finish();
    std::set<std::string> used;
    for (const auto &n : g->nodes()) used.insert(n->info().name);
    fd.insert(used.begin(), used.end());
    std::string text = writeDslGraph(*g);
    std::unique_ptr<Graph> back = parseDslGraph(text, "case.grad");
    // The writer spells a composite as its primitives, so the result's
    // grad_fn (Node::gradFn) is the one thing that cannot come back.
    for (const auto &n : g->nodes()) n->gradFn.clear();
    if (printGraph(*back) == printGraph(*g))
      dsl.insert(used.begin(), used.end());
    else
      ADD_FAILURE() << "case '" << row.name << "' does not round-trip through "
                    << "the DSL:\n" << text;
  }
  std::set<std::string> torch = torchMappings(), docs = documentedOps();
  ASSERT_FALSE(torch.empty()) << "no OPS table in tests/torch/gradc_torch.py";
  ASSERT_FALSE(docs.empty()) << "no op tables in docs/ops.md";
  // A composite never reaches the IR: its finite-difference case carries
  // its name, and its DSL call must build the graph its JSON node builds.
  std::vector<std::string> ops = userOpNames();
  for (const Decomposition &d : decompositions()) {
    ops.push_back(d.name);
    for (const OpCaseRow &row : opCases())
      if (row.name == std::string(d.name)) fd.insert(d.name);
    std::string json = "{\"name\": \"c\", \"inputs\": [", program, args, ins;
    // Every operand, optional ones included, as [2, 3] ones; batch_norm's
    // per-channel tensors as [3].
    for (int i = 0; i < d.arity; ++i) {
      std::string x = "x" + std::to_string(i);
      // cross_entropy's target holds class indices, [2] of i64; its weight
      // and batch_norm's per-channel tensors are [3].
      bool classes = std::string(d.name) == "cross_entropy";
      bool labels = classes && i == 1;
      bool perChannel = (std::string(d.name) == "batch_norm" && i > 0) ||
                        (classes && i == 2);
      json += std::string(i ? ", " : "") + "{\"name\": \"" + x +
              "\", \"dtype\": \"" + (labels ? "i64" : "f64") +
              "\", \"shape\": " +
              (labels ? "[2]" : perChannel ? "[3]" : "[2, 3]") +
              ", \"init\": \"ones\"}";
      program += x + (labels       ? " = ones(2, dtype=int64)\n"
                      : perChannel ? " = ones(3, dtype=float64)\n"
                                   : " = ones(2, 3, dtype=float64)\n");
      args += (i ? ", " : "") + x;
      ins += std::string(i ? ", " : "") + "\"" + x + "\"";
    }
    json += "], \"nodes\": [{\"name\": \"y\", \"op\": \"" + std::string(d.name) +
            "\", \"inputs\": [" + ins + "]}], \"outputs\": [\"y\"]}";
    program += "y = " + std::string(d.name) + "(" + args + ")\nreturn y\n";
    try {
      if (printGraph(*loadJsonGraph(json, "c.json")) ==
          printGraph(*parseDslGraph(program, "c.grad")))
        viaDsl.insert(d.name);
    } catch (const gradc::Error &e) {
      ADD_FAILURE() << "composite '" << d.name << "': " << e.what();
    }
  }
  dsl.insert(viaDsl.begin(), viaDsl.end());
  for (const std::string &op : ops) {
    std::string missing;
    if (!fd.count(op)) missing += " a finite-difference case (tests/ops/OpCases.cpp),";
    if (!torch.count(op)) missing += " a PyTorch mapping (tests/torch/gradc_torch.py OPS),";
    if (!docs.count(op)) missing += " a row in docs/ops.md,";
    if (!dsl.count(op)) missing += " a DSL round trip (through its finite-difference case),";
    EXPECT_TRUE(missing.empty()) << "op '" << op << "' lacks" << missing;
  }
}

} // namespace
