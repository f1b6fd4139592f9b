//===- tests/aot/CompileCacheTest.cpp - The on-disk compile cache ---------===//
//
// Hits and misses of runtime/CompileCache through the JIT and the Compiler:
// a second compile of the same source is a hit that runs the same code;
// any change of source or options is a miss; damaged, truncated or foreign
// entries are ignored and replaced; an unusable directory only disables
// caching; threads sharing a directory all get working code. (Several
// processes at once: tests/aot/cache_processes.sh.)
//
//===----------------------------------------------------------------------===//
#include "frontend/LoadGraph.h"
#include "runtime/CompileCache.h"
#include "runtime/Jit.h"
#include "runtime/Session.h"

#include "ir/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace gradc;

namespace {

const char *const kSource = R"cpp(
extern "C" int affine(int x) { return 3 * x + 4; }
)cpp";

/// A fresh empty directory under the test temp dir, removed at the end.
class TempDir {
public:
  TempDir() {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("gradc-cache-test", path))
      ADD_FAILURE() << "cannot create a temporary directory";
    path_ = std::string(path.str());
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path_); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

/// Every cache entry (regular file named *.o-cache) below \p dir: what
/// the cache keeps, without its trim stamp.
std::vector<std::string> filesBelow(const std::string &dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end;
       it != end && !ec; it.increment(ec))
    if (it->type() == llvm::sys::fs::file_type::regular_file &&
        llvm::StringRef(it->path()).ends_with(".o-cache"))
      files.push_back(it->path());
  return files;
}

std::string readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

/// Compiles with a cache in \p dir through \p compile (given the Jit);
/// checks affine(2) == \p want and returns whether it was a cache hit.
template <typename CompileFn>
bool compileWith(const std::string &dir, int optLevel, int want, CompileFn compile) {
  JitOptions options;
  options.cacheDir = dir;
  options.optLevel = optLevel;
  auto jit = Jit::create(options);
  if (!jit) {
    ADD_FAILURE() << llvm::toString(jit.takeError());
    return false;
  }
  llvm::Expected<std::unique_ptr<JitModule>> module = compile(**jit);
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError());
    return false;
  }
  auto fn = (*module)->lookupFunction<int(int)>("affine");
  if (!fn) {
    ADD_FAILURE() << llvm::toString(fn.takeError());
    return false;
  }
  EXPECT_EQ((*fn)(2), want);
  return (*module)->stats().cacheHit;
}

/// Compiles kSource (or \p source) with a cache in \p dir; checks the code
/// runs and returns whether it was a cache hit.
bool compileAndRun(const std::string &dir, int optLevel = 3,
                   const char *source = kSource, int want = 10) {
  return compileWith(dir, optLevel, want,
                     [&](Jit &jit) { return jit.compile(source, "affine"); });
}

TEST(CompileCache, SecondCompileIsAHit) {
  TempDir dir;
  EXPECT_FALSE(compileAndRun(dir.path()));
  std::vector<std::string> files = filesBelow(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].find("/objects/"), std::string::npos) << files[0];
  EXPECT_TRUE(compileAndRun(dir.path()));
  EXPECT_TRUE(compileAndRun(dir.path()));
  EXPECT_EQ(filesBelow(dir.path()).size(), 1u);
}

TEST(CompileCache, OptionsAndSourceAreInTheKey) {
  TempDir dir;
  EXPECT_FALSE(compileAndRun(dir.path(), 3));
  EXPECT_FALSE(compileAndRun(dir.path(), 0)); // another -O level
  EXPECT_TRUE(compileAndRun(dir.path(), 0));
  const char *other = "extern \"C\" int affine(int x) { return 3 * x + 5; }";
  EXPECT_FALSE(compileAndRun(dir.path(), 3, other, 11));
  EXPECT_TRUE(compileAndRun(dir.path(), 3, other, 11));
  EXPECT_TRUE(compileAndRun(dir.path(), 3)); // the first is still there
  EXPECT_EQ(filesBelow(dir.path()).size(), 3u);
}

TEST(CompileCache, NoCacheDirectoryMeansNoCache) {
  EXPECT_FALSE(compileAndRun(""));
  EXPECT_FALSE(compileAndRun(""));
}

