//===- python/src/Module.cpp - The gradc._gradc extension module ----------===//
//
// Binds the host API for Python: compiling a graph (a file, or JSON text
// that gradc/__init__.py makes from a dict), its forward-mode graph, full
// Jacobians and Hessians (runtime/Derivatives), and the PyGraph methods. The
// pure-Python package (gradc/__init__.py) wraps this into gradc.compile().
// gradc::Error becomes gradc.Error, a ValueError subclass, with gradc's
// message unchanged.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "python/src/Arrays.h"
#include "python/src/PyGraph.h"
#include "frontend/JsonText.h"
#include "runtime/Compiler.h"
#include "runtime/Derivatives.h"
#include "runtime/SizedCompiler.h"

#include <pybind11/stl.h>

#include <cstring>
#include <map>
#include <memory>

namespace py = pybind11;
using gradc::python::PyGraph;
using gradc::python::RunResult;

namespace {

/// A Compiler (it holds the JIT) created once per option set and passed
/// to every compile by the Python side, which keeps it.
struct PyCompiler {
  std::unique_ptr<gradc::Compiler> compiler;
};

gradc::GraphFormat parseFormat(const std::string &f) {
  if (f == "json") return gradc::GraphFormat::Json;
  if (f == "grad" || f == "dsl") return gradc::GraphFormat::Dsl;
  if (f == "gir" || f == "ir") return gradc::GraphFormat::IR;
  throw gradc::Error("unknown graph format '" + f +
                     "' (expected json, grad or gir)");
}

std::unique_ptr<PyGraph> compileGraph(const PyCompiler &c,
                                      std::unique_ptr<gradc::Graph> g) {
  std::unique_ptr<gradc::CompiledGraph> compiled;
  {
    // Compiling takes milliseconds and touches no Python object.
    py::gil_scoped_release release;
    compiled = c.compiler->compile(*g);
  }
  return std::make_unique<PyGraph>(std::move(compiled));
}

/// A graph from a file path (kind "file") or from text in format `kind`,
/// its size variables bound by `sizes`.
std::unique_ptr<gradc::Graph> loadSource(const std::string &src,
                                         const std::string &kind,
                                         const std::string &name,
                                         const gradc::SizeBinding &sizes = {}) {
  if (kind == "file") return gradc::loadGraphFile(src, sizes);
  return gradc::parseGraphText(src, name, parseFormat(kind), sizes);
}

/// The compiled graphs of a graph with size variables, one per binding,
/// sharing code between bindings (runtime/SizedCompiler.h).
struct PySized {
  std::unique_ptr<gradc::SizedCompiler> sized;
};

/// The declared input shapes of a graph (ir/SizeVars.h), for the Python
/// side's graphs with size variables: it binds sizes through this.
struct PySignature {
  gradc::GraphSignature sig;

  /// Binds every size variable from `explicitSizes` (dict name -> int)
  /// and the shapes of `shapes` (dict input name -> tuple).
  gradc::SizeBinding bind(const gradc::SizeBinding &explicitSizes,
                          const std::map<std::string, gradc::Shape> &shapes) const {
    return gradc::bindSizes(sig, explicitSizes, shapes);
  }
};

/// Input values (a dict name -> array, or None) as tensors of the graph's
/// input types; inputs not given keep their init.
std::map<std::string, gradc::Tensor> inputTensors(const gradc::Graph &g,
                                                  py::handle inputs) {
  std::map<std::string, gradc::Tensor> r;
  if (inputs.is_none()) return r;
  for (auto kv : py::cast<py::dict>(inputs)) {
    std::string name = py::cast<std::string>(kv.first);
    const gradc::Node *in = g.findNode(name);
    if (!in || in->op != gradc::OpKind::Input)
      throw gradc::Error("'" + name + "' is not an input of the graph");
    py::array a = gradc::python::asTensorArray(kv.second, in->type,
                                               "input '" + name + "'");
    gradc::Tensor t(in->type.dtype, in->type.shape);
    std::memcpy(t.data(), a.data(), static_cast<size_t>(a.nbytes()));
    r.emplace(name, std::move(t));
  }
  return r;
}

} // namespace

