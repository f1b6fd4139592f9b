//===- frontend/GraphBuilder.cpp - Shared lowering of both frontends ------===//
#include "frontend/GraphBuilder.h"

#include "ir/Error.h"
#include "ir/Limits.h"
#include "ir/Verifier.h"

#include <algorithm>

namespace gradc {

GraphBuilder::GraphBuilder(const std::string &graphName)
    : GraphBuilder(graphName, defaultMaxBytes()) {}

GraphBuilder::GraphBuilder(const std::string &graphName,
                           uint64_t maxTensorBytes)
    : graph_(std::make_unique<Graph>(graphName)),
      maxTensorBytes_(maxTensorBytes), maxNodes_(defaultMaxNodes()) {}

void GraphBuilder::checkNodeCount(size_t adding) const {
  if (graph_->nodes().size() + adding > maxNodes_)
    throw Error(tooManyNodesMessage(maxNodes_));
}

void GraphBuilder::checkNewName(const std::string &name) const {
  if (name.empty()) return;
  if (graph_->findNode(name))
    throw Error("the name '" + name + "' is already defined");
}

int64_t GraphBuilder::sizeOf(const std::string &name) const {
  auto it = sizes_.find(name);
  if (it == sizes_.end())
    throw Error("size '" + name + "' is not bound (bind it with --size " + name +
                "=N, or supply this input's value)");
  return it->second;
}

Node *GraphBuilder::addInput(const std::string &name, TensorType type,
                             bool requiresGrad, const InputInit &init) {
  if (name.empty()) throw Error("an input needs a name");
  checkNodeCount(1);
  checkNewName(name);
  checkTensorBytes(type, maxTensorBytes_, "input '" + name + "'");
  if (requiresGrad && !isFloat(type.dtype))
    throw Error("only floating-point inputs can require gradients (input '" +
                name + "' is " + dtypeName(type.dtype) + ")");
  AttrMap attrs;
  if (requiresGrad) attrs["requires_grad"] = true;
  switch (init.kind) {
  case InputInit::None: break;
  case InputInit::Zeros: attrs["init"] = std::string("zeros"); break;
  case InputInit::Ones: attrs["init"] = std::string("ones"); break;
  case InputInit::Value:
    attrs["init"] = std::string("value");
    attrs["init_value"] = init.value;
    break;
  case InputInit::Data:
    if (static_cast<int64_t>(init.data.size()) != type.numel())
      throw Error("init data has " + std::to_string(init.data.size()) +
                  " elements but the shape " + shapeToString(type.shape) +
                  " has " + std::to_string(type.numel()));
    attrs["init"] = std::string("data");
    attrs["init_data"] = init.data;
    break;
  case InputInit::Randn:
  case InputInit::Rand:
    attrs["init"] = std::string(init.kind == InputInit::Randn ? "randn" : "rand");
    attrs["init_seed"] = init.seed;
    break;
  }
  return graph_->addInput(name, std::move(type), std::move(attrs));
}

int64_t defaultDropoutSeed(const std::string &name, size_t position) {
  // FNV-1a over the name (or, for a temporary, the node's position), so
  // that two dropouts of one graph draw different masks, while the same
  // program in JSON and in the DSL gets the same seed.
  uint64_t h = 1469598103934665603ULL;
  std::string key = name.empty() ? "#" + std::to_string(position) : name;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h >> 1); // non-negative, as JSON writes it
}

