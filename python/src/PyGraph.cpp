//===- python/src/PyGraph.cpp - A compiled graph for Python ---------------===//
#include "python/src/PyGraph.h"

#include "codegen/EntryStatus.h"

#include "ir/Error.h"
#include "ir/Limits.h"
#include "python/src/Arrays.h"
#include "runtime/InputInit.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace gradc::python {

/// Sets busy_ for the duration of a call (checked and set with the GIL
/// held). Generated code runs with the GIL released, so another thread may
/// call into the same graph meanwhile: it is refused instead of racing on
/// the buffers.
class PyGraph::Busy {
public:
  explicit Busy(PyGraph &g) : g_(g) {
    if (g_.busy_)
      throw Error("this compiled graph is already running (a graph is used "
                  "by one thread at a time: compile one per thread)");
    g_.busy_ = true;
  }
  ~Busy() { g_.busy_ = false; }

private:
  PyGraph &g_;
};

/// Every byte the graph's buffers need, checked against the memory cap
/// before anything is allocated (as runtime/Session.cpp does).
static const ModuleInfo &checkBytes(const CompiledGraph &g) {
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
                " of buffers, more than the memory limit of " +
                formatBytes(g.maxBytes()) +
                " (set GRADC_MAX_BYTES to raise it)");
  return mi;
}

PyGraph::PyGraph(std::unique_ptr<CompiledGraph> compiled)
    : compiled_(std::move(compiled)), info_(checkBytes(*compiled_)),
      fusedWs_(info_.fusedWorkspaceBytes), ctx_(info_.contextBytes),
      ws_(info_.workspaceBytes) {
  for (const TensorArg &a : info_.inputs) {
    const Node *n = compiled_->sourceGraph().findNode(a.name);
    if (n && hasInit(*n)) {
      try {
        inputs_.push_back(arrayFromTensor(materializeInit(*n)));
      } catch (const Error &e) {
        throw Error("input '" + a.name + "': " + e.what());
      }
      inputSet_.push_back(true);
    } else {
      inputs_.push_back(emptyArray(a.type));
      inputSet_.push_back(false);
    }
    inputNames_.emplace_back(a.name);
  }
  for (const TensorArg &a : info_.outputs) {
    outputNames_.emplace_back(a.name);
    if (a.type.numel() == 1) {
      Tensor one(a.type.dtype, a.type.shape);
      one.fill(1);
      ones_.push_back(arrayFromTensor(one));
    } else {
      ones_.emplace_back();
    }
  }
  gradSlot_.assign(info_.inputs.size(), -1);
  for (size_t j = 0; j < info_.gradInputs.size(); ++j) {
    const TensorType &t = info_.inputs[info_.gradInputs[j]].type;
    py::array g = emptyArray(t);
    if (g.nbytes() > 0) std::memset(g.mutable_data(), 0, g.nbytes());
    grads_.push_back(g);
    gradValid_.push_back(false);
    gradSlot_[info_.gradInputs[j]] = static_cast<int>(j);
  }
  inPtrs_.resize(inputs_.size());
  outPtrs_.resize(info_.outputs.size());
  outArrays_.resize(info_.outputs.size());
  gradPtrs_.resize(grads_.size());
  seedPtrs_.resize(info_.outputs.size());
  seedArrays_.resize(info_.outputs.size());
}

int PyGraph::inputIndexOrThrow(const std::string &name) const {
  int i = compiled_->inputIndex(name);
  if (i < 0) throw Error("the graph has no input named '" + name + "'");
  return i;
}

int PyGraph::gradSlot(int input) const { return gradSlot_[input]; }

void PyGraph::takeInputs(py::handle inputs) {
  if (inputs.is_none()) return;
  if (!py::isinstance<py::dict>(inputs))
    throw Error("inputs must be a dict of input name -> array");
  for (auto kv : py::reinterpret_borrow<py::dict>(inputs)) {
    if (!py::isinstance<py::str>(kv.first))
      throw Error("inputs: keys must be input names (str)");
    std::string name = kv.first.cast<std::string>();
    int i = inputIndexOrThrow(name);
    inputs_[i] = asTensorArray(kv.second, info_.inputs[i].type,
                               "input '" + name + "'");
    inputSet_[i] = true;
  }
}

