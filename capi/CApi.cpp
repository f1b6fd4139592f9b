//===- capi/CApi.cpp - The gradc C API ------------------------------------===//
//
// include/gradc/gradc.h on top of the C++ host API: a gradc_graph wraps a
// CompiledGraph (plus the int64_t shapes C callers read), a gradc_session
// owns the scratch memory of one execution. Every entry point catches
// everything: C and FFI callers get a status and gradc_last_error(), never
// an exception crossing the C boundary.
//
//===----------------------------------------------------------------------===//
#include "gradc/gradc.h"

#include "codegen/EntryStatus.h"
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Derivatives.h"
#include "runtime/GraphFamily.h"
#include "runtime/Tensor.h"

#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

struct gradc_graph {
  /// The graph's code: `owned`, or a member that a gradc_family owns.
  std::unique_ptr<gradc::CompiledGraph> owned;
  const gradc::CompiledGraph *compiled = nullptr;
  std::vector<std::vector<int64_t>> inputShapes, outputShapes;
  std::vector<int> gradIndex; ///< Per input: position in grads, or -1.
};

struct gradc_session {
  const gradc_graph *graph = nullptr;
  /// The fused workspace, overlapping the context + workspace of
  /// forward/backward (so a run ends the retain-graph context).
  gradc::AlignedBuffer scratch;
  uint64_t workspaceOffset = 0;
  /// Where discarded outputs go; allocated on first need.
  std::vector<gradc::AlignedBuffer> discard;
  /// Seed 1 of each scalar output that requires grad (default roots).
  std::vector<gradc::Tensor> ones;
  bool haveContext = false;
};

