//===- runtime/dist/GradAllReducer.h - Gradients summed over MPI -*- C++ -*-===//
//
// Data-parallel training (PyTorch DDP, Horovod) on gradc: every process
// (rank) of an MPI communicator runs the same compiled step on its shard of
// the batch, then the `.grad` buffers of its Session are all-reduced so each
// rank holds the gradient of the whole batch and takes the same optimizer
// step.
//
//   MPI_Init(&argc, &argv);
//   gradc::Session s(*compiled);
//   gradc::dist::GradAllReducer reducer(s, MPI_COMM_WORLD);  // collective
//   s.runFused({{"loss"}}, false);     // gradient of this rank's shard
//   reducer.allReduce();               // .grad = mean over the ranks
//
// Gradients are grouped into buckets (DDP's term): small gradients of one
// dtype are packed into a staging buffer of about `bucketBytes` and reduced
// by one collective, which saves the per-call latency; a gradient of at
// least `inPlaceBytes` is reduced where it lives, with no copy. Buckets run
// in reverse input order, the order a backward pass finishes them in.
//
// allReduce() makes one blocking MPI_Allreduce per bucket. start() instead
// posts every bucket with MPI_Iallreduce and returns; finish() waits and
// unpacks. Between the two the caller may do host work (prepare the next
// batch), and each bucket's packing overlaps the transfer of the buckets
// before it. With OpenMPI 4.1 on one machine the posted path measured
// slower than allReduce() even with work to hide behind it
// (docs/scaling.md), so allReduce() is the one to use by default.
//
// The reducer is built only when CMake finds MPI (target gradc::mpi).
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_DIST_GRADALLREDUCER_H
#define GRADC_RUNTIME_DIST_GRADALLREDUCER_H

#include "runtime/Session.h"

#include <mpi.h>

#include <cstddef>
#include <string>
#include <vector>

namespace gradc {
namespace dist {

/// How the ranks' gradients are combined.
enum class ReduceOp {
  Sum,  ///< .grad = sum over ranks (each rank's loss is a sum over samples).
  Mean, ///< .grad = sum / ranks (each rank's loss is a mean over its shard).
};

/// Options of a GradAllReducer.
struct AllReduceOptions {
  ReduceOp op = ReduceOp::Mean;
  /// Target size of a bucket of packed small gradients, in bytes; also the
  /// largest piece of an in-place gradient one collective carries.
  size_t bucketBytes = size_t(4) << 20;
  /// Gradients at least this large are reduced in place (no pack/unpack
  /// copy); 0 reduces every gradient in place, one collective each.
  size_t inPlaceBytes = size_t(256) << 10;
};

/// One collective of a reduction: what it carries, for reports and tests.
struct BucketInfo {
  DType dtype = DType::F32;
  std::vector<std::string> grads; ///< Inputs whose .grad it carries.
  size_t bytes = 0;               ///< Bytes reduced by this collective.
  bool inPlace = false;           ///< Reduced in the .grad buffer itself.
};

/// All-reduces the `.grad` buffers of one Session across an MPI
/// communicator. Every rank must build its reducer from the same graph
/// layout and call the same methods in the same order, as with any MPI
/// collective. Not thread-safe; MPI must be initialized first.
class GradAllReducer {
public:
  /// Plans the buckets for `session`'s gradients and duplicates `comm`, so
  /// the reducer's messages never match the caller's. Collective over
  /// `comm`: throws gradc::Error on every rank if the ranks disagree on the
  /// gradients (names, dtypes, sizes) or MPI is not initialized.
  GradAllReducer(Session &session, MPI_Comm comm, AllReduceOptions opts = {});
  /// Waits for a reduction still in flight, then frees the communicator.
  ~GradAllReducer();
  GradAllReducer(const GradAllReducer &) = delete;
  GradAllReducer &operator=(const GradAllReducer &) = delete;

  /// Reduces every gradient with blocking MPI_Allreduce calls, one per
  /// bucket. Throws gradc::Error if a .grad is None (before any message is
  /// sent, so if every rank is in that state none of them hangs).
  void allReduce();
  /// Packs every bucket and posts it with MPI_Iallreduce, then returns.
  /// The .grad buffers must not be read or written until finish().
  void start();
  /// Drives MPI's progress; true once every bucket of start() arrived.
  /// Optional: call it between pieces of other work.
  bool test();
  /// Waits for the buckets of start(), unpacks them and applies the mean.
  void finish();

  /// The collectives one reduction makes, in the order they are posted.
  const std::vector<BucketInfo> &buckets() const { return info_; }
  /// Gradient bytes one reduction carries (the sum over buckets).
  size_t bytes() const { return bytes_; }
  /// This process's rank and the number of ranks of the communicator.
  int rank() const { return rank_; }
  int size() const { return size_; }

private:
  /// One gradient (or a piece of one) inside a bucket.
  struct Segment {
    std::string grad;   ///< Input name, for Session::mutableGrad.
    size_t offset = 0;  ///< Byte offset into the .grad buffer.
    size_t bytes = 0;
  };
  struct Bucket {
    DType dtype = DType::F32;
    bool inPlace = false;
    std::vector<Segment> segments;
    size_t bytes = 0;
    size_t stageOffset = 0; ///< Where a packed bucket lives in stage_.
  };

  void plan(const Session &session);
  void checkSameLayoutOnAllRanks();
  /// The .grad buffers of every segment, checked to be present.
  void collectPointers();
  /// The buffer a bucket is reduced in.
  void *bucketData(size_t b);
  void pack(size_t b);
  void unpack(size_t b);
  /// Runs an MPI call's result check; `what` names the call.
  void check(int rc, const char *what) const;

  Session &session_;
  AllReduceOptions opts_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::vector<Bucket> buckets_;
  std::vector<BucketInfo> info_;
  size_t bytes_ = 0;
  AlignedBuffer stage_; ///< Packed buckets, side by side.
  /// Per segment of every bucket (flattened), its .grad data this call.
  std::vector<std::vector<char *>> ptrs_;
  std::vector<MPI_Request> requests_;
  bool inFlight_ = false;
};

} // namespace dist
} // namespace gradc

#endif // GRADC_RUNTIME_DIST_GRADALLREDUCER_H