void PyGraph::checkInputsSet() const {
  for (size_t i = 0; i < inputs_.size(); ++i)
    if (!inputSet_[i])
      throw Error("input '" + info_.inputs[i].name +
                  "' has no value: pass it in inputs= or declare an init");
}

/// The names in `backward` (a str or a sequence of str).
static std::vector<std::string> rootNames(py::handle backward) {
  std::vector<std::string> names;
  if (py::isinstance<py::str>(backward)) {
    names.push_back(backward.cast<std::string>());
    return names;
  }
  if (!py::isinstance<py::sequence>(backward))
    throw Error("backward must be a list of output names");
  try {
    for (py::handle h : py::reinterpret_borrow<py::sequence>(backward)) {
      if (!py::isinstance<py::str>(h))
        throw Error("backward must be a list of output names (str)");
      names.push_back(h.cast<std::string>());
    }
  } catch (py::error_already_set &) {
    // A sequence that fails to iterate (a 0-d array): the same message.
    throw Error("backward must be a list of output names");
  }
  return names;
}

void PyGraph::takeRoots(py::handle backward, py::handle seeds,
                        bool seededOnly) {
  std::fill(seedPtrs_.begin(), seedPtrs_.end(), nullptr);
  for (py::array &a : seedArrays_) a = py::array();
  if (!seeds.is_none() && !py::isinstance<py::dict>(seeds))
    throw Error("seeds must be a dict of output name -> array");
  py::dict seedDict = seeds.is_none() ? py::dict()
                                      : py::reinterpret_borrow<py::dict>(seeds);
  std::vector<std::string> names;
  if (backward.is_none()) {
    // run(): as `gradc run` without --backward, every scalar output that
    // requires grad, plus every seeded output. backward(seeds=...): the
    // seeded outputs only, as torch.autograd.backward(tensors, grads).
    bool implicit = !seededOnly || seedDict.empty();
    for (size_t k = 0; k < info_.outputs.size(); ++k) {
      const TensorArg &o = info_.outputs[k];
      if ((implicit && o.requiresGrad && o.type.numel() == 1) ||
          seedDict.contains(outputNames_[k]))
        names.push_back(o.name);
    }
    for (auto kv : seedDict)
      if (!py::isinstance<py::str>(kv.first) ||
          compiled_->outputIndex(kv.first.cast<std::string>()) < 0)
        throw Error("seeds: the graph has no output named '" +
                    py::str(kv.first).cast<std::string>() + "'");
  } else {
    names = rootNames(backward);
    for (auto kv : seedDict) {
      std::string n = py::str(kv.first).cast<std::string>();
      if (std::find(names.begin(), names.end(), n) == names.end())
        throw Error("a seed is given for '" + n +
                    "', which is not among the backward roots");
    }
  }
  for (const std::string &n : names) {
    int k = compiled_->outputIndex(n);
    if (k < 0) throw Error("the graph has no output named '" + n + "'");
    const TensorArg &o = info_.outputs[k];
    if (!o.requiresGrad)
      throw Error("output '" + n + "' does not require grad and does not "
                  "have a grad_fn, so it cannot be a backward root");
    if (seedPtrs_[k]) throw Error("output '" + n + "' is a root twice");
    PyObject *s = PyDict_GetItem(seedDict.ptr(), outputNames_[k].ptr());
    py::handle seed = s ? py::handle(s) : py::handle(Py_None);
    if (seed.is_none()) {
      if (o.type.numel() != 1)
        throw Error("grad can be implicitly created only for scalar outputs "
                    "(output '" + n + "' has shape " +
                    shapeToString(o.type.shape) + "; pass a seed)");
      seedPtrs_[k] = ones_[k].data();
      continue;
    }
    seedArrays_[k] = asTensorArray(seed, o.type, "the seed of '" + n + "'");
    seedPtrs_[k] = seedArrays_[k].data();
  }
}

py::dict PyGraph::newOutputs() {
  py::dict out;
  for (size_t k = 0; k < info_.outputs.size(); ++k) {
    outArrays_[k] = emptyArray(info_.outputs[k].type);
    outPtrs_[k] = outArrays_[k].mutable_data();
    out[outputNames_[k]] = outArrays_[k];
  }
  return out;
}