TEST(CompileCache, KeysHashPartsWithTheirLengths) {
  std::string ab = CompileCache::makeKey({"ab", "c"});
  EXPECT_EQ(ab.size(), 64u);
  EXPECT_NE(ab, CompileCache::makeKey({"a", "bc"}));
  EXPECT_EQ(ab, CompileCache::makeKey({"ab", "c"}));
}

TEST(CompileCache, StoreAndLoad) {
  TempDir dir;
  CompileCache cache(dir.path());
  std::string key = CompileCache::makeKey({"object"});
  EXPECT_EQ(cache.load(key), nullptr);
  std::string payload("\x7f" "ELF with a \0 inside", 20);
  ASSERT_TRUE(cache.store(key, payload));
  auto loaded = cache.load(key);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->getBuffer(), payload);
  // Not a key: refused rather than turned into a path.
  EXPECT_FALSE(cache.store("../../etc/passwd", payload));
  EXPECT_EQ(cache.load("../../etc/passwd"), nullptr);
  cache.remove(key);
  EXPECT_EQ(cache.load(key), nullptr);
}

/// Each way of damaging an entry, applied to a good one.
struct Damage {
  const char *name;
  std::string (*apply)(const std::string &entry);
};

TEST(CompileCache, DamagedEntriesAreIgnoredAndReplaced) {
  const Damage damages[] = {
      {"empty", [](const std::string &) { return std::string(); }},
      {"truncated",
       [](const std::string &e) { return e.substr(0, e.size() / 2); }},
      {"header only", [](const std::string &e) { return e.substr(0, 112); }},
      {"flipped payload byte",
       [](const std::string &e) {
         std::string d = e;
         d[d.size() - 7] ^= 0x55;
         return d;
       }},
      {"bad magic",
       [](const std::string &e) {
         std::string d = e;
         d[0] = 'X';
         return d;
       }},
      {"garbage", [](const std::string &e) { return std::string(e.size(), 'g'); }},
      {"appended bytes", [](const std::string &e) { return e + "extra"; }},
  };
  for (const Damage &damage : damages) {
    SCOPED_TRACE(damage.name);
    TempDir dir;
    EXPECT_FALSE(compileAndRun(dir.path()));
    std::vector<std::string> files = filesBelow(dir.path());
    ASSERT_EQ(files.size(), 1u);
    std::string good = readFile(files[0]);
    writeFile(files[0], damage.apply(good));
    EXPECT_FALSE(compileAndRun(dir.path())) << "a damaged entry was used";
    // The miss stored a good entry again, which the next compile uses.
    EXPECT_EQ(readFile(files[0]), good);
    EXPECT_TRUE(compileAndRun(dir.path()));
  }
}

TEST(CompileCache, EntryUnderAnotherKeyIsIgnored) {
  TempDir dir;
  EXPECT_FALSE(compileAndRun(dir.path(), 3));
  std::string first = filesBelow(dir.path())[0];
  EXPECT_FALSE(compileAndRun(dir.path(), 0));
  std::string second;
  for (const std::string &f : filesBelow(dir.path()))
    if (f != first) second = f;
  ASSERT_FALSE(second.empty());
  // The -O3 object under the -O0 name: its embedded key does not match.
  writeFile(second, readFile(first));
  EXPECT_FALSE(compileAndRun(dir.path(), 0));
  EXPECT_TRUE(compileAndRun(dir.path(), 0));
}

TEST(CompileCache, UnwritableDirectoryOnlyDisablesCaching) {
  TempDir dir;
  // A regular file where the cache directory should be.
  std::string notADir = dir.path() + "/file";
  writeFile(notADir, "x");
  EXPECT_FALSE(compileAndRun(notADir));
  EXPECT_FALSE(compileAndRun(notADir));
  EXPECT_EQ(readFile(notADir), "x");
}

TEST(CompileCache, ThreadsSharingADirectory) {
  TempDir dir;
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int round = 0; round < 2; ++round) compileAndRun(dir.path());
    });
  for (std::thread &t : threads) t.join();
  std::vector<std::string> files = filesBelow(dir.path());
  ASSERT_EQ(files.size(), 1u) << "temporary files were left behind";
  EXPECT_TRUE(compileAndRun(dir.path()));
}

