//===- tests/robust/HostileNamesTest.cpp - User names never become code ---===//
//
// Graph, input, node and output names with quotes, newlines, comment
// closers, C++ keywords, Unicode, NUL bytes, 10k characters, or text that
// tries to close the function and open another: the generated C++ must
// still compile and give the graph's numbers, and the names must not
// appear in it outside escaped comments.
//
//===----------------------------------------------------------------------===//
#include "codegen/Mangle.h"
#include "frontend/GraphBuilder.h"
#include "ir/Error.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <set>

using namespace gradc;

namespace {

const std::vector<std::string> &hostileNames() {
  static const std::vector<std::string> names = {
      "a\"b", "a'b", "line\nbreak", "cr\rlf", "back\\slash", "trail\\",
      "*/ int evil; /*", "?\?/", "?\?=define x 1",
      "}); } extern \"C\" void pwn() { for(;;); } void f() { (",
      "\"; system(\"rm -rf /\"); //", "int", "return", "class", "main",
      "operator", "co_await", "requires", "_Bool", "__builtin_trap", "_Z3foo",
      "__x", "_X", "a_", "a.", "v0", "in", "out", "grads", "ws", "ctx",
      "flags", "phase", "expf", "cblas_sgemm", "gc_max", "x_fwd_bwd",
      "\xc3\xa9t\xc3\xa9", "\xe5\xa4\x89\xe6\x95\xb0", "\xf0\x9f\x98\x80",
      "\xe2\x80\xae" "evil", std::string("nul\0byte", 8), "%1", "", " ",
      "#include <stdio.h>", "#define v1 v2", std::string(10000, 'a'),
      "\xff\xfe invalid utf-8"};
  return names;
}

Compiler &compiler() {
  static Compiler c([] {
    CompileOptions o;
    o.useCache = false;
    return o;
  }());
  return c;
}

/// graph G: x (named X) = [1, 2]; y (named Y) = x * x; o (named O) = sum(y).
std::unique_ptr<Graph> namedGraph(const std::string &graph, const std::string &x,
                                  const std::string &y, const std::string &o) {
  GraphBuilder b(graph);
  InputInit init;
  init.kind = InputInit::Data;
  init.data = {1, 2};
  Node *in = b.addInput(x, {DType::F32, {2}}, true, init);
  Node *m = b.addOp(OpKind::Mul, {BuildOperand::of(in), BuildOperand::of(in)},
                    {}, y, false);
  b.addOp(OpKind::Sum, {BuildOperand::of(m)}, {}, o, false);
  b.addOutput(o);
  return b.finish();
}

/// The generated source without its // comments (the only place where
/// escaped names may appear).
std::string withoutComments(const std::string &src) {
  std::string r;
  size_t i = 0;
  while (i < src.size()) {
    size_t c = src.find("//", i);
    if (c == std::string::npos) c = src.size();
    r.append(src, i, c - i);
    i = src.find('\n', c);
    if (i == std::string::npos) break;
  }
  return r;
}

void expectGraphNumbers(const Graph &g, const std::string &x,
                        const std::string &o) {
  auto cg = compiler().compile(g);
  std::string code = withoutComments(cg->cppSource());
  for (const std::string &name : {g.name(), x, o}) {
    bool risky = false;
    for (unsigned char c : name)
      risky |= !(isalnum(c) || c == '_' || c == ' ');
    if (risky && name.size() >= 2) {
      EXPECT_EQ(code.find(name), std::string::npos) << name;
    }
  }
  Session s(*cg);
  s.runFused({{o}}, false);
  EXPECT_EQ(s.output(o).get(0), 5.0);
  const Tensor *gx = s.grad(x);
  ASSERT_NE(gx, nullptr);
  EXPECT_EQ(gx->get(0), 2.0);
  EXPECT_EQ(gx->get(1), 4.0);
}

TEST(HostileNames, AsGraphName) {
  for (const std::string &n : hostileNames()) {
    SCOPED_TRACE("graph name '" + escapeComment(n, 60) + "'");
    expectGraphNumbers(*namedGraph(n, "x", "y", "o"), "x", "o");
  }
}

TEST(HostileNames, AsInputNodeAndOutputNames) {
  for (const std::string &n : hostileNames()) {
    if (n.empty()) continue; // inputs need a name
    SCOPED_TRACE("name '" + escapeComment(n, 60) + "'");
    expectGraphNumbers(*namedGraph(n, n, n + "#y", n + "#o"), n, n + "#o");
  }
}

TEST(HostileNames, NamesThatCollideAfterManglingStayDistinct) {
  std::set<std::string> seen;
  for (std::string n :
       {"a.b", "a_b", "a-b", "a b", "a__b", "a_ub", "g_a_b", "_a_b", "1a", "g_1a"})
    EXPECT_TRUE(seen.insert(mangleIdentifier(n)).second) << n;
}

TEST(HostileNames, MangledIdentifiersAreValidAndUnreserved) {
  for (const std::string &n : hostileNames()) {
    std::string m = mangleIdentifier(n);
    SCOPED_TRACE(m);
    ASSERT_FALSE(m.empty());
    EXPECT_FALSE(m[0] >= '0' && m[0] <= '9');
    EXPECT_NE(m[0], '_');
    EXPECT_EQ(m.find("__"), std::string::npos);
    EXPECT_LE(m.size(), 64u + 12u);
    for (char c : m) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '_');
  }
  EXPECT_EQ(mangleIdentifier("seed"), "seed");
  EXPECT_NE(mangleIdentifier("requires"), "requires");
}

TEST(HostileNames, EscapedCommentsCannotEndOrSpliceTheComment) {
  for (const std::string &n : hostileNames()) {
    std::string e = escapeComment(n, 200);
    EXPECT_EQ(e.find('\n'), std::string::npos);
    EXPECT_EQ(e.find('\r'), std::string::npos);
    EXPECT_EQ(e.find('\\'), std::string::npos);
    EXPECT_EQ(e.find("??"), std::string::npos);
    for (unsigned char c : e) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
  }
  EXPECT_EQ(escapeComment("a\nb"), "a%0Ab");
  EXPECT_EQ(escapeComment("?\?/"), "%3F%3F/");
}

} // namespace
