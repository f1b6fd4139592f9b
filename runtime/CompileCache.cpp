//===- runtime/CompileCache.cpp - On-disk cache of JIT objects ------------===//
//
// Entry layout (all integers little-endian):
//
//   offset   0  8 bytes   magic "GRDCOBJ1"
//   offset   8  64 bytes  the key, hex
//   offset  72  8 bytes   payload size N
//   offset  80  32 bytes  BLAKE3 of the payload
//   offset 112  N bytes   the object file
//
// The key inside the entry guards against a file landing under the wrong
// name; the size and payload hash catch truncation and damage. Checking
// costs one hash of the object, well under a millisecond.
//
//===----------------------------------------------------------------------===//
#include "runtime/CompileCache.h"

#include "ir/Limits.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace gradc {
namespace {

constexpr char kMagic[8] = {'G', 'R', 'D', 'C', 'O', 'B', 'J', '1'};
constexpr size_t kKeyChars = 64;
constexpr size_t kHashBytes = 32;
constexpr size_t kHeaderBytes = 8 + kKeyChars + 8 + kHashBytes;
/// Larger entries are not read: generated code is bounded by
/// GRADC_MAX_SOURCE_BYTES, and its objects stay far below this.
constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 30;

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool isKey(llvm::StringRef key) {
  return key.size() == kKeyChars &&
         llvm::all_of(key, [](char c) { return llvm::isHexDigit(c); });
}

std::array<uint8_t, kHashBytes> hashBytes(llvm::StringRef bytes) {
  return llvm::BLAKE3::hash<kHashBytes>(llvm::arrayRefFromStringRef(bytes));
}

/// Reads the regular file at \p path whole, or returns false. Anything else
/// at that path is refused before a byte is read: a symbolic link (it might
/// lead to /dev/zero, which never ends), a FIFO (whose open or read would
/// block until a writer comes), a device or a directory. O_NONBLOCK keeps
/// the open itself from waiting on a FIFO; the size bound keeps a huge file
/// from being read at all. Sets \p notRegular if something other than a
/// regular file (or nothing) is there.
bool readRegularFile(const std::string &path, uint64_t maxBytes,
                     std::string &out, bool &notRegular) {
  notRegular = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    // ELOOP: the last component is a symbolic link.
    notRegular = errno == ELOOP;
    return false;
  }
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0;
  if (ok && !S_ISREG(st.st_mode)) {
    notRegular = true;
    ok = false;
  }
  if (ok && static_cast<uint64_t>(st.st_size) > maxBytes) ok = false;
  if (ok) {
    out.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (ok && done < out.size()) {
      ssize_t n = ::read(fd, &out[done], out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok = false; // an error, or shorter than fstat said
      else done += static_cast<size_t>(n);
    }
    // Recently used: trim() deletes the entries least recently stored or
    // hit. Through the descriptor, so it touches the file that was read.
    if (ok) ::futimens(fd, nullptr);
  }
  ::close(fd);
  return ok;
}

/// The process id in a temporary file's name "....o-cache.tmp-PID-XXXX",
/// or 0 if the name has none (written by an older gradc).
long tempFileOwner(llvm::StringRef name) {
  size_t at = name.rfind(".o-cache.tmp-");
  if (at == llvm::StringRef::npos) return 0;
  llvm::StringRef rest = name.drop_front(at + 13);
  long pid = 0;
  if (rest.consumeInteger(10, pid) || !rest.starts_with("-")) return 0;
  return pid;
}

/// Whether the writer of a temporary file is gone: its process no longer
/// exists here, or the file is older than any store takes (which also
/// covers writers on another machine sharing the directory).
bool writerIsGone(llvm::StringRef name, llvm::sys::TimePoint<> modified) {
  if (std::chrono::system_clock::now() - modified > std::chrono::hours(1))
    return true;
  long pid = tempFileOwner(name);
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

} // namespace

std::string defaultCacheDirectory() {
  std::string dir = env("GRADC_CACHE_DIR");
  if (dir == "off" || dir == "0" || dir == "none") return "";
  if (!dir.empty()) return dir;
  std::string xdg = env("XDG_CACHE_HOME");
  if (!xdg.empty()) return xdg + "/gradc";
  std::string home = env("HOME");
  if (!home.empty()) return home + "/.cache/gradc";
  return "";
}

uint64_t defaultCacheMaxBytes() {
  if (env("GRADC_CACHE_MAX_BYTES").empty()) return kDefaultCacheMaxBytes;
  return *envByteCount("GRADC_CACHE_MAX_BYTES");
}

CompileCache::CompileCache(std::string directory, uint64_t maxBytes,
                           int trimIntervalSeconds)
    : dir_(std::move(directory)), maxBytes_(maxBytes),
      trimIntervalSeconds_(trimIntervalSeconds) {}

std::string CompileCache::makeKey(llvm::ArrayRef<llvm::StringRef> parts) {
  llvm::BLAKE3 hasher;
  for (llvm::StringRef part : parts) {
    uint8_t length[8];
    llvm::support::endian::write64le(length, part.size());
    hasher.update(llvm::ArrayRef<uint8_t>(length, 8));
    hasher.update(llvm::arrayRefFromStringRef(part));
  }
  return llvm::toHex(hasher.final<kHashBytes>(), /*LowerCase=*/true);
}

std::string CompileCache::entryPath(llvm::StringRef key) const {
  llvm::SmallString<256> path(dir_);
  llvm::sys::path::append(path, "objects", key.take_front(2),
                          key.drop_front(2) + ".o-cache");
  return std::string(path.str());
}

std::unique_ptr<llvm::MemoryBuffer>
CompileCache::load(llvm::StringRef key) const {
  if (dir_.empty() || !isKey(key)) return nullptr;
  std::string path = entryPath(key);
  std::string entry;
  bool notRegular = false;
  if (!readRegularFile(path, kMaxEntryBytes, entry, notRegular)) {
    // Not a file the cache wrote: out of the way, so that the next store
    // can put an entry there (unlinking a link leaves its target alone).
    if (notRegular) ::unlink(path.c_str());
    return nullptr; // the usual miss: no such entry
  }
  llvm::StringRef bytes = entry;
  if (bytes.size() < kHeaderBytes ||
      bytes.take_front(8) != llvm::StringRef(kMagic, 8) ||
      bytes.substr(8, kKeyChars) != key)
    return nullptr;
  uint64_t size = llvm::support::endian::read64le(bytes.data() + 8 + kKeyChars);
  if (size != bytes.size() - kHeaderBytes) return nullptr;
  llvm::StringRef payload = bytes.drop_front(kHeaderBytes);
  auto want = hashBytes(payload);
  if (std::memcmp(want.data(), bytes.data() + 8 + kKeyChars + 8, kHashBytes))
    return nullptr;
  // A copy: object parsers want an aligned buffer of their own.
  return llvm::MemoryBuffer::getMemBufferCopy(payload, key);
}

bool CompileCache::store(llvm::StringRef key, llvm::StringRef object) const {
  if (dir_.empty() || !isKey(key)) return false;
  std::string path = entryPath(key);
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
    return false;
  std::string header(kHeaderBytes, '\0');
  std::memcpy(&header[0], kMagic, 8);
  std::memcpy(&header[8], key.data(), kKeyChars);
  llvm::support::endian::write64le(&header[8 + kKeyChars], object.size());
  auto hash = hashBytes(object);
  std::memcpy(&header[8 + kKeyChars + 8], hash.data(), kHashBytes);

  // A unique temporary name in the same directory, so rename() is atomic.
  int fd = -1;
  llvm::SmallString<256> tmp;
  // The writer's process id in the name lets trim() tell the temporary
  // file of a writer killed mid-store from one still being written.
  if (llvm::sys::fs::createUniqueFile(
          path + ".tmp-" + std::to_string(::getpid()) + "-%%%%%%%%%%%%", fd,
          tmp))
    return false;
  bool ok;
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << header << object;
    out.close();
    ok = !out.has_error();
    out.clear_error();
  }
  if (ok) ok = !llvm::sys::fs::rename(tmp, path);
  if (!ok) llvm::sys::fs::remove(tmp);
  if (ok) trim(path);
  return ok;
}

