//===- tests/mpi/MpiTestUtil.cpp - Helpers of the MPI tests ---------------===//
#include "tests/mpi/MpiTestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace gradc {
namespace mpitest {

int worldRank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int worldSize() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

bool allRanks(bool ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

bool sameOnAllRanks(const Tensor &t) {
  size_t n = static_cast<size_t>(t.type().bytes());
  std::vector<char> root(n);
  if (n) std::memcpy(root.data(), t.data(), n);
  MPI_Bcast(root.data(), static_cast<int>(n), MPI_BYTE, 0, MPI_COMM_WORLD);
  return allRanks(n == 0 || std::memcmp(root.data(), t.data(), n) == 0);
}

const Compiler &testCompiler() {
  static Compiler compiler;
  return compiler;
}

Tensor copyOf(const Tensor &t) {
  Tensor c(t.dtype(), t.shape());
  size_t n = static_cast<size_t>(t.type().bytes());
  if (n) std::memcpy(c.data(), t.data(), n);
  return c;
}

double relativeError(const Tensor &a, const Tensor &b) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    diff = std::max(diff, std::fabs(a.get(i) - b.get(i)));
    scale = std::max(scale, std::fabs(b.get(i)));
  }
  return scale > 0 ? diff / scale : diff;
}

} // namespace mpitest
} // namespace gradc