namespace {

thread_local std::string lastError;

gradc_status fail(gradc_status status, const std::string &message) {
  lastError = message;
  return status;
}

/// Runs \p body, turning every exception into a status and a message.
template <typename Body> gradc_status guarded(Body body) {
  try {
    return body();
  } catch (const gradc::Error &e) {
    return fail(GRADC_ERROR, e.what());
  } catch (const std::bad_alloc &) {
    return fail(GRADC_OUT_OF_MEMORY, "out of memory");
  } catch (const gradc::InternalError &e) {
    return fail(GRADC_ERROR, e.what()); // reads "internal error in ..."
  } catch (const std::exception &e) {
    return fail(GRADC_ERROR, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(GRADC_ERROR, "internal error");
  }
}

gradc_dtype toC(gradc::DType t) {
  switch (t) {
  case gradc::DType::F32: return GRADC_F32;
  case gradc::DType::F64: return GRADC_F64;
  case gradc::DType::I32: return GRADC_I32;
  case gradc::DType::I64: return GRADC_I64;
  case gradc::DType::Bool: return GRADC_BOOL;
  }
  return GRADC_F32;
}

gradc::CompileOptions toCompileOptions(const gradc_options *o,
                                       const std::string &sourceName) {
  gradc::CompileOptions co;
  co.sourceName = sourceName;
  if (!o) return co;
  if (o->size < offsetof(gradc_options, cache_dir) + sizeof(o->cache_dir))
    throw std::invalid_argument(
        "gradc_options.size is too small: initialize the options with "
        "gradc_options_init()");
  if (o->opt_level < 0 || o->opt_level > 3)
    throw std::invalid_argument("opt_level must be 0..3, got " +
                                std::to_string(o->opt_level));
  co.optLevel = o->opt_level;
  if (o->cpu) co.cpu = o->cpu;
  co.useCache = o->use_cache != 0;
  if (o->cache_dir) co.cacheDir = o->cache_dir;
  return co;
}

/// A handle describing `compiled` (owned by the caller of this).
std::unique_ptr<gradc_graph> describeGraph(const gradc::CompiledGraph &compiled) {
  auto handle = std::make_unique<gradc_graph>();
  handle->compiled = &compiled;
  const gradc::ModuleInfo &mi = compiled.info();
  for (const gradc::TensorArg &a : mi.inputs)
    handle->inputShapes.push_back(a.type.shape);
  for (const gradc::TensorArg &a : mi.outputs)
    handle->outputShapes.push_back(a.type.shape);
  handle->gradIndex.assign(mi.inputs.size(), -1);
  for (size_t j = 0; j < mi.gradInputs.size(); ++j)
    handle->gradIndex[mi.gradInputs[j]] = static_cast<int>(j);
  return handle;
}

gradc_status compileGraph(std::unique_ptr<gradc::Graph> g,
                          const gradc::CompileOptions &options,
                          gradc_graph **out) {
  std::unique_ptr<gradc::CompiledGraph> compiled =
      gradc::Compiler(options).compile(*g);
  std::unique_ptr<gradc_graph> handle = describeGraph(*compiled);
  handle->owned = std::move(compiled);
  *out = handle.release();
  return GRADC_OK;
}

void describe(const gradc::TensorArg &a, const std::vector<int64_t> &shape,
              int gradIndex, gradc_tensor_info *info) {
  info->name = a.name.c_str();
  info->dtype = toC(a.type.dtype);
  info->rank = static_cast<int>(shape.size());
  info->shape = shape.data();
  info->numel = a.type.numel();
  info->bytes = static_cast<size_t>(a.type.bytes());
  info->requires_grad = a.requiresGrad ? 1 : 0;
  info->grad_index = gradIndex;
}

/// Input pointers, each checked.
std::vector<const void *> inputPointers(const gradc_graph &g,
                                        const void *const *inputs) {
  const gradc::ModuleInfo &mi = g.compiled->info();
  if (!inputs && !mi.inputs.empty())
    throw std::invalid_argument("inputs is NULL; the graph has " +
                                std::to_string(mi.inputs.size()) + " inputs");
  std::vector<const void *> in(mi.inputs.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!inputs[i])
      throw std::invalid_argument("inputs[" + std::to_string(i) + "] (input '" +
                                  mi.inputs[i].name + "') is NULL");
    in[i] = inputs[i];
  }
  return in;
}

/// Output pointers, with session buffers for discarded outputs.
std::vector<void *> outputPointers(gradc_session &s, void *const *outputs) {
  const gradc::ModuleInfo &mi = s.graph->compiled->info();
  std::vector<void *> out(mi.outputs.size());
  for (size_t k = 0; k < out.size(); ++k) {
    out[k] = outputs ? outputs[k] : nullptr;
    if (out[k]) continue;
    if (s.discard[k].size() == 0 && mi.outputs[k].type.bytes() > 0)
      s.discard[k] = gradc::AlignedBuffer(mi.outputs[k].type.bytes());
    out[k] = s.discard[k].data();
  }
  return out;
}

std::vector<void *> gradPointers(const gradc_graph &g, void *const *grads) {
  std::vector<void *> p(g.compiled->info().gradInputs.size(), nullptr);
  if (grads)
    for (size_t j = 0; j < p.size(); ++j) p[j] = grads[j];
  return p;
}

/// Seed pointers: the default roots for a NULL array, else the caller's,
/// checked against requires_grad. A seeds array whose every entry is NULL
/// names no root: an error, as PyTorch's backward of no tensors is (it
/// used to run and leave every gradient zero). So is gradc_backward
/// (\p backwardOnly) when a NULL array finds no default root.
std::vector<const void *> seedPointers(gradc_session &s,
                                       const void *const *seeds,
                                       bool backwardOnly) {
  const gradc::ModuleInfo &mi = s.graph->compiled->info();
  std::vector<const void *> p(mi.outputs.size(), nullptr);
  bool anyRoot = false;
  for (size_t k = 0; k < p.size(); ++k)
    anyRoot = anyRoot || (seeds ? seeds[k] != nullptr : s.ones[k].numel() == 1);
  if (seeds && !anyRoot)
    throw gradc::Error("no backward root: every entry of seeds is NULL (pass "
                       "seeds = NULL for the default roots, or call "
                       "gradc_forward to run without a backward)");
  if (!seeds && !anyRoot && backwardOnly)
    throw gradc::Error("no backward root: no output is a scalar that "
                       "requires grad; pass a seed for a non-scalar output");
  for (size_t k = 0; k < p.size(); ++k) {
    if (!seeds) {
      if (s.ones[k].numel() == 1) p[k] = s.ones[k].data();
      continue;
    }
    if (seeds[k] && !mi.outputs[k].requiresGrad)
      throw gradc::Error("output '" + mi.outputs[k].name +
                         "' does not require grad and does not have a "
                         "grad_fn, so it cannot be a backward root");
    p[k] = seeds[k];
  }
  return p;
}

template <typename T> T *checked(T *handle, const char *what) {
  if (!handle) throw std::invalid_argument(std::string(what) + " is NULL");
  return handle;
}

/// guarded() for the argument errors thrown above.
template <typename Body> gradc_status call(Body body) {
  return guarded([&]() -> gradc_status {
    try {
      return body();
    } catch (const std::invalid_argument &e) {
      return fail(GRADC_INVALID_ARGUMENT, e.what());
    }
  });
}

} // namespace

