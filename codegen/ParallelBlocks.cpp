//===- codegen/ParallelBlocks.cpp - Kernel code run over thread blocks ----===//
#include "codegen/ParallelBlocks.h"

#include "codegen/CodeWriter.h"

namespace gradc {

std::string parallelBlocks(const std::string &id, int64_t blocks,
                           const std::vector<BlockPointer> &pointers,
                           const std::string &body, bool pool) {
  std::string params, args, init;
  for (size_t i = 0; i < pointers.size(); ++i) {
    const BlockPointer &p = pointers[i];
    // Parameters, because clang honors __restrict__ on parameters (the
    // buffers of distinct tensors never alias), not on local pointers.
    params += p.type + " __restrict__ " + p.name + ", ";
    args += "a->" + p.name + ", ";
    init += (i ? ", " : "") + p.value;
  }
  std::string n = std::to_string(blocks) + "LL";
  CodeWriter w;
  w.open("struct " + id + "_args");
  for (const BlockPointer &p : pointers) w.line(p.type + " " + p.name + ";");
  w.close(";");
  w.open("struct " + id);
  w.open("static inline void blocks(" + params + "long long b0, long long b1)");
  w.lines(body);
  w.close();
  // The thread pool's entry: one range of blocks, the pointers unpacked.
  w.open("static void run(void *args, long long b0, long long b1)");
  w.line("const " + id + "_args *a = (const " + id + "_args *)args;");
  w.line("blocks(" + args + "b0, b1);");
  w.close();
  w.close(";");
  w.line(id + "_args " + id + "_a = {" + init + "};");
  w.line(std::string("if (") + (pool ? "1" : "0") + " && gradc_parallel_for) gradc_parallel_for(" +
         id + "::run, &" + id + "_a, " + n + ");");
  w.line("else " + id + "::run(&" + id + "_a, 0, " + n + ");");
  return w.str();
}

} // namespace gradc
