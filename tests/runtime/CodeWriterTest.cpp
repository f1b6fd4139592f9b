//===- tests/runtime/CodeWriterTest.cpp - The emitters' scope-aware writer ===//
#include "codegen/CodeWriter.h"

#include <gtest/gtest.h>

namespace gradc {
namespace {

TEST(CodeWriter, IndentsByOpenScopes) {
  CodeWriter w(2);
  w.open("for (long long i = 0; i < 4LL; ++i)");
  w.line("x[i] = 0;");
  w.open();
  w.line("double t = 1;");
  w.close();
  w.close();
  EXPECT_EQ(w.str(), "  for (long long i = 0; i < 4LL; ++i) {\n"
                     "    x[i] = 0;\n"
                     "    {\n"
                     "      double t = 1;\n"
                     "    }\n"
                     "  }\n");
  EXPECT_EQ(w.depth(), 0);
}

TEST(CodeWriter, ReopenOpenLineAndTrailer) {
  CodeWriter w;
  w.open("if (p)");
  w.line("f();");
  w.reopen("else");
  w.openLine("{ const float r = 1;");
  w.line("g(r);");
  w.close();
  w.close();
  w.open("do");
  w.line("h();");
  w.close(" while (c);");
  EXPECT_EQ(w.str(), "if (p) {\n  f();\n} else {\n  { const float r = 1;\n"
                     "    g(r);\n  }\n}\ndo {\n  h();\n} while (c);\n");
}

TEST(CodeWriter, KernelStepWritesFlushLeft) {
  // Kernel code keeps the scopes but not the indentation (kKernelStep).
  CodeWriter w(0, kKernelStep);
  w.open("void k()");
  w.open("for (;;)");
  w.line("break;");
  w.close();
  w.close();
  EXPECT_EQ(w.str(), "void k() {\nfor (;;) {\nbreak;\n}\n}\n");
}

TEST(CodeWriter, ScopeGuardClosesAndAnEmptyLineIsBare) {
  // An empty line() in a scope (as lines() writes for an empty line of a
  // block) carries no indentation either.
  CodeWriter w;
  {
    CodeWriter::Scope s(w, "struct A");
    w.line("int x;");
    w.line("");
    w.line("int y;");
  }
  EXPECT_EQ(w.str(), "struct A {\n  int x;\n\n  int y;\n}\n");
  EXPECT_EQ(w.depth(), 0);
}

} // namespace
} // namespace gradc
