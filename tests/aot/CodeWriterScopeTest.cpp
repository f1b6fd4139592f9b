// The code writer's scopes: what the emitters of the JIT unit and of the
// AOT header rely on when they stop counting braces and spaces themselves.
#include "codegen/CodeWriter.h"

#include <gtest/gtest.h>

using gradc::CodeWriter;

TEST(CodeWriterScope, NestedScopesIndentTwoSpacesPerLevel) {
  CodeWriter w;
  w.open("for (long long i = 0; i < 4LL; ++i)");
  w.open("if (i > 1)");
  w.line("x[i] = 0;");
  w.close();
  w.close();
  EXPECT_EQ(w.str(), "for (long long i = 0; i < 4LL; ++i) {\n"
                     "  if (i > 1) {\n"
                     "    x[i] = 0;\n"
                     "  }\n"
                     "}\n");
}

TEST(CodeWriterScope, CloseTakesTheTextAfterTheBrace) {
  CodeWriter w(2);
  w.open("struct k_args");
  w.line("float *p;");
  w.close(";");
  EXPECT_EQ(w.str(), "  struct k_args {\n    float *p;\n  };\n");
}

TEST(CodeWriterScope, BlankLinesCarryNoIndentation) {
  CodeWriter w;
  w.open("class C");
  w.line("int a;");
  w.blank();
  w.line("int b;");
  w.close(";");
  EXPECT_EQ(w.str(), "class C {\n  int a;\n\n  int b;\n};\n");
}

TEST(CodeWriterScope, AccessSpecifiersSitAtTheClassDepth) {
  CodeWriter w;
  w.open("class C");
  w.outdented("public:");
  w.line("int a;");
  w.close(";");
  EXPECT_EQ(w.str(), "class C {\npublic:\n  int a;\n};\n");
  // Outside any scope there is no shallower level to go to.
  CodeWriter top;
  top.outdented("label:");
  EXPECT_EQ(top.str(), "label:\n");
}

TEST(CodeWriterScope, LinesKeepTheirOwnRelativeIndentation) {
  CodeWriter inner;
  inner.open("if (a)");
  inner.line("b();");
  inner.close();
  CodeWriter w;
  w.open();
  w.lines(inner.str());
  w.close();
  EXPECT_EQ(w.str(), "{\n  if (a) {\n    b();\n  }\n}\n");
}

TEST(CodeWriterScope, IndentWithoutBraceForABracelessBody) {
  CodeWriter w;
  w.line("for (long long o = 0; o < 2LL; ++o)");
  w.indent();
  w.line("y[o] = 0;");
  w.dedent();
  w.line("done();");
  EXPECT_EQ(w.str(), "for (long long o = 0; o < 2LL; ++o)\n  y[o] = 0;\ndone();\n");
}
