//===- runtime/dist/GradAllReducer.cpp - Gradients summed over MPI --------===//
#include "runtime/dist/GradAllReducer.h"

#include "ir/Error.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

namespace gradc {
namespace dist {
namespace {

MPI_Datatype mpiType(DType t) {
  switch (t) {
  case DType::F32:
    return MPI_FLOAT;
  case DType::F64:
    return MPI_DOUBLE;
  case DType::I32:
  case DType::I64:
  case DType::Bool:
    break;
  }
  // Only f32 and f64 inputs can require grad (ir/Types.h), so a gradient
  // of another dtype is a broken invariant, not a user mistake.
  throw Error(std::string("GradAllReducer: internal error: a gradient of dtype ") +
              dtypeName(t));
}

/// dst[i] = src[i] * scale for n elements of type T (src may equal dst).
template <typename T>
void scaleCopy(void *dst, const void *src, size_t n, double scale) {
  T *d = static_cast<T *>(dst);
  const T *s = static_cast<const T *>(src);
  T k = static_cast<T>(scale);
  for (size_t i = 0; i < n; ++i) d[i] = s[i] * k;
}

/// FNV-1a, folded over the layout description: equal on every rank that
/// would plan the same buckets.
void hashInto(uint64_t &h, const void *data, size_t n) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
}

} // namespace

GradAllReducer::GradAllReducer(Session &session, MPI_Comm comm,
                               AllReduceOptions opts)
    : session_(session), opts_(opts) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    throw Error("GradAllReducer: MPI is not initialized (call MPI_Init first)");
  if (opts_.bucketBytes == 0)
    throw Error("GradAllReducer: bucketBytes must be positive");
  // Our own communicator: a message of ours never matches one the program
  // sends on `comm`, and MPI errors come back as codes we turn into
  // exceptions instead of aborting the job.
  if (MPI_Comm_dup(comm, &comm_) != MPI_SUCCESS)
    throw Error("GradAllReducer: MPI_Comm_dup failed");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  try {
    plan(session);
    checkSameLayoutOnAllRanks();
  } catch (...) {
    MPI_Comm_free(&comm_);
    throw;
  }
}

GradAllReducer::~GradAllReducer() {
  if (inFlight_ && !requests_.empty())
    MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(),
                MPI_STATUSES_IGNORE);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void GradAllReducer::plan(const Session &session) {
  const ModuleInfo &mi = session.compiled().info();
  // One open packed bucket per dtype; it is closed when the next gradient
  // would take it past bucketBytes.
  Bucket open[2];
  open[0].dtype = DType::F32;
  open[1].dtype = DType::F64;
  auto close = [&](Bucket &b) {
    if (b.segments.empty()) return;
    buckets_.push_back(b);
    b.segments.clear();
    b.bytes = 0;
  };
  // Reverse input order: the last layers' gradients, which a backward pass
  // completes first, go first.
  for (size_t k = mi.gradInputs.size(); k-- > 0;) {
    const TensorArg &arg = mi.inputs[mi.gradInputs[k]];
    DType dt = arg.type.dtype;
    MPI_Datatype checkType = mpiType(dt); // rejects non-float gradients
    (void)checkType;
    size_t elem = static_cast<size_t>(dtypeSize(dt));
    size_t bytes = static_cast<size_t>(arg.type.bytes());
    if (bytes == 0) continue; // an empty tensor: nothing to send
    // A collective's count is an int: a piece carries at most INT_MAX
    // elements.
    size_t maxPiece = std::max(opts_.bucketBytes / elem, size_t(1));
    maxPiece = std::min(maxPiece, static_cast<size_t>(INT_MAX)) * elem;
    if (bytes >= opts_.inPlaceBytes || bytes > maxPiece) {
      // In place, in pieces of at most a bucket, each its own collective:
      // no copy, and several pieces can be in flight at once.
      for (size_t off = 0; off < bytes; off += maxPiece) {
        Bucket b;
        b.dtype = dt;
        b.inPlace = true;
        b.bytes = std::min(maxPiece, bytes - off);
        b.segments.push_back({arg.name, off, b.bytes});
        buckets_.push_back(b);
      }
      continue;
    }
    Bucket &ob = open[dt == DType::F64 ? 1 : 0];
    if (ob.bytes + bytes > maxPiece) close(ob);
    ob.segments.push_back({arg.name, 0, bytes});
    ob.bytes += bytes;
  }
  close(open[0]);
  close(open[1]);

  // Packed buckets side by side in one staging buffer, each at a 64-byte
  // boundary.
  size_t stage = 0;
  for (Bucket &b : buckets_) {
    if (b.inPlace) continue;
    b.stageOffset = stage;
    stage += (b.bytes + 63) / 64 * 64;
  }
  if (stage) stage_ = AlignedBuffer(stage);
  for (const Bucket &b : buckets_) {
    BucketInfo bi;
    bi.dtype = b.dtype;
    bi.bytes = b.bytes;
    bi.inPlace = b.inPlace;
    for (const Segment &s : b.segments) bi.grads.push_back(s.grad);
    info_.push_back(bi);
    bytes_ += b.bytes;
  }
  requests_.assign(buckets_.size(), MPI_REQUEST_NULL);
  ptrs_.resize(buckets_.size());
}