RunResult PyGraph::run(py::handle inputs, py::handle seeds,
                       py::handle backward, bool accumulate) {
  Busy busy(*this);
  takeInputs(inputs);
  checkInputsSet();
  takeRoots(backward, seeds, false);
  bool anyRoot = std::any_of(seedPtrs_.begin(), seedPtrs_.end(),
                             [](const void *p) { return p != nullptr; });
  for (size_t j = 0; j < grads_.size(); ++j) {
    // A None .grad is assigned even when accumulating: zero it first.
    if (accumulate && anyRoot && !gradValid_[j])
      std::memset(grads_[j].mutable_data(), 0, grads_[j].nbytes());
    // Without roots the gradients are not touched.
    gradPtrs_[j] = anyRoot ? grads_[j].mutable_data() : nullptr;
  }
  for (size_t i = 0; i < inputs_.size(); ++i) inPtrs_[i] = inputs_[i].data();
  RunResult r;
  r.outputs = newOutputs();
  unsigned long long status = 0;
  {
    // Other Python threads may run meanwhile; this graph stays busy_.
    py::gil_scoped_release release;
    status = compiled_->fused()(inPtrs_.data(), outPtrs_.data(), gradPtrs_.data(),
                                seedPtrs_.data(), accumulate ? kFlagAccumulate : 0,
                                fusedWs_.data());
  }
  checkStatus(status);
  // The forward/backward context is not touched by the fused call, but a
  // later backward() must follow a forward() of the current inputs.
  haveContext_ = false;
  if (anyRoot)
    for (size_t j = 0; j < gradValid_.size(); ++j) gradValid_[j] = true;
  for (size_t j = 0; j < grads_.size(); ++j)
    if (gradValid_[j]) r.grads[inputNames_[info_.gradInputs[j]]] = grads_[j];
  for (py::array &a : seedArrays_) a = py::array();
  return r;
}

py::dict PyGraph::forward(py::handle inputs) {
  Busy busy(*this);
  takeInputs(inputs);
  checkInputsSet();
  for (size_t i = 0; i < inputs_.size(); ++i) inPtrs_[i] = inputs_[i].data();
  py::dict out = newOutputs();
  unsigned long long status = 0;
  haveContext_ = false;
  {
    py::gil_scoped_release release;
    status = compiled_->forward()(inPtrs_.data(), outPtrs_.data(), ctx_.data(),
                                  ws_.data());
  }
  checkStatus(status);
  haveContext_ = true;
  return out;
}

void PyGraph::backward(py::handle outputs, py::handle seeds) {
  Busy busy(*this);
  if (!haveContext_)
    throw Error("backward() needs a forward() first (no saved context; "
                "run() does not keep one)");
  takeRoots(outputs, seeds, true);
  // PyTorch: a None .grad is assigned, an existing one is added to. Zero
  // the None ones and accumulate into all, so one call serves both.
  for (size_t j = 0; j < grads_.size(); ++j) {
    if (!gradValid_[j])
      std::memset(grads_[j].mutable_data(), 0, grads_[j].nbytes());
    gradPtrs_[j] = grads_[j].mutable_data();
  }
  unsigned long long status = 0;
  {
    py::gil_scoped_release release;
    status = compiled_->backward()(ctx_.data(), gradPtrs_.data(), seedPtrs_.data(),
                                   kFlagAccumulate, ws_.data());
  }
  checkStatus(status);
  for (size_t j = 0; j < gradValid_.size(); ++j) gradValid_[j] = true;
  for (py::array &a : seedArrays_) a = py::array();
}

void PyGraph::setInputs(py::handle inputs) {
  Busy busy(*this);
  takeInputs(inputs);
}

py::array PyGraph::input(const std::string &name) const {
  return inputs_[inputIndexOrThrow(name)];
}

py::object PyGraph::grad(const std::string &name) const {
  int j = gradSlot(inputIndexOrThrow(name));
  if (j < 0 || !gradValid_[j]) return py::none();
  return grads_[j];
}

