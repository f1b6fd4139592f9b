//===- runtime/Session.cpp - Running a compiled graph ---------------------===//
#include "runtime/Session.h"

#include <cstring>

#include "codegen/EntryStatus.h"
#include "ir/Error.h"
#include "ir/Limits.h"
#include "runtime/InputInit.h"

namespace gradc {

/// Every byte a Session allocates, summed without overflow, checked
/// against the memory cap before the first allocation.
static const CompiledGraph &checkSessionBytes(const CompiledGraph &g) {
  const ModuleInfo &mi = g.info();
  uint64_t total = 0;
  bool overflow = false;
  auto add = [&](uint64_t b) {
    overflow |= total + b < total;
    total += b;
  };
  auto tensor = [](const TensorType &t) {
    auto b = tensorBytesChecked(t);
    return b ? static_cast<uint64_t>(*b) : ~uint64_t(0);
  };
  for (const TensorArg &a : mi.inputs) add(tensor(a.type));
  for (const TensorArg &a : mi.outputs) add(tensor(a.type));
  for (size_t i : mi.gradInputs) add(tensor(mi.inputs[i].type));
  add(mi.fusedWorkspaceBytes);
  add(mi.contextBytes);
  add(mi.workspaceBytes);
  if (overflow || total > g.maxBytes())
    throw Error("running the graph needs " +
                (overflow ? std::string("more than 16 EiB")
                          : formatBytes(total)) +
                " of buffers (inputs, outputs, gradients, context and "
                "workspace), more than the memory limit of " +
                formatBytes(g.maxBytes()) + " (set GRADC_MAX_BYTES to raise it)");
  return g;
}

Session::Session(const CompiledGraph &g)
    : g_(checkSessionBytes(g)), fusedWs_(g.info().fusedWorkspaceBytes),
      ctx_(g.info().contextBytes), ws_(g.info().workspaceBytes) {
  const ModuleInfo &mi = g.info();
  for (const TensorArg &a : mi.inputs) {
    const Node *n = g.sourceGraph().findNode(a.name);
    if (n && hasInit(*n)) {
      try {
        inputs_.push_back(materializeInit(*n));
      } catch (const Error &e) {
        // Say which input, e.g. for an init value an i32 cannot hold.
        std::string msg = e.what();
        if (msg.rfind("input '", 0) != 0) msg = "input '" + a.name + "': " + msg;
        throw Error(msg);
      }
      inputSet_.push_back(true);
    } else {
      inputs_.emplace_back(a.type.dtype, a.type.shape);
      inputSet_.push_back(false);
    }
  }
  for (const TensorArg &a : mi.outputs) {
    outputs_.emplace_back(a.type.dtype, a.type.shape);
    // Implicit seeds exist only for scalar outputs (as in PyTorch).
    if (a.type.numel() == 1) {
      Tensor one(a.type.dtype, a.type.shape);
      one.fill(1);
      ones_.push_back(std::move(one));
    } else {
      ones_.emplace_back();
    }
  }
  for (size_t i : mi.gradInputs) {
    grads_.emplace_back(mi.inputs[i].type.dtype, mi.inputs[i].type.shape);
    gradValid_.push_back(false);
  }
  // Pointer arrays are refilled by every call, never reallocated.
  inPtrs_.reserve(inputs_.size());
  outPtrs_.reserve(outputs_.size());
  gradPtrs_.reserve(grads_.size());
  seedPtrs_.reserve(outputs_.size());
}

void Session::setInput(const std::string &name, const Tensor &value) {
  int i = g_.inputIndex(name);
  if (i < 0) throw Error("the graph has no input named '" + name + "'");
  const TensorType &want = g_.info().inputs[i].type;
  if (value.type() != want)
    throw Error("input '" + name + "' expects " + want.str() + ", got " +
                value.type().str());
  // A byte copy: through double, 64-bit integers would lose their low bits.
  Tensor copy(want.dtype, want.shape);
  if (value.numel() > 0)
    std::memcpy(copy.data(), value.data(),
                static_cast<size_t>(value.numel()) * dtypeSize(want.dtype));
  inputs_[i] = std::move(copy);
  inputSet_[i] = true;
}

const Tensor &Session::input(const std::string &name) const {
  int i = g_.inputIndex(name);
  if (i < 0) throw Error("the graph has no input named '" + name + "'");
  return inputs_[i];
}

const Tensor &Session::output(const std::string &name) const {
  int i = g_.outputIndex(name);
  if (i < 0) throw Error("the graph has no output named '" + name + "'");
  return outputs_[i];
}

const Tensor *Session::grad(const std::string &name) const {
  int i = g_.inputIndex(name);
  if (i < 0) throw Error("the graph has no input named '" + name + "'");
  const auto &gi = g_.info().gradInputs;
  for (size_t j = 0; j < gi.size(); ++j)
    if (gi[j] == static_cast<size_t>(i))
      return gradValid_[j] ? &grads_[j] : nullptr;
  return nullptr; // does not require grad: .grad is None
}

Tensor *Session::mutableGrad(const std::string &name) {
  return const_cast<Tensor *>(static_cast<const Session *>(this)->grad(name));
}

void Session::setGrad(const std::string &name, const Tensor &value) {
  int i = g_.inputIndex(name);
  if (i < 0) throw Error("the graph has no input named '" + name + "'");
  const auto &gi = g_.info().gradInputs;
  for (size_t j = 0; j < gi.size(); ++j) {
    if (gi[j] != static_cast<size_t>(i)) continue;
    if (value.type() != grads_[j].type())
      throw Error("the gradient of '" + name + "' is " + grads_[j].type().str() +
                  ", not " + value.type().str());
    std::memcpy(grads_[j].data(), value.data(),
                static_cast<size_t>(value.type().bytes()));
    gradValid_[j] = true;
    return;
  }
  throw Error("input '" + name + "' does not require grad: it has no .grad");
}

void Session::clearGrad(const std::string &name) {
  int i = g_.inputIndex(name);
  if (i < 0) throw Error("the graph has no input named '" + name + "'");
  const auto &gi = g_.info().gradInputs;
  for (size_t j = 0; j < gi.size(); ++j)
    if (gi[j] == static_cast<size_t>(i)) gradValid_[j] = false;
}

void Session::clearGrads() {
  for (size_t j = 0; j < gradValid_.size(); ++j) gradValid_[j] = false;
}

void Session::checkInputsSet() const {
  for (size_t i = 0; i < inputs_.size(); ++i)
    if (!inputSet_[i])
      throw Error("input '" + g_.info().inputs[i].name +
                  "' has no value: set it or declare an init");
}

const void *const *Session::seedPointers(const std::vector<Root> &roots) {
  const ModuleInfo &mi = g_.info();
  std::vector<const void *> &seeds = seedPtrs_;
  seeds.assign(mi.outputs.size(), nullptr);
  for (const Root &r : roots) {
    int k = g_.outputIndex(r.output);
    if (k < 0) throw Error("the graph has no output named '" + r.output + "'");
    const TensorArg &o = mi.outputs[k];
    if (!o.requiresGrad)
      throw Error("output '" + r.output + "' does not require grad and does "
                  "not have a grad_fn, so it cannot be a backward root");
    if (seeds[k]) throw Error("output '" + r.output + "' is a root twice");
    if (!r.seed) {
      if (o.type.numel() != 1)
        throw Error("grad can be implicitly created only for scalar outputs "
                    "(output '" + r.output + "' has shape " +
                    shapeToString(o.type.shape) + "; pass a seed)");
      seeds[k] = ones_[k].data();
      continue;
    }
    if (r.seed->type() != o.type)
      throw Error("the seed of output '" + r.output + "' must be " +
                  o.type.str() + ", got " + r.seed->type().str());
    seeds[k] = r.seed->data();
  }
  return seeds.data();
}

void Session::fillPointers() {
  inPtrs_.clear();
  for (const Tensor &t : inputs_) inPtrs_.push_back(t.data());
  outPtrs_.clear();
  for (Tensor &t : outputs_) outPtrs_.push_back(t.data());
  gradPtrs_.clear();
  for (Tensor &t : grads_) gradPtrs_.push_back(t.data());
}

void Session::check(unsigned long long status) const {
  // An index out of range: the generated code stayed in bounds and says
  // where (codegen/EntryStatus.h).
  if (status) throw Error(describeStatus(g_.info(), status));
}

void Session::forward() {
  checkInputsSet();
  fillPointers();
  haveContext_ = false;
  check(g_.forward()(inPtrs_.data(), outPtrs_.data(), ctx_.data(), ws_.data()));
  haveContext_ = true;
}

void Session::backward(const std::vector<Root> &roots) {
  if (!haveContext_)
    throw Error("backward() needs a forward() first (no saved context)");
  const void *const *seeds = seedPointers(roots);
  // PyTorch: a None .grad is assigned, an existing one is added to. Zero
  // the None ones and accumulate into all, so one call serves both.
  for (size_t j = 0; j < grads_.size(); ++j)
    if (!gradValid_[j]) grads_[j].fill(0);
  fillPointers();
  check(g_.backward()(ctx_.data(), gradPtrs_.data(), seeds, kFlagAccumulate,
                      ws_.data()));
  for (size_t j = 0; j < gradValid_.size(); ++j) gradValid_[j] = true;
}

void Session::runFused(const std::vector<Root> &roots, bool accumulate) {
  checkInputsSet();
  const void *const *seeds = seedPointers(roots);
  if (accumulate)
    for (size_t j = 0; j < grads_.size(); ++j)
      if (!gradValid_[j]) grads_[j].fill(0);
  fillPointers();
  check(g_.fused()(inPtrs_.data(), outPtrs_.data(), gradPtrs_.data(), seeds,
                   accumulate ? kFlagAccumulate : 0, fusedWs_.data()));
  if (!roots.empty())
    for (size_t j = 0; j < gradValid_.size(); ++j) gradValid_[j] = true;
}

} // namespace gradc