namespace {
/// A nonzero status of an entry point (an index out of range) as the
/// error gradc_last_error() reports.
void checkStatus(const gradc_graph &graph, unsigned long long status) {
  if (status) throw gradc::Error(gradc::describeStatus(graph.compiled->info(), status));
}
} // namespace

extern "C" {

const char *gradc_version(void) { return GRADC_VERSION_STRING; }

const char *gradc_last_error(void) { return lastError.c_str(); }

void gradc_options_init(gradc_options *options) {
  if (!options) return;
  std::memset(options, 0, sizeof *options);
  options->size = sizeof *options;
  options->opt_level = gradc::CompileOptions{}.optLevel;
  options->use_cache = 1;
}

gradc_status gradc_compile_file(const char *path, const gradc_options *options,
                                gradc_graph **graph) {
  return call([&] {
    checked(path, "path");
    checked(graph, "graph");
    *graph = nullptr;
    gradc::CompileOptions co = toCompileOptions(options, path);
    return compileGraph(gradc::loadGraphFile(path), co, graph);
  });
}

gradc_status gradc_compile_jvp_file(const char *path, const gradc_options *options,
                                    gradc_graph **graph) {
  return call([&] {
    checked(path, "path");
    checked(graph, "graph");
    *graph = nullptr;
    gradc::CompileOptions co = toCompileOptions(options, path);
    return compileGraph(gradc::buildJvpGraph(*gradc::loadGraphFile(path)), co, graph);
  });
}

gradc_status gradc_compile_string(const char *text, gradc_format format,
                                  const char *name,
                                  const gradc_options *options,
                                  gradc_graph **graph) {
  return call([&] {
    checked(text, "text");
    checked(graph, "graph");
    *graph = nullptr;
    gradc::GraphFormat f;
    // A C caller may pass any int. Read it as one: a load of an
    // out-of-range value as the enum type is undefined behaviour in C++.
    int code = 0;
    static_assert(sizeof code == sizeof format, "gradc_format is an int");
    std::memcpy(&code, &format, sizeof code);
    switch (code) {
    case GRADC_FORMAT_JSON: f = gradc::GraphFormat::Json; break;
    case GRADC_FORMAT_DSL: f = gradc::GraphFormat::Dsl; break;
    case GRADC_FORMAT_IR: f = gradc::GraphFormat::IR; break;
    default:
      throw std::invalid_argument("unknown gradc_format " + std::to_string(code));
    }
    std::string fileName = name ? name : "<string>";
    gradc::CompileOptions co = toCompileOptions(options, fileName);
    return compileGraph(gradc::parseGraphText(text, fileName, f), co, graph);
  });
}

// A graph a family handed out belongs to the family: freeing it is a no-op.
void gradc_graph_free(gradc_graph *graph) {
  if (graph && graph->owned) delete graph;
}

const char *gradc_graph_name(const gradc_graph *graph) {
  return graph ? graph->compiled->info().graphName.c_str() : "";
}

size_t gradc_num_inputs(const gradc_graph *graph) {
  return graph ? graph->compiled->info().inputs.size() : 0;
}

size_t gradc_num_outputs(const gradc_graph *graph) {
  return graph ? graph->compiled->info().outputs.size() : 0;
}

size_t gradc_num_grads(const gradc_graph *graph) {
  return graph ? graph->compiled->info().gradInputs.size() : 0;
}

gradc_status gradc_input_info(const gradc_graph *graph, size_t i,
                              gradc_tensor_info *info) {
  return call([&] {
    checked(graph, "graph");
    checked(info, "info");
    const auto &inputs = graph->compiled->info().inputs;
    if (i >= inputs.size())
      throw std::invalid_argument("input index " + std::to_string(i) +
                                  " is out of range (the graph has " +
                                  std::to_string(inputs.size()) + " inputs)");
    describe(inputs[i], graph->inputShapes[i], graph->gradIndex[i], info);
    return GRADC_OK;
  });
}

gradc_status gradc_output_info(const gradc_graph *graph, size_t k,
                               gradc_tensor_info *info) {
  return call([&] {
    checked(graph, "graph");
    checked(info, "info");
    const auto &outputs = graph->compiled->info().outputs;
    if (k >= outputs.size())
      throw std::invalid_argument("output index " + std::to_string(k) +
                                  " is out of range (the graph has " +
                                  std::to_string(outputs.size()) + " outputs)");
    describe(outputs[k], graph->outputShapes[k], -1, info);
    return GRADC_OK;
  });
}

int gradc_input_index(const gradc_graph *graph, const char *name) {
  return graph && name ? graph->compiled->inputIndex(name) : -1;
}

int gradc_output_index(const gradc_graph *graph, const char *name) {
  return graph && name ? graph->compiled->outputIndex(name) : -1;
}

gradc_status gradc_session_create(const gradc_graph *graph,
                                  gradc_session **session) {
  return call([&] {
    checked(graph, "graph");
    checked(session, "session");
    *session = nullptr;
    const gradc::ModuleInfo &mi = graph->compiled->info();
    auto s = std::make_unique<gradc_session>();
    s->graph = graph;
    s->workspaceOffset = (mi.contextBytes + 63) / 64 * 64;
    s->scratch = gradc::AlignedBuffer(std::max<uint64_t>(
        mi.fusedWorkspaceBytes, s->workspaceOffset + mi.workspaceBytes));
    s->discard.resize(mi.outputs.size());
    for (const gradc::TensorArg &a : mi.outputs) {
      gradc::Tensor one;
      if (a.requiresGrad && a.type.numel() == 1) {
        one = gradc::Tensor(a.type.dtype, a.type.shape);
        one.fill(1);
      }
      s->ones.push_back(std::move(one));
    }
    *session = s.release();
    return GRADC_OK;
  });
}

void gradc_session_free(gradc_session *session) { delete session; }

gradc_status gradc_run(gradc_session *session, const void *const *inputs,
                       void *const *outputs, void *const *grads,
                       const void *const *seeds, unsigned flags) {
  return call([&] {
    gradc_session &s = *checked(session, "session");
    if (flags & ~GRADC_ACCUMULATE)
      throw std::invalid_argument("unknown flags " + std::to_string(flags));
    std::vector<const void *> in = inputPointers(*s.graph, inputs);
    std::vector<void *> out = outputPointers(s, outputs);
    std::vector<void *> g = gradPointers(*s.graph, grads);
    std::vector<const void *> sd = seedPointers(s, seeds, false);
    s.haveContext = false;
    checkStatus(*s.graph, s.graph->compiled->fused()(in.data(), out.data(), g.data(),
                                                     sd.data(), flags & GRADC_ACCUMULATE,
                                                     s.scratch.data()));
    return GRADC_OK;
  });
}

gradc_status gradc_forward(gradc_session *session, const void *const *inputs,
                           void *const *outputs) {
  return call([&] {
    gradc_session &s = *checked(session, "session");
    std::vector<const void *> in = inputPointers(*s.graph, inputs);
    std::vector<void *> out = outputPointers(s, outputs);
    char *scratch = static_cast<char *>(s.scratch.data());
    s.haveContext = false;
    checkStatus(*s.graph, s.graph->compiled->forward()(in.data(), out.data(), scratch,
                                                       scratch + s.workspaceOffset));
    s.haveContext = true;
    return GRADC_OK;
  });
}

gradc_status gradc_backward(gradc_session *session, void *const *grads,
                            const void *const *seeds, unsigned flags) {
  return call([&] {
    gradc_session &s = *checked(session, "session");
    if (flags & ~GRADC_ACCUMULATE)
      throw std::invalid_argument("unknown flags " + std::to_string(flags));
    if (!s.haveContext)
      throw gradc::Error("gradc_backward needs a gradc_forward first (no "
                         "saved context; a gradc_run also ends it)");
    std::vector<void *> g = gradPointers(*s.graph, grads);
    std::vector<const void *> sd = seedPointers(s, seeds, true);
    char *scratch = static_cast<char *>(s.scratch.data());
    checkStatus(*s.graph, s.graph->compiled->backward()(scratch, g.data(), sd.data(),
                                                        flags & GRADC_ACCUMULATE,
                                                        scratch + s.workspaceOffset));
    return GRADC_OK;
  });
}

} // extern "C"

