//===- runtime/CompileCache.h - On-disk cache of JIT objects ---*- C++ -*-===//
//
// A content-addressed store of compiled object files, so that compiling the
// same generated code for the same target a second time skips clang and
// LLVM's code generator and only links the stored object (milliseconds
// instead of tens or hundreds of them).
//
// The key is a BLAKE3 hash of everything that decides the object's bytes:
// the generated source, the exact clang -cc1 arguments (target triple, CPU,
// features, -O level), the LLVM and gradc versions and a format number.
// The store is safe to share between processes without locks: an entry is
// written to a private temporary file and renamed into place, so a reader
// sees either no entry or a complete one; every entry carries its key and a
// hash of its payload, so a truncated, foreign or damaged file is treated
// as a miss and replaced by the next store. Only regular files are read:
// a symbolic link, FIFO, device or directory at an entry's path is a miss
// (and is unlinked), never followed, waited on or read without end.
// Temporary files carry their writer's process id; the trim deletes those
// of dead writers and counts the others toward the size bound.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_COMPILECACHE_H
#define GRADC_RUNTIME_COMPILECACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>

namespace gradc {

/// The cache directory used when none is given explicitly:
/// $GRADC_CACHE_DIR if set and non-empty, else $XDG_CACHE_HOME/gradc, else
/// $HOME/.cache/gradc; "" (no cache) if none of these variables is set.
/// GRADC_CACHE_DIR=off (or "0", "none") also yields "".
std::string defaultCacheDirectory();

/// Default bound on a cache directory's entries: 1 GiB.
constexpr uint64_t kDefaultCacheMaxBytes = uint64_t(1) << 30;

/// The size bound of the cache: GRADC_CACHE_MAX_BYTES when set (a byte
/// count like 512M or 2G), else kDefaultCacheMaxBytes. Throws gradc::Error
/// if the variable is malformed.
uint64_t defaultCacheMaxBytes();

/// One cache directory. Stateless apart from its path and size bound: any
/// number of CompileCache objects, threads and processes may use one
/// directory at once.
///
/// The entries are kept under `maxBytes` in total: a store that finds them
/// over it deletes the least recently used ones (oldest modification time;
/// a hit refreshes it) until they take up at most 90% of it, never the
/// entry just stored. Temporary files of writers still alive count toward
/// the bound; those of dead writers (killed mid-store) are deleted.
/// Measuring means listing the directory (about 80 ms
/// for 13,000 entries), so a store does it only if no store did in the last
/// `trimIntervalSeconds` (a stamp file in the directory records when).
class CompileCache {
public:
  /// A cache rooted at \p directory, created (with parents) on first store.
  explicit CompileCache(std::string directory,
                        uint64_t maxBytes = kDefaultCacheMaxBytes,
                        int trimIntervalSeconds = 600);

  /// The root directory.
  const std::string &directory() const { return dir_; }

  /// A key (64 hex digits) for the given parts, which are hashed with their
  /// lengths so that ("ab", "c") and ("a", "bc") differ.
  static std::string makeKey(llvm::ArrayRef<llvm::StringRef> parts);

  /// The entry for \p key, or null if there is none or it fails any check
  /// (not a regular file, wrong magic, key or size, payload hash
  /// mismatch). Never throws and never blocks on what is at the path.
  std::unique_ptr<llvm::MemoryBuffer> load(llvm::StringRef key) const;

  /// Stores \p object under \p key by writing a temporary file next to the
  /// entry and renaming it over the entry. Returns false (and leaves no
  /// temporary file behind) if the directory cannot be written; a cache is
  /// an optimization, so callers carry on either way.
  bool store(llvm::StringRef key, llvm::StringRef object) const;

  /// Deletes the entry for \p key if there is one (a reader that already
  /// opened it keeps its copy).
  void remove(llvm::StringRef key) const;

  /// Path of the entry for \p key: DIR/objects/KK/REST.o-cache, sharded by
  /// the first two hex digits like ccache, to keep directories small.
  std::string entryPath(llvm::StringRef key) const;

private:
  /// Deletes least recently used entries (not \p keep) while the entries
  /// take up more than maxBytes_, unless the last trim was too recent.
  void trim(const std::string &keep) const;

  std::string dir_;
  uint64_t maxBytes_;
  int trimIntervalSeconds_;
};

} // namespace gradc

#endif // GRADC_RUNTIME_COMPILECACHE_H
