//===- codegen/ParallelBlocks.cpp - Kernel code run over thread blocks ----===//
#include "codegen/ParallelBlocks.h"

namespace gradc {

std::string parallelBlocks(const std::string &id, int64_t blocks,
                           const std::vector<BlockPointer> &pointers,
                           const std::string &body) {
  std::string fields, params, args, init;
  for (size_t i = 0; i < pointers.size(); ++i) {
    const BlockPointer &p = pointers[i];
    fields += p.type + " " + p.name + ";\n";
    // Parameters, because clang honors __restrict__ on parameters (the
    // buffers of distinct tensors never alias), not on local pointers.
    params += p.type + " __restrict__ " + p.name + ", ";
    args += "a->" + p.name + ", ";
    init += (i ? ", " : "") + p.value;
  }
  std::string n = std::to_string(blocks) + "LL";
  return "struct " + id + "_args {\n" + fields + "};\n"
         "struct " + id + " {\n"
         "static inline void blocks(" + params + "long long b0, long long b1) {\n" +
         body + "}\n"
         "static void run(void *args, long long b0, long long b1) {\n"
         "const " + id + "_args *a = (const " + id + "_args *)args;\n"
         "blocks(" + args + "b0, b1);\n}\n};\n" +
         id + "_args " + id + "_a = {" + init + "};\n"
         "if (gradc_parallel_for) gradc_parallel_for(" + id + "::run, &" + id +
         "_a, " + n + ");\nelse " + id + "::run(&" + id + "_a, 0, " + n + ");\n";
}

} // namespace gradc