PYBIND11_MODULE(_gradc, m) {
  m.doc() = "gradc's compiled core; use the gradc package, not this module";
  m.attr("__version__") = GRADC_VERSION_STRING;

  static py::exception<gradc::Error> error(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const gradc::Error &e) {
      error(e.what());
    }
  });

  py::class_<PySized>(m, "SizedCompiler")
      .def(py::init([](const PyCompiler &c, const std::string &src, const std::string &kind,
                       const std::string &name) {
             // A file is read once: every binding parses the same text.
             std::string text = kind == "file"
                                    ? gradc::readTextFile(src, gradc::defaultMaxBytes(),
                                                          "the graph file")
                                    : src;
             gradc::GraphFormat f = kind == "file" ? gradc::graphFormatOf(src) : parseFormat(kind);
             std::string fileName = kind == "file" ? src : name;
             auto p = std::make_unique<PySized>();
             p->sized = std::make_unique<gradc::SizedCompiler>(
                 *c.compiler, [text, f, fileName](const gradc::SizeBinding &sizes) {
                   return gradc::parseGraphText(text, fileName, f, sizes);
                 });
             return p;
           }),
           py::keep_alive<1, 2>(), py::arg("compiler"), py::arg("source"), py::arg("kind"),
           py::arg("name") = "<string>",
           "Compiles a graph with size variables per binding, sharing code between "
           "bindings (kind 'file' or a text format).")
      .def("compile",
           [](PySized &p, const gradc::SizeBinding &sizes) {
             std::unique_ptr<gradc::CompiledGraph> compiled;
             {
               py::gil_scoped_release release;
               compiled = p.sized->compile(sizes);
             }
             return std::make_unique<PyGraph>(std::move(compiled));
           },
           py::arg("sizes"), "The compiled graph of one binding of the sizes.")
      .def_property_readonly("compile_count",
                             [](const PySized &p) { return p.sized->compileCount(); })
      .def_property_readonly("instance_count",
                             [](const PySized &p) { return p.sized->instanceCount(); });

  py::class_<PyCompiler>(m, "Compiler")
      .def(py::init([](int optLevel, bool useCache, const std::string &cacheDir) {
             if (optLevel < 0 || optLevel > 3)
               throw gradc::Error("opt_level must be 0..3, got " +
                                  std::to_string(optLevel));
             gradc::CompileOptions o;
             o.optLevel = optLevel;
             o.useCache = useCache;
             o.cacheDir = cacheDir;
             o.sourceName = "python";
             auto c = std::make_unique<PyCompiler>();
             c->compiler = std::make_unique<gradc::Compiler>(o);
             return c;
           }),
           py::arg("opt_level") = 1, py::arg("use_cache") = true,
           py::arg("cache_dir") = "")
      .def("compile_file",
           [](const PyCompiler &c, const std::string &path,
              const gradc::SizeBinding &sizes) {
             return compileGraph(c, gradc::loadGraphFile(path, sizes));
           },
           py::arg("path"), py::arg("sizes") = gradc::SizeBinding{},
           "Loads and compiles a .json/.grad/.gir file at the given sizes.")
      .def("compile_text",
           [](const PyCompiler &c, const std::string &text,
              const std::string &format, const std::string &name,
              const gradc::SizeBinding &sizes) {
             return compileGraph(
                 c, gradc::parseGraphText(text, name, parseFormat(format), sizes));
           },
           py::arg("text"), py::arg("format") = "json",
           py::arg("name") = "<string>", py::arg("sizes") = gradc::SizeBinding{},
           "Compiles graph text in memory (format: json, grad or gir).")
      .def("compile_jvp",
           [](const PyCompiler &c, const std::string &src,
              const std::string &kind, const std::string &name) {
             return compileGraph(
                 c, gradc::buildJvpGraph(*loadSource(src, kind, name), {}));
           },
           py::arg("source"), py::arg("kind"), py::arg("name") = "<string>",
           "Compiles the forward-mode graph of a file (kind 'file') or of "
           "text (kind json, grad or gir).")
      .def("jacobian",
           [](const PyCompiler &c, const std::string &src, const std::string &kind,
              const std::string &name, const std::string &of,
              const std::string &wrt, py::handle inputs, const std::string &mode) {
             std::unique_ptr<gradc::Graph> g = loadSource(src, kind, name);
             auto values = inputTensors(*g, inputs);
             gradc::JacobianMode m = gradc::parseJacobianMode(mode);
             gradc::Tensor r;
             {
               py::gil_scoped_release release;
               r = gradc::jacobian(*c.compiler, *g, of, wrt, values, m);
             }
             return gradc::python::arrayFromTensor(r);
           },
           py::arg("source"), py::arg("kind"), py::arg("name"), py::arg("of"),
           py::arg("wrt"), py::arg("inputs"), py::arg("mode") = "auto",
           "d OF / d WRT, shaped [*OF.shape, *WRT.shape].")
      .def("hessian",
           [](const PyCompiler &c, const std::string &src, const std::string &kind,
              const std::string &name, const std::string &of,
              const std::string &wrt, py::handle inputs) {
             std::unique_ptr<gradc::Graph> g = loadSource(src, kind, name);
             auto values = inputTensors(*g, inputs);
             gradc::Tensor r;
             {
               py::gil_scoped_release release;
               r = gradc::hessian(*c.compiler, *g, of, wrt, values);
             }
             return gradc::python::arrayFromTensor(r);
           },
           py::arg("source"), py::arg("kind"), py::arg("name"), py::arg("of"),
           py::arg("wrt"), py::arg("inputs"),
           "The Hessian of a one-element OF, shaped [*WRT.shape, *WRT.shape].");

  py::class_<PySignature>(m, "Signature")
      .def(py::init([](const std::string &src, const std::string &kind,
                       const std::string &name) {
             PySignature s;
             s.sig = kind == "file" ? gradc::graphFileSignature(src)
                                    : gradc::graphTextSignature(src, name, parseFormat(kind));
             return s;
           }),
           py::arg("source"), py::arg("kind"), py::arg("name") = "<string>",
           "The declared input shapes of a file (kind 'file') or of text.")
      .def_property_readonly("symbolic",
                             [](const PySignature &s) { return s.sig.symbolic(); })
      .def_property_readonly("size_names",
                             [](const PySignature &s) { return s.sig.sizeNames(); })
      .def("shape_of", [](const PySignature &s, const std::string &input) {
             return s.sig.shapeOf(input);
           })
      .def("bind", &PySignature::bind, py::arg("sizes"), py::arg("shapes"),
           "Binds every size variable; raises gradc.Error on a conflict, a "
           "negative size or an unbound one.");

  py::class_<RunResult>(m, "RunResult")
      .def_readonly("outputs", &RunResult::outputs,
                    "Output name -> a new array")
      .def_readonly("grads", &RunResult::grads,
                    "Input name -> its .grad (the graph's buffer, kept "
                    "across calls)")
      .def("__repr__", [](const RunResult &r) {
        return "RunResult(outputs=" + py::repr(r.outputs).cast<std::string>() +
               ", grads=" + py::repr(r.grads).cast<std::string>() + ")";
      });

  py::class_<PyGraph>(m, "CompiledGraph")
      .def("run", &PyGraph::run, py::arg("inputs") = py::none(),
           py::arg("seeds") = py::none(), py::arg("backward") = py::none(),
           py::arg("accumulate") = false,
           "Forward and backward in one call; see gradc.CompiledGraph.")
      .def("forward", &PyGraph::forward, py::arg("inputs") = py::none(),
           "Forward pass keeping the context for backward() "
           "(retain_graph=True); returns the outputs.")
      .def("backward", &PyGraph::backward, py::arg("outputs") = py::none(),
           py::arg("seeds") = py::none(),
           "Backward on the last forward(); accumulates into .grad.")
      .def("set_inputs", &PyGraph::setInputs, py::arg("inputs"))
      .def("input", &PyGraph::input, py::arg("name"))
      .def("grad", &PyGraph::grad, py::arg("name"))
      .def("set_grad", &PyGraph::setGrad, py::arg("name"), py::arg("value"))
      .def("_grads", &PyGraph::grads)
      .def("zero_grad", &PyGraph::zeroGrad, py::arg("set_to_none") = true)
      .def_property_readonly("inputs", &PyGraph::inputInfo)
      .def_property_readonly("outputs", &PyGraph::outputInfo)
      .def_property_readonly("name", &PyGraph::name)
      .def_property_readonly("cpp_source", &PyGraph::cppSource)
      .def_property_readonly("times", &PyGraph::times)
      .def("_time_fused", &PyGraph::timeFused, py::arg("backward") = py::none(),
           py::arg("seeds") = py::none(), py::arg("accumulate") = false,
           py::arg("iters") = 1000,
           "Per-call nanoseconds of the fused entry point called from C++ "
           "(benchmarks).");
}
