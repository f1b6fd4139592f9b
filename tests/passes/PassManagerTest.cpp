//===- tests/passes/PassManagerTest.cpp - Pipeline instrumentation --------===//
#include "ir/Error.h"
#include "passes/PassManager.h"
#include "tests/passes/PassTestUtil.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace gradc {
namespace {

const char *kGraph = "graph \"t\" {\n  %x = input() {requires_grad = true} : f32[4]\n"
                     "  %0 = constant() {value = 1.0} : f32[]\n"
                     "  %y = mul(%x, %0) : f32[4]\n  %e = exp(%y) : f32[4]\n"
                     "  %s = sum(%e) : f32[]\n  output \"s\" = %s\n}\n";

TEST(PassManager, PipelineNamesAreStable) {
  PassManager pm;
  buildPipeline(pm, PipelineStage::Opt);
  EXPECT_EQ(pm.passNames(),
            (std::vector<std::string>{"expand-grad", "requires-grad", "autodiff",
                                      "const-fold", "simplify", "cse", "dce", "fusion",
                                      "recompute", "buffer-plan"}));
}

TEST(PassManager, PrintAfterAllMarksUnchangedPasses) {
  std::ostringstream out;
  PassManagerOptions o;
  o.printAfterAll = true;
  o.out = &out;
  PassManager pm(o);
  buildPipeline(pm, PipelineStage::Opt);
  auto g = parseGraph(kGraph);
  pm.run(*g);
  std::string s = out.str();
  EXPECT_NE(s.find("IR after simplify //"), std::string::npos); // x * 1 went
  EXPECT_NE(s.find("IR after const-fold (unchanged)"), std::string::npos);
  EXPECT_NE(s.find("IR after buffer-plan //"), std::string::npos);
  // Once buffers are planned, dumps end with the sizes.
  EXPECT_NE(s.find("// buffer plan: "), std::string::npos);
}

TEST(PassManager, PrintAfterOnePass) {
  std::ostringstream out;
  PassManagerOptions o;
  o.printAfter = {"fusion"};
  o.out = &out;
  PassManager pm(o);
  buildPipeline(pm, PipelineStage::Opt);
  auto g = parseGraph(kGraph);
  pm.run(*g);
  EXPECT_NE(out.str().find("IR after fusion"), std::string::npos);
  EXPECT_EQ(out.str().find("IR after cse"), std::string::npos);
  EXPECT_NE(out.str().find("kernel = 0"), std::string::npos);
}

TEST(PassManager, UnknownPassIsAnError) {
  PassManagerOptions o;
  o.printAfter = {"fuse"};
  PassManager pm(o);
  buildPipeline(pm, PipelineStage::Opt);
  auto g = parseGraph(kGraph);
  try {
    pm.run(*g);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("unknown pass 'fuse'"), std::string::npos);
  }
}

TEST(PassManager, DumpDirHasOneFilePerPass) {
  char tmpl[] = "/tmp/gradc-dump-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  PassManagerOptions o;
  o.dumpDir = dir;
  PassManager pm(o);
  buildPipeline(pm, PipelineStage::Opt);
  auto g = parseGraph(kGraph);
  pm.run(*g);
  std::vector<std::string> names = {"000_input", "001_expand-grad",
                                    "002_requires-grad", "003_autodiff",
                                    "004_const-fold", "005_simplify", "006_cse",
                                    "007_dce", "008_fusion", "009_recompute",
                                    "010_buffer-plan"};
  for (const std::string &n : names) {
    std::ifstream f(dir + "/" + n + ".ir");
    EXPECT_TRUE(f.good()) << n;
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_NE(ss.str().find("graph \"t\""), std::string::npos) << n;
    if (n == "010_buffer-plan") {
      EXPECT_NE(ss.str().find("fwd_bwd workspace"), std::string::npos);
    }
    std::remove((dir + "/" + n + ".ir").c_str());
  }
  ::rmdir(dir.c_str());
}

TEST(PassManager, TimePassesListsEveryPass) {
  std::ostringstream out;
  PassManagerOptions o;
  o.timePasses = true;
  o.out = &out;
  PassManager pm(o);
  buildPipeline(pm, PipelineStage::Opt);
  auto g = parseGraph(kGraph);
  pm.run(*g);
  for (const std::string &n : pm.passNames())
    EXPECT_NE(out.str().find(n), std::string::npos) << n;
  EXPECT_NE(out.str().find("Total"), std::string::npos);
}

/// A pass that breaks the graph (a node of the wrong type).
class BreakingPass : public Pass {
public:
  std::string name() const override { return "breaker"; }
  bool run(Graph &g) override {
    for (const auto &n : g.nodes())
      if (n->op == OpKind::Exp) n->type.shape = {5};
    return true;
  }
};

TEST(PassManager, VerifierNamesThePassThatBrokeTheGraph) {
  PassManagerOptions o;
  o.verifyEach = true;
  PassManager pm(o);
  pm.add(std::make_unique<BreakingPass>());
  auto g = parseGraph(kGraph);
  try {
    pm.run(*g);
    FAIL() << "expected the verifier to reject the graph";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("after pass 'breaker'"), std::string::npos);
  }
}

} // namespace
} // namespace gradc