void CompileCache::trim(const std::string &keep) const {
  llvm::SmallString<256> stamp(dir_);
  llvm::sys::path::append(stamp, "trim-stamp");
  llvm::sys::fs::file_status st;
  if (!llvm::sys::fs::status(stamp, st, /*follow=*/false) &&
      st.type() == llvm::sys::fs::file_type::regular_file &&
      std::chrono::system_clock::now() - st.getLastModificationTime() <
          std::chrono::seconds(trimIntervalSeconds_))
    return;
  // Created or touched without following a link or waiting on a FIFO; if
  // something else is in the way, it is removed and the trim goes on.
  int fd = ::open(stamp.c_str(),
                  O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  struct stat sst;
  if (fd >= 0 && (::fstat(fd, &sst) != 0 || !S_ISREG(sst.st_mode))) {
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    ::unlink(stamp.c_str());
    fd = ::open(stamp.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  }
  if (fd >= 0) {
    ::futimens(fd, nullptr);
    ::close(fd);
  }
  struct Entry {
    llvm::sys::TimePoint<> used;
    uint64_t size;
    std::string path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  llvm::SmallString<256> objects(dir_);
  llvm::sys::path::append(objects, "objects");
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(objects, ec), end;
       it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = it->path();
    bool isEntry = name.ends_with(".o-cache");
    bool isTemp = !isEntry && name.contains(".o-cache.tmp-");
    if (!isEntry && !isTemp) continue;
    llvm::sys::fs::file_status es;
    // status() of the link itself: a link is no entry and takes no room.
    if (llvm::sys::fs::status(it->path(), es, /*follow=*/false) ||
        es.type() != llvm::sys::fs::file_type::regular_file)
      continue;
    if (isTemp) {
      // Left by a writer killed between create and rename: nobody will
      // rename it, so it goes now. A live writer's file counts toward
      // the bound like an entry but is never deleted here.
      if (writerIsGone(name, es.getLastModificationTime())) {
        llvm::sys::fs::remove(it->path());
        continue;
      }
      total += es.getSize();
      continue;
    }
    entries.push_back({es.getLastModificationTime(), es.getSize(), it->path()});
    total += es.getSize();
  }
  if (total <= maxBytes_) return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.used < b.used; });
  // Down to 90%, so that the next stores do not each list the directory
  // and delete one entry. Another process may delete the same files: a
  // failed remove is only a smaller cache.
  uint64_t target = maxBytes_ - maxBytes_ / 10;
  for (const Entry &e : entries) {
    if (total <= target) break;
    if (e.path == keep) continue;
    llvm::sys::fs::remove(e.path);
    total -= e.size;
  }
}

void CompileCache::remove(llvm::StringRef key) const {
  if (!dir_.empty() && isKey(key)) llvm::sys::fs::remove(entryPath(key));
}

} // namespace gradc