Node *GraphBuilder::addOp(OpKind op, const std::vector<BuildOperand> &operands,
                          AttrMap attrs, const std::string &name,
                          bool noGrad) {
  // An absent optional tensor is the same as leaving it out, which only
  // trailing optional operands of a primitive may be.
  size_t present = operands.size();
  while (present > 0 && operands[present - 1].absent) --present;
  const OpInfo &info = opInfo(op);
  for (size_t k = 0; k < operands.size(); ++k)
    if (operands[k].absent && (k < present || static_cast<int>(k) <
                                                  info.minArity ||
                               info.minArity == info.maxArity))
      throw Error(std::string(info.name) + " does not accept None (null) as "
                  "operand " + std::to_string(k) +
                  (k < static_cast<size_t>(info.minArity)
                       ? ": it is required"
                       : ": only trailing optional tensors may be absent"));
  if (present < operands.size())
    return addOp(op, std::vector<BuildOperand>(operands.begin(),
                                               operands.begin() + present),
                 std::move(attrs), name, noGrad);
  if (op == OpKind::Dropout && !attrs.count("seed"))
    attrs["seed"] = defaultDropoutSeed(name, graph_->nodes().size());
  size_t literals = 0; // each becomes a constant node
  for (const BuildOperand &o : operands) literals += o.node ? 0 : 1;
  checkNodeCount(1 + literals);
  checkNewName(name);
  DType litType = DType::F32;
  for (const BuildOperand &o : operands)
    if (o.node && o.node->type.dtype != DType::Bool) {
      litType = o.node->type.dtype;
      break;
    }
  std::vector<Node *> nodes;
  std::unordered_set<const Node *> added; // removed again if the op fails
  for (const BuildOperand &o : operands) {
    if (o.node) {
      nodes.push_back(o.node);
      continue;
    }
    Node *c = graph_->addConstant({litType, {}}, o.literal);
    c->noGrad = noGrad;
    nodes.push_back(c);
    added.insert(c);
  }
  try {
    Node *n = graph_->addNode(op, std::move(nodes), std::move(attrs), name);
    added.insert(n);
    n->noGrad = noGrad;
    checkTensorBytes(n->type, maxTensorBytes_,
                     "the result of '" + std::string(n->info().name) + "'");
    return n;
  } catch (...) {
    // A caller that catches the error (a host building graphs in code)
    // keeps the graph as it was: no literal constants of the failed op.
    graph_->removeNodesIf([&](const Node *x) { return added.count(x) != 0; });
    throw;
  }
}

void GraphBuilder::addOutput(const std::string &name) {
  Node *n = graph_->findNode(name);
  if (!n) throw Error("output '" + name + "' is not defined");
  if (!outputNames_.insert(name).second)
    throw Error("output '" + name + "' is listed twice");
  graph_->addOutput(name, n);
}

Node *GraphBuilder::lookup(const std::string &name) const {
  return graph_->findNode(name);
}

std::vector<std::string> GraphBuilder::definedNames() const {
  std::vector<std::string> r;
  for (const auto &n : graph_->nodes())
    if (!n->name.empty()) r.push_back(n->name);
  return r;
}

std::unique_ptr<Graph> GraphBuilder::finish() {
  if (graph_->outputs().empty())
    throw Error("the graph declares no outputs");
  verifyGraph(*graph_);
  return std::move(graph_);
}

InputInit inputInit(const Node &input) {
  InputInit r;
  std::string k = getString(input.attrs, "init", "");
  if (k == "zeros") r.kind = InputInit::Zeros;
  else if (k == "ones") r.kind = InputInit::Ones;
  else if (k == "value") {
    r.kind = InputInit::Value;
    r.value = getFloat(input.attrs, "init_value", 0);
  } else if (k == "data") {
    r.kind = InputInit::Data;
    r.data = getFloats(input.attrs, "init_data");
  } else if (k == "randn" || k == "rand") {
    r.kind = k == "randn" ? InputInit::Randn : InputInit::Rand;
    r.seed = getInt(input.attrs, "init_seed", 0);
  }
  return r;
}

size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closestName(const std::string &name,
                                       const std::vector<std::string> &cands) {
  std::optional<std::string> best;
  // Suggestions are for typos in ordinary names; the distance is quadratic
  // in the lengths, so hostile 10k-character names get none.
  if (name.size() > 256) return best;
  size_t bestD = std::max<size_t>(2, name.size() / 3) + 1;
  for (const std::string &c : cands) {
    size_t gap = c.size() > name.size() ? c.size() - name.size()
                                        : name.size() - c.size();
    if (gap >= bestD) continue; // the distance is at least the length gap
    size_t d = editDistance(name, c);
    // Replacing every character is no longer a typo ('q' is not 'x').
    if (d >= name.size()) continue;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

} // namespace gradc
