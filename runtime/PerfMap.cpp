//===- runtime/PerfMap.cpp - Names of JIT code for Linux perf -------------===//
#include "runtime/PerfMap.h"

#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unistd.h>

namespace gradc {

bool perfMapEnabled() {
  const char *env = std::getenv("GRADC_PERF_MAP");
  return env && *env && std::string(env) != "0";
}

ObjectFunctions objectFunctions(llvm::MemoryBufferRef object) {
  ObjectFunctions result;
  auto file = llvm::object::ObjectFile::createObjectFile(object);
  if (!file) {
    llvm::consumeError(file.takeError());
    return result;
  }
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto type = symbol.getType();
    auto name = symbol.getName();
    auto address = symbol.getAddress();
    auto section = symbol.getSection();
    auto flags = symbol.getFlags();
    if (!type || !name || !address || !section || !flags ||
        *type != llvm::object::SymbolRef::ST_Function ||
        *section == (*file)->section_end()) {
      if (!type) llvm::consumeError(type.takeError());
      if (!name) llvm::consumeError(name.takeError());
      if (!address) llvm::consumeError(address.takeError());
      if (!section) llvm::consumeError(section.takeError());
      if (!flags) llvm::consumeError(flags.takeError());
      continue;
    }
    uint64_t index = (*section)->getIndex();
    ObjectFunctions::Function f;
    f.name = name->str();
    f.offset = *address;
    f.size = llvm::object::ELFSymbolRef(symbol).getSize();
    f.global = (*flags & llvm::object::SymbolRef::SF_Global) != 0;
    auto it = result.sections.begin();
    while (it != result.sections.end() && it->first != index) ++it;
    if (it == result.sections.end()) {
      result.sections.push_back({index, {}});
      it = result.sections.end() - 1;
    }
    it->second.push_back(std::move(f));
  }
  return result;
}

void appendPerfMap(const ObjectFunctions &functions,
                   const std::function<std::optional<uint64_t>(const std::string &)>
                       &addressOf) {
  static std::mutex mutex;
  std::string text;
  for (const auto &[index, list] : functions.sections) {
    std::optional<uint64_t> base;
    for (const auto &f : list)
      if (f.global)
        if (auto linked = addressOf(f.name)) {
          base = *linked - f.offset;
          break;
        }
    if (!base) continue;
    char line[64];
    for (const auto &f : list) {
      std::snprintf(line, sizeof line, "%llx %llx ",
                    static_cast<unsigned long long>(*base + f.offset),
                    static_cast<unsigned long long>(f.size));
      text += line + f.name + "\n";
    }
  }
  if (text.empty()) return;
  std::lock_guard<std::mutex> lock(mutex);
  std::string path = "/tmp/perf-" + std::to_string(::getpid()) + ".map";
  if (std::FILE *out = std::fopen(path.c_str(), "a")) {
    std::fwrite(text.data(), 1, text.size(), out);
    std::fclose(out);
  }
}

} // namespace gradc
