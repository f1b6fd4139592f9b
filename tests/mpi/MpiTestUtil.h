//===- tests/mpi/MpiTestUtil.h - Helpers of the MPI tests ------*- C++ -*-===//
#ifndef GRADC_TESTS_MPI_MPITESTUTIL_H
#define GRADC_TESTS_MPI_MPITESTUTIL_H

#include "runtime/Compiler.h"
#include "runtime/Tensor.h"

#include <mpi.h>

#include <memory>

namespace gradc {
namespace mpitest {

/// This process's rank and the number of ranks of MPI_COMM_WORLD.
int worldRank();
int worldSize();

/// True on every rank iff `t`'s bytes equal rank 0's (bitwise).
bool sameOnAllRanks(const Tensor &t);

/// True on every rank iff `ok` holds on every rank.
bool allRanks(bool ok);

/// A compiler for the tests (compile cache on: its writes are atomic, so
/// ranks that compile the same graph at once are safe).
const Compiler &testCompiler();

/// A copy of `t` (Tensor itself is move-only).
Tensor copyOf(const Tensor &t);

/// max |a - b| / max |b| over the elements (0 when b is all zeros and
/// a equals it).
double relativeError(const Tensor &a, const Tensor &b);

} // namespace mpitest
} // namespace gradc

#endif // GRADC_TESTS_MPI_MPITESTUTIL_H