TEST(CompileCache, CompilerCachesWholeGraphs) {
  TempDir dir;
  auto g = loadGraphFile(GRADC_SOURCE_DIR "/examples/seed.json");
  CompileOptions options;
  options.cacheDir = dir.path();
  Compiler compiler(options);
  auto first = compiler.compile(*g);
  auto second = compiler.compile(*g);
  EXPECT_FALSE(first->times().cacheHit);
  EXPECT_TRUE(second->times().cacheHit);
  EXPECT_EQ(first->cppSource(), second->cppSource());
  for (const CompiledGraph *cg : {first.get(), second.get()}) {
    Session s(*cg);
    s.runFused({{"out"}}, false);
    EXPECT_FLOAT_EQ(static_cast<float>(s.output("out").get(0)), 27.0f);
    EXPECT_FLOAT_EQ(static_cast<float>(s.grad("x")->get(3)), 4.5f);
  }
  options.useCache = false;
  Compiler uncached(options);
  EXPECT_FALSE(uncached.compile(*g)->times().cacheHit);
}

TEST(CompileCache, DefaultDirectoryFollowsTheEnvironment) {
  // Restores both variables whatever happens.
  struct Restore {
    std::string name, value;
    bool had;
    explicit Restore(const char *n) : name(n) {
      const char *v = std::getenv(n);
      had = v != nullptr;
      if (had) value = v;
    }
    ~Restore() {
      if (had)
        setenv(name.c_str(), value.c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  } restoreCache("GRADC_CACHE_DIR"), restoreXdg("XDG_CACHE_HOME");
  setenv("GRADC_CACHE_DIR", "/some/where", 1);
  EXPECT_EQ(defaultCacheDirectory(), "/some/where");
  setenv("GRADC_CACHE_DIR", "off", 1);
  EXPECT_EQ(defaultCacheDirectory(), "");
  setenv("GRADC_CACHE_DIR", "", 1);
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(defaultCacheDirectory(), "/xdg/gradc");
}

} // namespace

namespace {

/// Sets the modification time of \p path to \p secondsAgo before now.
void age(const std::string &path, int secondsAgo) {
  auto when = std::chrono::system_clock::now() - std::chrono::seconds(secondsAgo);
  int fd = -1;
  ASSERT_FALSE(llvm::sys::fs::openFileForWrite(path, fd, llvm::sys::fs::CD_OpenExisting,
                                               llvm::sys::fs::OF_Append));
  EXPECT_FALSE(llvm::sys::fs::setLastAccessAndModificationTime(
      fd, std::chrono::time_point_cast<std::chrono::nanoseconds>(when)));
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
}

TEST(CompileCache, LeastRecentlyUsedEntriesGoBeyondTheBound) {
  TempDir dir;
  std::string payload(1000, 'x');
  // Room for three entries of ~1.1 KB: a fourth store trims to 90%
  // (every store may trim here: no minimum interval).
  CompileCache cache(dir.path(), 3500, /*trimIntervalSeconds=*/0);
  std::vector<std::string> keys;
  for (int i = 0; i < 3; ++i) {
    keys.push_back(CompileCache::makeKey({"entry", std::to_string(i)}));
    ASSERT_TRUE(cache.store(keys.back(), payload));
    age(cache.entryPath(keys.back()), 100 - i); // entry 0 is the oldest
  }
  // A hit makes entry 0 the most recently used.
  ASSERT_NE(cache.load(keys[0]), nullptr);
  keys.push_back(CompileCache::makeKey({"entry", "3"}));
  ASSERT_TRUE(cache.store(keys[3], payload));
  // Over the bound: entry 1 (the least recently used) goes, then entry 2,
  // until at most 90% of 3500 bytes are left; entry 0 and the new one stay.
  EXPECT_NE(cache.load(keys[0]), nullptr);
  EXPECT_EQ(cache.load(keys[1]), nullptr);
  EXPECT_EQ(cache.load(keys[2]), nullptr);
  EXPECT_NE(cache.load(keys[3]), nullptr);
  EXPECT_EQ(filesBelow(dir.path()).size(), 2u);

  // With the default interval, a store right after a trim does not list
  // the directory again: the bound is exceeded until the next trim.
  CompileCache throttled(dir.path(), 3500);
  for (int i = 4; i < 7; ++i)
    ASSERT_TRUE(throttled.store(CompileCache::makeKey({"entry", std::to_string(i)}), payload));
  EXPECT_EQ(filesBelow(dir.path()).size(), 5u);
}

TEST(CompileCache, BoundFollowsTheEnvironment) {
  setenv("GRADC_CACHE_MAX_BYTES", "512M", 1);
  EXPECT_EQ(defaultCacheMaxBytes(), uint64_t(512) << 20);
  setenv("GRADC_CACHE_MAX_BYTES", "lots", 1);
  EXPECT_THROW(defaultCacheMaxBytes(), Error);
  unsetenv("GRADC_CACHE_MAX_BYTES");
  EXPECT_EQ(defaultCacheMaxBytes(), kDefaultCacheMaxBytes);
}

} // namespace

namespace {

/// The key of the entry file at \p path (.../objects/KK/REST.o-cache).
std::string keyOfEntry(const std::string &path) {
  llvm::StringRef file = llvm::sys::path::filename(path);
  llvm::StringRef shard =
      llvm::sys::path::filename(llvm::sys::path::parent_path(path));
  return (shard + file.drop_back(strlen(".o-cache"))).str();
}

TEST(CompileCache, AnotherSourcesObjectWithAGoodHeaderIsEvicted) {
  TempDir dir;
  const char *other = "extern \"C\" int affine(int x) { return 3 * x + 5; }";
  EXPECT_FALSE(compileAndRun(dir.path(), 3));
  std::string first = filesBelow(dir.path())[0];
  EXPECT_FALSE(compileAndRun(dir.path(), 3, other, 11));
  std::string second;
  for (const std::string &f : filesBelow(dir.path()))
    if (f != first) second = f;
  ASSERT_FALSE(second.empty());
  // The other source's object stored under the first key with a correct
  // header and hash: the checks of the entry itself all pass.
  CompileCache cache(dir.path());
  std::string foreign = readFile(second).substr(112);
  ASSERT_TRUE(cache.store(keyOfEntry(first), foreign));
  ASSERT_NE(cache.load(keyOfEntry(first)), nullptr);
  // But its object lacks the first key's marker: evicted, compiled again
  // (the right answer, 10), and the entry is good from then on.
  EXPECT_FALSE(compileAndRun(dir.path(), 3));
  EXPECT_TRUE(compileAndRun(dir.path(), 3));
  EXPECT_TRUE(compileAndRun(dir.path(), 3, other, 11));
}

TEST(CompileCache, OnlyRegularFilesAreRead) {
  TempDir dir;
  EXPECT_FALSE(compileAndRun(dir.path()));
  std::string entry = filesBelow(dir.path())[0];
  std::string good = readFile(entry);
  // A link to an endless device: neither followed nor read.
  ASSERT_FALSE(llvm::sys::fs::remove(entry));
  ASSERT_FALSE(llvm::sys::fs::create_link("/dev/zero", entry));
  EXPECT_FALSE(compileAndRun(dir.path()));
  EXPECT_EQ(readFile(entry), good);
  EXPECT_TRUE(compileAndRun(dir.path()));
  // A FIFO, whose open or read would wait for a writer forever.
  ASSERT_FALSE(llvm::sys::fs::remove(entry));
  ASSERT_EQ(mkfifo(entry.c_str(), 0600), 0);
  EXPECT_FALSE(compileAndRun(dir.path()));
  EXPECT_EQ(readFile(entry), good);
  // A directory in the way cannot be replaced: only a miss each time.
  ASSERT_FALSE(llvm::sys::fs::remove(entry));
  ASSERT_FALSE(llvm::sys::fs::create_directory(entry));
  EXPECT_FALSE(compileAndRun(dir.path()));
  EXPECT_FALSE(compileAndRun(dir.path()));
}

TEST(CompileCache, TempFilesOfDeadWritersAreRemovedAndOthersCounted) {
  TempDir dir;
  CompileCache cache(dir.path(), 3500, /*trimIntervalSeconds=*/0);
  std::string key = CompileCache::makeKey({"entry"});
  ASSERT_TRUE(cache.store(key, std::string(1000, 'x')));
  // A process that is surely gone: a child that exited and was reaped.
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  std::string base = cache.entryPath(CompileCache::makeKey({"other"}));
  std::string dead = base + ".tmp-" + std::to_string(child) + "-abc";
  std::string old = base + ".tmp-zzz"; // an older name without a pid
  std::string live = base + ".tmp-" + std::to_string(getpid()) + "-abc";
  ASSERT_FALSE(llvm::sys::fs::create_directories(
      llvm::sys::path::parent_path(base)));
  writeFile(dead, std::string(5000, 'd'));
  writeFile(old, std::string(5000, 'o'));
  age(old, 2 * 3600);
  writeFile(live, std::string(2000, 'l'));
  // The next store trims: the dead writers' files go, the live one stays
  // and counts, so together with it the entries are over the bound and
  // the oldest entry goes too.
  age(cache.entryPath(key), 100);
  std::string newer = CompileCache::makeKey({"newer"});
  ASSERT_TRUE(cache.store(newer, std::string(1000, 'y')));
  EXPECT_FALSE(llvm::sys::fs::exists(dead));
  EXPECT_FALSE(llvm::sys::fs::exists(old));
  EXPECT_TRUE(llvm::sys::fs::exists(live));
  EXPECT_EQ(cache.load(key), nullptr);
  EXPECT_NE(cache.load(newer), nullptr);
}

TEST(CompileCache, OneGraphAtTwoPathsSharesAnEntry) {
  TempDir dir;
  auto g = loadGraphFile(GRADC_SOURCE_DIR "/examples/seed.json");
  CompileOptions options;
  options.cacheDir = dir.path();
  options.sourceName = "seed.json";
  auto first = Compiler(options).compile(*g);
  options.sourceName = GRADC_SOURCE_DIR "/examples/seed.json";
  auto second = Compiler(options).compile(*g);
  EXPECT_FALSE(first->times().cacheHit);
  EXPECT_TRUE(second->times().cacheHit);
  EXPECT_EQ(first->cppSource().find("seed.json"), std::string::npos);
}

} // namespace

namespace {

/// A module in two parts (as codegen/UnitSplit makes them): the entry point
/// in the first calls a function the second defines.
const std::vector<std::string> kParts = {
    "int scaled(int x);\nextern \"C\" int affine(int x) { return scaled(x) + 4; }\n",
    "int scaled(int x) { return 3 * x; }\n"};

/// Compiles kParts with a cache in \p dir; checks affine(2) == 10 and
/// returns whether every part came from the cache.
bool compilePartsAndRun(const std::string &dir) {
  return compileWith(dir, 1, 10,
                     [](Jit &jit) { return jit.compileParts(kParts, "affine"); });
}

} // namespace

TEST(CompileCache, PartsOfASplitUnitAreCachedAndVerifiedEachOnItsOwn) {
  TempDir dir;
  EXPECT_FALSE(compilePartsAndRun(dir.path()));
  std::vector<std::string> entries = filesBelow(dir.path());
  ASSERT_EQ(entries.size(), 2u); // one entry per part
  EXPECT_TRUE(compilePartsAndRun(dir.path()));
  // Each part's object stored under the other part's key: both entries
  // pass their own checks but lack the right marker, so both are evicted
  // and compiled again, and the module still computes 10.
  CompileCache cache(dir.path());
  std::string a = readFile(entries[0]).substr(112), b = readFile(entries[1]).substr(112);
  ASSERT_TRUE(cache.store(keyOfEntry(entries[0]), b));
  ASSERT_TRUE(cache.store(keyOfEntry(entries[1]), a));
  EXPECT_FALSE(compilePartsAndRun(dir.path()));
  EXPECT_TRUE(compilePartsAndRun(dir.path()));
}