void GradAllReducer::checkSameLayoutOnAllRanks() {
  // Differing plans would pair collectives of different sizes: a hang or
  // garbage. One hash of everything the plan depends on, compared by its
  // minimum and maximum over the ranks.
  uint64_t h = 1469598103934665603ull;
  for (const Bucket &b : buckets_) {
    int dt = static_cast<int>(b.dtype);
    hashInto(h, &dt, sizeof dt);
    hashInto(h, &b.bytes, sizeof b.bytes);
    hashInto(h, &b.inPlace, sizeof b.inPlace);
    for (const Segment &s : b.segments) {
      hashInto(h, s.grad.data(), s.grad.size() + 1);
      hashInto(h, &s.offset, sizeof s.offset);
    }
  }
  int op = static_cast<int>(opts_.op);
  hashInto(h, &op, sizeof op);
  uint64_t lo = h, hi = h;
  check(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, comm_),
        "MPI_Allreduce (layout check)");
  check(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, comm_),
        "MPI_Allreduce (layout check)");
  if (lo != hi)
    throw Error("GradAllReducer: the ranks disagree on the gradients to reduce "
                "(rank " + std::to_string(rank_) + " has " +
                std::to_string(buckets_.size()) + " buckets of " +
                std::to_string(bytes_) +
                " bytes): every rank must use the same graph and options");
}

void GradAllReducer::check(int rc, const char *what) const {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw Error(std::string("GradAllReducer: ") + what + " failed on rank " +
              std::to_string(rank_) + ": " + std::string(msg, len));
}

void GradAllReducer::collectPointers() {
  // Every check before the first message: a rank that throws here sends
  // nothing, so ranks that all hit the same mistake do not hang.
  for (size_t b = 0; b < buckets_.size(); ++b) {
    ptrs_[b].clear();
    for (const Segment &s : buckets_[b].segments) {
      Tensor *t = session_.mutableGrad(s.grad);
      if (!t)
        throw Error("GradAllReducer: the .grad of input '" + s.grad +
                    "' is None: run backward() or runFused() before reducing");
      ptrs_[b].push_back(static_cast<char *>(t->data()) + s.offset);
    }
  }
}

void *GradAllReducer::bucketData(size_t b) {
  if (buckets_[b].inPlace) return ptrs_[b][0];
  return static_cast<char *>(stage_.data()) + buckets_[b].stageOffset;
}

void GradAllReducer::pack(size_t b) {
  const Bucket &bk = buckets_[b];
  if (bk.inPlace) return;
  char *dst = static_cast<char *>(bucketData(b));
  for (size_t i = 0; i < bk.segments.size(); ++i) {
    std::memcpy(dst, ptrs_[b][i], bk.segments[i].bytes);
    dst += bk.segments[i].bytes;
  }
}

void GradAllReducer::unpack(size_t b) {
  const Bucket &bk = buckets_[b];
  bool mean = opts_.op == ReduceOp::Mean && size_ > 1;
  // 1/p is exact for a power-of-two p; otherwise a product is within an
  // ulp of the quotient and far cheaper than a division per element.
  double scale = 1.0 / size_;
  const char *src = static_cast<const char *>(bucketData(b));
  size_t elem = static_cast<size_t>(dtypeSize(bk.dtype));
  for (size_t i = 0; i < bk.segments.size(); ++i) {
    size_t n = bk.segments[i].bytes;
    char *dst = ptrs_[b][i];
    if (mean) {
      if (bk.dtype == DType::F64)
        scaleCopy<double>(dst, src, n / elem, scale);
      else
        scaleCopy<float>(dst, src, n / elem, scale);
    } else if (!bk.inPlace) {
      std::memcpy(dst, src, n);
    }
    src += n;
  }
}

void GradAllReducer::allReduce() {
  if (inFlight_)
    throw Error("GradAllReducer: allReduce() while a start() is not finished");
  collectPointers();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    pack(b);
    const Bucket &bk = buckets_[b];
    size_t n = bk.bytes / static_cast<size_t>(dtypeSize(bk.dtype));
    check(MPI_Allreduce(MPI_IN_PLACE, bucketData(b), static_cast<int>(n),
                        mpiType(bk.dtype), MPI_SUM, comm_),
          "MPI_Allreduce");
    unpack(b);
  }
}

void GradAllReducer::start() {
  if (inFlight_)
    throw Error("GradAllReducer: start() twice without finish()");
  collectPointers();
  inFlight_ = true;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    // Packing this bucket overlaps the transfer of those already posted;
    // the Testall after each post lets MPI move them along meanwhile.
    pack(b);
    const Bucket &bk = buckets_[b];
    size_t n = bk.bytes / static_cast<size_t>(dtypeSize(bk.dtype));
    check(MPI_Iallreduce(MPI_IN_PLACE, bucketData(b), static_cast<int>(n),
                         mpiType(bk.dtype), MPI_SUM, comm_, &requests_[b]),
          "MPI_Iallreduce");
    test();
  }
}

bool GradAllReducer::test() {
  if (!inFlight_) return true;
  int count = static_cast<int>(requests_.size()), done = 0;
  std::vector<int> idx(requests_.size());
  check(MPI_Testsome(count, requests_.data(), &done, idx.data(),
                     MPI_STATUSES_IGNORE),
        "MPI_Testsome");
  // Buckets unpack as they arrive; MPI_UNDEFINED means none is pending.
  if (done == MPI_UNDEFINED) return true;
  for (int i = 0; i < done; ++i) unpack(static_cast<size_t>(idx[i]));
  for (MPI_Request r : requests_)
    if (r != MPI_REQUEST_NULL) return false;
  return true;
}

void GradAllReducer::finish() {
  if (!inFlight_) throw Error("GradAllReducer: finish() without start()");
  for (;;) {
    int index = MPI_UNDEFINED;
    int rc = MPI_Waitany(static_cast<int>(requests_.size()), requests_.data(),
                         &index, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) inFlight_ = false;
    check(rc, "MPI_Waitany");
    if (index == MPI_UNDEFINED) break;
    unpack(static_cast<size_t>(index));
  }
  inFlight_ = false;
}

} // namespace dist
} // namespace gradc
