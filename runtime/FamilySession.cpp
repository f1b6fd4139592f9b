//===- runtime/FamilySession.cpp - A session whose sizes follow its inputs ===//
#include "runtime/FamilySession.h"

#include "ir/Error.h"

#include <cstring>

namespace gradc {

namespace {

/// A copy of `t` (Tensor is move-only: copies are explicit).
Tensor copyOf(const Tensor &t) {
  Tensor r(t.dtype(), t.shape());
  std::memcpy(r.data(), t.data(), static_cast<size_t>(t.type().bytes()));
  return r;
}

} // namespace

void FamilySession::setInput(const std::string &name, const Tensor &value) {
  bool declared = false;
  for (const InputSignature &in : family_.signature().inputs)
    declared |= in.input == name;
  if (!declared) throw Error("the graph has no input named '" + name + "'");
  inputs_.insert_or_assign(name, copyOf(value));
  pending_[name] = true;
}

void FamilySession::setSize(const std::string &name, int64_t value) {
  if (value < 0)
    throw Error("size '" + name + "' must not be negative, got " +
                std::to_string(value));
  explicit_[name] = value;
}

Session &FamilySession::session() const {
  if (!current_) throw Error("the session has not run yet: no sizes are bound");
  return *current_;
}

Session &FamilySession::prepare() {
  std::map<std::string, Shape> shapes;
  for (const auto &kv : inputs_) shapes[kv.first] = kv.second.shape();
  SizeBinding sizes = family_.bind(explicit_, shapes);
  if (!current_ || sizes != sizes_) {
    const CompiledGraph &g = family_.member(sizes);
    std::unique_ptr<Session> &slot = sessions_[sizes];
    if (!slot) slot = std::make_unique<Session>(g);
    Session *next = slot.get();
    if (current_ && next != current_) {
      // Gradients follow the run to its new sizes where their shape is the
      // same (parameters); a gradient whose shape changed is None, as a
      // .grad cannot keep a shape its input no longer has.
      for (const TensorArg &a : g.info().inputs) {
        if (!a.requiresGrad) continue;
        const Tensor *old = current_->grad(a.name);
        if (old && old->type() == a.type) next->setGrad(a.name, *old);
        else next->clearGrad(a.name);
      }
      for (auto &kv : pending_) kv.second = true; // the new session has none
    }
    current_ = next;
    sizes_ = sizes;
  }
  for (auto &kv : pending_) {
    if (!kv.second) continue;
    current_->setInput(kv.first, inputs_.at(kv.first));
    kv.second = false;
  }
  return *current_;
}

void FamilySession::runFused(const std::vector<Root> &roots, bool accumulate) {
  prepare().runFused(roots, accumulate);
}

void FamilySession::forward() { prepare().forward(); }

void FamilySession::backward(const std::vector<Root> &roots) {
  session().backward(roots);
}

const Tensor &FamilySession::output(const std::string &name) const {
  return session().output(name);
}

const Tensor *FamilySession::grad(const std::string &name) const {
  return current_ ? current_->grad(name) : nullptr;
}

void FamilySession::clearGrad(const std::string &name) {
  if (current_) current_->clearGrad(name);
}

void FamilySession::clearGrads() {
  if (current_) current_->clearGrads();
}

} // namespace gradc