//===--- Graphs with size variables ---------------------------------------===//

struct gradc_family {
  std::unique_ptr<gradc::GraphFamily> family;
  std::vector<std::string> sizeNames;
  /// One handle per binding asked for (the family owns the code).
  std::map<gradc::SizeBinding, std::unique_ptr<gradc_graph>> graphs;
};

gradc_status gradc_family_open(const char *path, const gradc_options *options,
                               gradc_family **family) {
  return call([&] {
    checked(path, "path");
    checked(family, "family");
    *family = nullptr;
    auto f = std::make_unique<gradc_family>();
    f->family = std::make_unique<gradc::GraphFamily>(path, toCompileOptions(options, path));
    f->sizeNames = f->family->signature().sizeNames();
    *family = f.release();
    return GRADC_OK;
  });
}

void gradc_family_free(gradc_family *family) { delete family; }

size_t gradc_family_num_sizes(const gradc_family *family) {
  return family ? family->sizeNames.size() : 0;
}

const char *gradc_family_size_name(const gradc_family *family, size_t i) {
  if (!family || i >= family->sizeNames.size()) return nullptr;
  return family->sizeNames[i].c_str();
}

gradc_status gradc_family_graph(gradc_family *family, size_t n,
                                const char *const *names, const int *ranks,
                                const int64_t *const *shapes, const char *sizes,
                                const gradc_graph **graph) {
  return call([&] {
    checked(family, "family");
    checked(graph, "graph");
    *graph = nullptr;
    if (n && (!names || !ranks || !shapes))
      throw std::invalid_argument("names, ranks and shapes must not be NULL "
                                  "when n is not 0");
    std::map<std::string, gradc::Shape> given;
    for (size_t i = 0; i < n; ++i) {
      if (!names[i])
        throw std::invalid_argument("names[" + std::to_string(i) + "] is NULL");
      if (ranks[i] < 0 || (ranks[i] > 0 && !shapes[i]))
        throw std::invalid_argument("the shape of '" + std::string(names[i]) +
                                    "' (rank " + std::to_string(ranks[i]) +
                                    ") is missing");
      given[names[i]] = gradc::Shape(shapes[i], shapes[i] + ranks[i]);
    }
    // "B=64,T=32", read as the command line's --size reads it.
    std::vector<std::string> items;
    if (sizes) {
      std::string text = sizes;
      for (size_t at = 0; at <= text.size();) {
        size_t comma = text.find(',', at);
        if (comma == std::string::npos) comma = text.size();
        items.push_back(text.substr(at, comma - at));
        at = comma + 1;
      }
    }
    gradc::SizeBinding explicitSizes = gradc::parseSizeAssignments(items);
    gradc::SizeBinding binding = family->family->bind(explicitSizes, given);
    std::unique_ptr<gradc_graph> &slot = family->graphs[binding];
    if (!slot) slot = describeGraph(family->family->member(binding));
    *graph = slot.get();
    return GRADC_OK;
  });
}

size_t gradc_family_compile_count(const gradc_family *family) {
  return family ? family->family->compileCount() : 0;
}
