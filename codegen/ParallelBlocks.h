//===- codegen/ParallelBlocks.h - Kernel code run over thread blocks -*- C++ -*-===//
//
// Special ops (convolutions, pooling) whose work splits into independent
// blocks (images, planes) run those blocks through the runtime's thread
// pool. Their code is emitted inside a kernel function, so the block
// function is a static member of a struct local to the kernel, and the
// kernel's buffers reach it through an argument struct.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_CODEGEN_PARALLELBLOCKS_H
#define GRADC_CODEGEN_PARALLELBLOCKS_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gradc {

/// A pointer the block code reads: its C++ type (e.g. "const float *"),
/// the name the block code uses, and the kernel expression it is bound to.
struct BlockPointer {
  std::string type;
  std::string name;
  std::string value;
};

/// Statements that run `body` for the blocks [0, blocks) in ranges
/// [b0, b1), through gradc_parallel_for when the runtime provides it
/// (otherwise directly, one range). `body` may use b0, b1 and the names of
/// `pointers` (as __restrict__ locals), nothing else of the kernel. `id`
/// must be unique within the kernel (the node id does). The blocks are the
/// same for any thread count, so a body that writes only its own blocks'
/// results gives the same bits on any number of threads.
///
/// `pool` false: the blocks run on the calling thread, as one range, even
/// when the runtime has a thread pool (work too small to hand out). The
/// code has the same form either way, the choice a literal in the test
/// (`if (0 && gradc_parallel_for)`): the code of an emitter that chooses
/// by size then differs between sizes in numbers only, which bindings of a
/// graph with size variables share (runtime/CodeTemplate.h).
std::string parallelBlocks(const std::string &id, int64_t blocks,
                           const std::vector<BlockPointer> &pointers,
                           const std::string &body, bool pool = true);

} // namespace gradc

#endif // GRADC_CODEGEN_PARALLELBLOCKS_H
