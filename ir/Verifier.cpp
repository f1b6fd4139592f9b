//===- ir/Verifier.cpp - Structural checks of a graph ---------------------===//
#include "ir/Verifier.h"

#include "ir/Error.h"

#include <unordered_map>
#include <unordered_set>

namespace gradc {

void verifyGraph(const Graph &g) {
  auto fail = [&](const Node *n, const std::string &msg) {
    throw Error("IR verifier: " +
                (n ? "node '" + n->displayName() + "' (" + n->info().name +
                         "): "
                   : std::string()) +
                msg);
  };
  std::unordered_set<const Node *> defined;
  std::unordered_set<int> ids;
  std::unordered_set<std::string> names;
  std::unordered_map<std::string, const Node *> seedOf;
  bool pastInputs = false;
  for (const auto &np : g.nodes()) {
    const Node *n = np.get();
    if (!ids.insert(n->id).second) fail(n, "duplicate id");
    if (!n->name.empty() && !names.insert(n->name).second)
      fail(n, "the name is used twice");
    if (n->op == OpKind::Input) {
      if (pastInputs) fail(n, "inputs must precede all other nodes");
      if (n->name.empty()) fail(n, "an input needs a name");
    } else {
      pastInputs = true;
    }
    for (const Node *o : n->operands)
      if (!defined.count(o))
        fail(n, "an operand is used before it is defined");
    const OpInfo &info = n->info();
    int arity = static_cast<int>(n->operands.size());
    if (arity < info.minArity || (info.maxArity >= 0 && arity > info.maxArity))
      fail(n, "wrong number of operands");
    if (info.infer) {
      std::vector<TensorType> in;
      for (const Node *o : n->operands) in.push_back(o->type);
      AttrMap attrs = n->attrs;
      TensorType t;
      try {
        t = info.infer(in, attrs);
      } catch (const Error &e) {
        fail(n, e.what());
      }
      if (t != n->type)
        fail(n, "type " + n->type.str() + " differs from the inferred " +
                    t.str());
    }
    if (n->op == OpKind::Seed) {
      std::string of = getString(n->attrs, "output", "");
      if (!seedOf.emplace(of, n).second)
        fail(n, "second seed for output '" + of + "'");
    }
    defined.insert(n);
  }
  std::unordered_set<std::string> outNames;
  for (const auto &o : g.outputs()) {
    if (!defined.count(o.node))
      fail(nullptr, "output '" + o.name + "' refers to a node not in the graph");
    if (!outNames.insert(o.name).second)
      fail(nullptr, "output '" + o.name + "' is declared twice");
  }
  for (const auto &kv : seedOf) {
    if (!outNames.count(kv.first))
      fail(kv.second, "seed of '" + kv.first + "', which is not an output");
    for (const auto &o : g.outputs())
      if (o.name == kv.first && o.node->type != kv.second->type)
        fail(kv.second, "seed type differs from the output's type");
  }
  std::unordered_set<const Node *> gradInputs;
  for (const auto &r : g.gradients()) {
    if (!defined.count(r.input) || !defined.count(r.value))
      fail(nullptr, "a gradient refers to a node not in the graph");
    if (r.input->op != OpKind::Input)
      fail(r.input, "gradient of a node that is not an input");
    if (!gradInputs.insert(r.input).second)
      fail(r.input, "two gradients for one input");
    if (r.value->type != r.input->type)
      fail(r.value, "gradient type " + r.value->type.str() +
                        " differs from the input's " + r.input->type.str());
  }
}

} // namespace gradc
