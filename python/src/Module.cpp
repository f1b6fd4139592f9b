//===- python/src/Module.cpp - The gradc._gradc extension module ----------===//
//
// Binds the host API for Python: compiling a graph (a file, or JSON text
// that gradc/__init__.py makes from a dict) and the PyGraph methods. The
// pure-Python package (gradc/__init__.py) wraps this into gradc.compile().
// gradc::Error becomes gradc.Error, a ValueError subclass, with gradc's
// message unchanged.
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "python/src/PyGraph.h"
#include "runtime/Compiler.h"

#include <pybind11/stl.h>

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
           [](const PyCompiler &c, const std::string &path) {
             return compileGraph(c, gradc::loadGraphFile(path));
           },
           py::arg("path"), "Loads and compiles a .json/.grad/.gir file.")
      .def("compile_text",
           [](const PyCompiler &c, const std::string &text,
              const std::string &format, const std::string &name) {
             return compileGraph(
                 c, gradc::parseGraphText(text, name, parseFormat(format)));
           },
           py::arg("text"), py::arg("format") = "json",
           py::arg("name") = "<string>",
           "Compiles graph text in memory (format: json, grad or gir).");

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
