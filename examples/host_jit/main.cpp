// host_jit: JIT-compile a graph file and run it from C++.
//
//   host_jit GRAPH
//
// Compiles GRAPH (.json, .grad or .gir) in-process, runs forward and
// backward with PyTorch's semantics, and prints every output and gradient.
// Inputs take their declared init; scalar outputs that require grad are
// the backward roots, seeded with 1, like out.backward() in PyTorch.
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "runtime/Compiler.h"
#include "runtime/Session.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

void print(const std::string &label, const gradc::Tensor &t) {
  std::printf("%s =", label.c_str());
  for (double v : t.toDoubles()) std::printf(" %g", v);
  std::printf("\n");
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: host_jit GRAPH\n");
    return 2;
  }
  try {
    // 1. Load and compile. The Compiler holds the JIT; reuse it for more
    //    graphs. A second compile of the same graph is a cache hit.
    std::unique_ptr<gradc::Graph> graph = gradc::loadGraphFile(argv[1]);
    gradc::CompileOptions options; // -O1, host CPU, compile cache on
    gradc::Compiler compiler(options);
    std::unique_ptr<gradc::CompiledGraph> compiled = compiler.compile(*graph);
    const gradc::ModuleInfo &info = compiled->info();
    std::printf("compiled '%s' in %.1f ms%s\n", info.graphName.c_str(),
                compiled->times().totalMs(),
                compiled->times().cacheHit ? " (from the compile cache)" : "");

    // 2. A Session owns the buffers of one execution: inputs (from their
    //    init), outputs, .grad of each requires_grad input, scratch.
    gradc::Session session(*compiled);
    std::vector<gradc::Root> roots;
    for (const gradc::TensorArg &out : info.outputs)
      if (out.requiresGrad && out.type.numel() == 1) roots.push_back({out.name});

    // 3. Forward, then backward: out.backward(retain_graph=True).
    session.forward();
    for (const gradc::TensorArg &out : info.outputs)
      print(out.name, session.output(out.name));
    session.backward(roots);
    for (size_t i : info.gradInputs) {
      const std::string &name = info.inputs[i].name;
      print(name + ".grad", *session.grad(name));
    }

    // 4. Backward again on the same forward: .grad accumulates.
    session.backward(roots);
    for (size_t i : info.gradInputs) {
      const std::string &name = info.inputs[i].name;
      print(name + ".grad", *session.grad(name));
    }
    return 0;
  } catch (const gradc::Error &e) {
    std::fprintf(stderr, "host_jit: %s\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "host_jit: internal error: %s\n", e.what());
    return 1;
  }
}