void PyGraph::setGrad(const std::string &name, py::handle value) {
  Busy busy(*this);
  int i = inputIndexOrThrow(name);
  int j = gradSlot(i);
  if (j < 0) {
    if (value.is_none()) return; // already None, as in PyTorch
    throw Error("input '" + name + "' does not require grad, so it has no "
                ".grad to set");
  }
  if (value.is_none()) {
    gradValid_[j] = false;
    return;
  }
  copyInto(grads_[j], value, info_.inputs[i].type,
           "the .grad of '" + name + "'");
  gradValid_[j] = true;
}

py::dict PyGraph::grads() const {
  py::dict d;
  for (size_t j = 0; j < grads_.size(); ++j)
    if (gradValid_[j]) d[inputNames_[info_.gradInputs[j]]] = grads_[j];
  return d;
}

void PyGraph::zeroGrad(bool setToNone) {
  Busy busy(*this);
  for (size_t j = 0; j < grads_.size(); ++j) {
    if (setToNone) {
      gradValid_[j] = false;
    } else {
      std::memset(grads_[j].mutable_data(), 0, grads_[j].nbytes());
      gradValid_[j] = true;
    }
  }
}

std::vector<double> PyGraph::timeFused(py::handle backward, py::handle seeds,
                                       bool accumulate, int iters) {
  Busy busy(*this);
  if (iters < 1) throw Error("iters must be at least 1");
  checkInputsSet();
  takeRoots(backward, seeds, false);
  for (size_t i = 0; i < inputs_.size(); ++i) inPtrs_[i] = inputs_[i].data();
  for (size_t j = 0; j < grads_.size(); ++j) gradPtrs_[j] = grads_[j].mutable_data();
  newOutputs();
  std::vector<double> ns(static_cast<size_t>(iters));
  FusedFn fn = compiled_->fused();
  unsigned long long flags = accumulate ? kFlagAccumulate : 0, status = 0;
  {
    py::gil_scoped_release release;
    for (double &t : ns) {
      auto t0 = std::chrono::steady_clock::now();
      status |= fn(inPtrs_.data(), outPtrs_.data(), gradPtrs_.data(),
                   seedPtrs_.data(), flags, fusedWs_.data());
      auto t1 = std::chrono::steady_clock::now();
      t = std::chrono::duration<double, std::nano>(t1 - t0).count();
    }
  }
  checkStatus(status);
  for (size_t j = 0; j < gradValid_.size(); ++j) gradValid_[j] = true;
  haveContext_ = false;
  return ns;
}

void PyGraph::checkStatus(unsigned long long status) const {
  // An index out of range: the compiled code stayed in bounds and the
  // status says where (codegen/EntryStatus.h).
  if (status) throw Error(describeStatus(info_, status));
}

static py::list describe(const std::vector<TensorArg> &args, bool outputs) {
  py::list l;
  for (const TensorArg &a : args) {
    py::dict d;
    d["name"] = a.name;
    d["dtype"] = dtypeName(a.type.dtype);
    py::tuple shape(a.type.shape.size());
    for (size_t i = 0; i < a.type.shape.size(); ++i)
      shape[i] = py::int_(a.type.shape[i]);
    d["shape"] = shape;
    d["requires_grad"] = a.requiresGrad;
    if (outputs)
      d["grad_fn"] = a.gradFn.empty() ? py::object(py::none())
                                      : py::object(py::str(a.gradFn));
    l.append(d);
  }
  return l;
}

py::list PyGraph::inputInfo() const { return describe(info_.inputs, false); }
py::list PyGraph::outputInfo() const { return describe(info_.outputs, true); }
const std::string &PyGraph::name() const { return info_.graphName; }

py::dict PyGraph::times() const {
  const CompileTimes &t = compiled_->times();
  py::dict d;
  d["passes_ms"] = t.passesMs;
  d["codegen_ms"] = t.codegenMs;
  d["clang_ms"] = t.clangMs;
  d["jit_ms"] = t.jitMs;
  d["cache_hit"] = t.cacheHit;
  d["instance"] = t.instance;
  d["total_ms"] = t.totalMs();
  return d;
}

} // namespace gradc::python
