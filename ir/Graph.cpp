//===- ir/Graph.cpp - Nodes and graphs ------------------------------------===//
#include "ir/Graph.h"

#include "ir/Error.h"
#include "ir/Limits.h"

#include <algorithm>
#include <unordered_map>

namespace gradc {

std::string Node::displayName() const {
  return name.empty() ? "%" + std::to_string(id) : name;
}

Node *Graph::append(std::unique_ptr<Node> n) {
  checkTensorType(n->type, "the result of '" + std::string(n->info().name) +
                               "'");
  n->id = nextId_++;
  nodes_.push_back(std::move(n));
  if (indexValid_) pendingIndex_.push_back(nodes_.back().get());
  return nodes_.back().get();
}

void Graph::invalidateIndex() const {
  index_.clear();
  pendingIndex_.clear();
  indexValid_ = false;
}

Node *Graph::addInput(const std::string &name, TensorType type,
                      AttrMap attrs) {
  auto n = std::make_unique<Node>();
  n->op = OpKind::Input;
  n->name = name;
  n->type = std::move(type);
  n->attrs = std::move(attrs);
  checkTensorType(n->type, "input '" + name + "'");
  n->id = nextId_++;
  Node *added = n.get();
  if (nodes_.empty() || nodes_.back()->op == OpKind::Input) {
    nodes_.push_back(std::move(n)); // the usual case, in constant time
  } else {
    // Inputs stay grouped at the front so that their order is the ABI order.
    auto pos = std::find_if(nodes_.begin(), nodes_.end(), [](const auto &x) {
      return x->op != OpKind::Input;
    });
    nodes_.insert(pos, std::move(n));
  }
  if (indexValid_) pendingIndex_.push_back(added);
  return added;
}

Node *Graph::addConstant(TensorType type, double value,
                         std::vector<double> data) {
  auto n = std::make_unique<Node>();
  n->op = OpKind::Constant;
  n->type = std::move(type);
  if (data.empty())
    n->attrs["value"] = value;
  else
    n->attrs["data"] = std::move(data);
  return append(std::move(n));
}

Node *Graph::addSeed(const std::string &outputName, TensorType type) {
  auto n = std::make_unique<Node>();
  n->op = OpKind::Seed;
  n->type = std::move(type);
  n->attrs["output"] = outputName;
  return append(std::move(n));
}

Node *Graph::addNode(OpKind op, std::vector<Node *> operands, AttrMap attrs,
                     const std::string &name) {
  const OpInfo &info = opInfo(op);
  if (info.cls == OpClass::Leaf)
    throw Error(std::string("'") + info.name + "' is not an operation");
  int n = static_cast<int>(operands.size());
  if (n < info.minArity || (info.maxArity >= 0 && n > info.maxArity)) {
    std::string want = info.minArity == info.maxArity
                           ? std::to_string(info.minArity)
                       : info.maxArity < 0
                           ? "at least " + std::to_string(info.minArity)
                           : std::to_string(info.minArity) + " to " +
                                 std::to_string(info.maxArity);
    throw Error(std::string(info.name) + " takes " + want + " operand" +
                (want == "1" ? "" : "s") + ", got " + std::to_string(n));
  }
  for (const auto &kv : attrs)
    if (std::find(info.attrs.begin(), info.attrs.end(), kv.first) ==
        info.attrs.end()) {
      std::string allowed;
      for (const auto &a : info.attrs)
        allowed += (allowed.empty() ? "" : ", ") + a;
      throw Error(std::string(info.name) + " has no attribute '" + kv.first +
                  "'" +
                  (allowed.empty() ? " (it takes none)"
                                   : " (it takes: " + allowed + ")"));
    }
  std::vector<TensorType> types;
  for (Node *o : operands) types.push_back(o->type);
  TensorType t;
  AttrMap given = attrs;
  try {
    t = info.infer(types, attrs);
  } catch (const Error &e) {
    std::string msg = e.what();
    if (msg.rfind(info.name, 0) != 0) msg = std::string(info.name) + ": " + msg;
    throw Error(msg);
  }
  auto node = std::make_unique<Node>();
  node->op = op;
  node->name = name;
  node->operands = std::move(operands);
  if (attrs != given) node->written = std::move(given);
  node->attrs = std::move(attrs);
  node->type = std::move(t);
  return append(std::move(node));
}

void Graph::addOutput(const std::string &name, Node *node) {
  outputs_.push_back({name, node});
}

void Graph::addGradient(Node *input, Node *value) {
  grads_.push_back({input, value});
}

std::vector<Node *> Graph::inputs() const {
  std::vector<Node *> r;
  for (const auto &n : nodes_)
    if (n->op == OpKind::Input) r.push_back(n.get());
  return r;
}

std::vector<Node *> Graph::seeds() const {
  std::vector<Node *> r;
  for (const auto &n : nodes_)
    if (n->op == OpKind::Seed) r.push_back(n.get());
  return r;
}

Node *Graph::findNode(const std::string &name) const {
  if (name.empty()) return nullptr;
  if (!indexValid_) {
    // Rebuild in node order, so that the first of duplicate names wins.
    for (const auto &n : nodes_)
      if (!n->name.empty()) index_.emplace(n->name, n.get());
    indexValid_ = true;
  } else {
    for (Node *n : pendingIndex_)
      if (!n->name.empty()) index_.emplace(n->name, n);
  }
  pendingIndex_.clear();
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  if (it->second->name != name) {
    // The node was renamed after it was indexed: start over.
    invalidateIndex();
    return findNode(name);
  }
  return it->second;
}

void Graph::reorder(const std::vector<Node *> &order) {
  std::unordered_map<Node *, size_t> pos;
  for (size_t i = 0; i < order.size(); ++i) pos[order[i]] = i;
  std::stable_sort(nodes_.begin(), nodes_.end(),
                   [&](const auto &a, const auto &b) {
                     return pos.at(a.get()) < pos.at(b.get());
                   });
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>(name_);
  std::unordered_map<const Node *, Node *> map;
  for (const auto &n : nodes_) {
    auto c = std::make_unique<Node>(*n);
    for (Node *&o : c->operands) o = map.at(o);
    map[n.get()] = c.get();
    g->nodes_.push_back(std::move(c));
  }
  for (const auto &o : outputs_) g->outputs_.push_back({o.name, map.at(o.node)});
  for (const auto &r : grads_)
    g->grads_.push_back({map.at(r.input), map.at(r.value)});
  g->nextId_ = nextId_;
  g->invalidateIndex();
  return g;
}

} // namespace gradc
