//===- passes/PassManager.cpp - Runs a pipeline of passes -----------------===//
#include "passes/PassManager.h"

#include "ir/Error.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/BufferPlanning.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sys/stat.h>

namespace gradc {

namespace {
/// The IR text plus, once buffers are planned, a line with their sizes.
std::string printStage(const Graph &g) {
  return printGraph(g) + describeBufferPlan(g);
}
} // namespace

PassManager::PassManager(PassManagerOptions opts) : opts_(std::move(opts)) {}
PassManager::~PassManager() = default;

void PassManager::add(std::unique_ptr<Pass> p) {
  passes_.push_back(std::move(p));
}

std::vector<std::string> PassManager::passNames() const {
  std::vector<std::string> r;
  for (const auto &p : passes_) r.push_back(p->name());
  return r;
}

void PassManager::checkPassName(const std::string &name) const {
  for (const auto &p : passes_)
    if (p->name() == name) return;
  std::string all;
  for (const auto &p : passes_) all += (all.empty() ? "" : ", ") + p->name();
  throw Error("unknown pass '" + name + "' (passes: " + all + ")");
}

bool PassManager::run(Graph &g) {
  std::ostream &out = opts_.out ? *opts_.out : std::cerr;
  for (const std::string &n : opts_.printAfter) checkPassName(n);
  if (!opts_.dumpDir.empty()) {
    ::mkdir(opts_.dumpDir.c_str(), 0777); // may already exist
    std::ofstream f(opts_.dumpDir + "/000_input.ir");
    f << printGraph(g);
    if (!f) throw Error("cannot write to dump directory '" + opts_.dumpDir + "'");
  }
  bool any = false;
  std::vector<std::pair<std::string, double>> times;
  int index = 0;
  for (const auto &p : passes_) {
    ++index;
    auto t0 = std::chrono::steady_clock::now();
    bool changed = p->run(g);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
    times.emplace_back(p->name(), ms);
    any |= changed;
    if (opts_.verifyEach) {
      try {
        verifyGraph(g);
      } catch (const Error &e) {
        throw Error("after pass '" + p->name() + "': " + e.what());
      }
    }
    bool print = opts_.printAfterAll ||
                 std::find(opts_.printAfter.begin(), opts_.printAfter.end(),
                           p->name()) != opts_.printAfter.end();
    if (print) {
      out << "// -----// IR after " << p->name()
          << (changed ? "" : " (unchanged)") << " //----- //\n";
      if (changed || !opts_.printAfterAll) out << printStage(g);
    }
    if (!opts_.dumpDir.empty()) {
      char num[16];
      std::snprintf(num, sizeof num, "%03d_", index);
      std::ofstream f(opts_.dumpDir + "/" + num + p->name() + ".ir");
      f << printStage(g);
    }
  }
  if (opts_.timePasses) {
    double total = 0;
    for (const auto &t : times) total += t.second;
    out << "===-------------------------------------------------------===\n"
        << "                      Pass execution timing report\n"
        << "===-------------------------------------------------------===\n";
    char line[160];
    for (const auto &t : times) {
      std::snprintf(line, sizeof line, "  %10.4f ms  %5.1f%%  %s\n", t.second,
                    total > 0 ? 100 * t.second / total : 0.0, t.first.c_str());
      out << line;
    }
    std::snprintf(line, sizeof line, "  %10.4f ms  100.0%%  Total\n", total);
    out << line;
  }
  return any;
}

} // namespace gradc
