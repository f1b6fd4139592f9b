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

#include <utime.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

namespace gradc {
namespace {

constexpr char kMagic[8] = {'G', 'R', 'D', 'C', 'O', 'B', 'J', '1'};
constexpr size_t kKeyChars = 64;
constexpr size_t kHashBytes = 32;
constexpr size_t kHeaderBytes = 8 + kKeyChars + 8 + kHashBytes;

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
  auto file = llvm::MemoryBuffer::getFile(entryPath(key), /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) return nullptr; // the usual miss: no such entry
  llvm::StringRef bytes = (*file)->getBuffer();
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
  // Recently used: trim() deletes the entries least recently stored or hit.
  ::utime(entryPath(key).c_str(), nullptr);
  // A copy: object parsers want an aligned buffer of their own, and the
  // file's pages need not stay mapped.
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
  if (llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%%%%%", fd, tmp))
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
  if (!llvm::sys::fs::status(stamp, st) &&
      std::chrono::system_clock::now() - st.getLastModificationTime() <
          std::chrono::seconds(trimIntervalSeconds_))
    return;
  {
    std::ofstream touch(stamp.c_str(), std::ios::app);
  }
  ::utime(stamp.c_str(), nullptr);
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
    if (!llvm::StringRef(it->path()).ends_with(".o-cache")) continue;
    llvm::sys::fs::file_status es;
    if (llvm::sys::fs::status(it->path(), es) ||
        es.type() != llvm::sys::fs::file_type::regular_file)
      continue;
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
