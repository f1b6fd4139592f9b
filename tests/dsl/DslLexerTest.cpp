//===- tests/dsl/DslLexerTest.cpp - Tokens, indentation, literals ---------===//
#include "frontend/DslLexer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gradc;

namespace {

struct Lexed {
  std::vector<Token> toks;
  std::string diags;
};

Lexed lex(const std::string &src) {
  Diagnostics d(src, "t.grad");
  Lexed r;
  r.toks = lexDsl(src, d);
  r.diags = d.render();
  return r;
}

/// A compact spelling of the token kinds: names and ops as their text,
/// N for NEWLINE, > for INDENT, < for DEDENT, # for numbers, "s" strings,
/// ! for errors.
std::string kinds(const std::string &src) {
  std::string r;
  for (const Token &t : lex(src).toks) {
    if (!r.empty()) r += ' ';
    switch (t.kind) {
    case TokKind::Name: r += t.quoted ? "`" + t.text + "`" : t.text; break;
    case TokKind::Temp: r += t.text; break;
    case TokKind::Number: r += "#" + t.text; break;
    case TokKind::String: r += "\"" + t.text + "\""; break;
    case TokKind::Op: r += t.text; break;
    case TokKind::Newline: r += "N"; break;
    case TokKind::Indent: r += ">"; break;
    case TokKind::Dedent: r += "<"; break;
    case TokKind::Eof: r += "EOF"; break;
    case TokKind::Error: r += "!"; break;
    }
  }
  return r;
}

TEST(DslLexer, Statement) {
  EXPECT_EQ(kinds("y = x + 2\n"), "y = x + #2 N EOF");
  EXPECT_EQ(kinds("z = a**b @ c / d"), "z = a ** b @ c / d N EOF");
  EXPECT_EQ(kinds("z = a // d"), "z = a ! d N EOF");
  EXPECT_EQ(kinds("a<=b>=c==d!=e<f>g"), "a <= b >= c == d != e < f > g N EOF");
  EXPECT_EQ(kinds(""), "EOF");
  EXPECT_EQ(kinds("\n\n  # only a comment\n"), "EOF");
}

TEST(DslLexer, Locations) {
  auto r = lex("y = x\n  # c\nz =  relu(y)\n");
  ASSERT_GE(r.toks.size(), 8u);
  EXPECT_EQ(r.toks[0].loc.line, 1);
  EXPECT_EQ(r.toks[0].loc.col, 1);
  EXPECT_EQ(r.toks[2].loc.col, 5);
  const Token &relu = r.toks[6];
  EXPECT_EQ(relu.text, "relu");
  EXPECT_EQ(relu.loc.line, 3);
  EXPECT_EQ(relu.loc.col, 6);
}

TEST(DslLexer, ColumnsCountCodePoints) {
  // `αβ` is 2 code points (4 bytes) plus 2 backticks: x starts at column 8.
  auto r = lex("`αβ` = x");
  ASSERT_EQ(r.toks[0].kind, TokKind::Name);
  EXPECT_TRUE(r.toks[0].quoted);
  EXPECT_EQ(r.toks[0].text, "αβ");
  EXPECT_EQ(r.toks[2].loc.col, 8);
}

TEST(DslLexer, Indentation) {
  EXPECT_EQ(kinds("with a:\n    b = 1\n    c = 2\nd = 3\n"),
            "with a : N > b = #1 N c = #2 N < d = #3 N EOF");
  // Nested blocks close together; blank lines and comments in between do
  // not count.
  EXPECT_EQ(kinds("a\n  b\n\n      # x\n    c\nd\n"),
            "a N > b N > c N < < d N EOF");
  // Blocks still open at the end of the file are closed.
  EXPECT_EQ(kinds("a:\n\tb"), "a : N > b N < EOF");
}

TEST(DslLexer, BracketsJoinLines) {
  EXPECT_EQ(kinds("y = f(a,\n      b)\nz"), "y = f ( a , b ) N z N EOF");
  EXPECT_EQ(kinds("y = [1,\n\n  2]\n"), "y = [ #1 , #2 ] N EOF");
  EXPECT_EQ(kinds("y = a + \\\n    b\n"), "y = a + b N EOF");
}

TEST(DslLexer, LineEndings) {
  EXPECT_EQ(kinds("a\r\nb\rc\n"), "a N b N c N EOF");
  EXPECT_EQ(kinds("\xEF\xBB\xBFx"), "x N EOF"); // A BOM is skipped.
}

TEST(DslLexer, Numbers) {
  auto r = lex("1e-3 2.5E+2 .5 1. 007 12345678901234567890123 1e999 5e-324");
  const auto &t = r.toks;
  EXPECT_DOUBLE_EQ(t[0].num, 1e-3);
  EXPECT_FALSE(t[0].isInt);
  EXPECT_DOUBLE_EQ(t[1].num, 250);
  EXPECT_DOUBLE_EQ(t[2].num, 0.5);
  EXPECT_DOUBLE_EQ(t[3].num, 1.0);
  EXPECT_FALSE(t[3].isInt);
  EXPECT_TRUE(t[4].isInt);
  EXPECT_EQ(t[4].uval, 7u);
  EXPECT_TRUE(t[5].isInt);
  EXPECT_TRUE(t[5].overflow);
  EXPECT_DOUBLE_EQ(t[5].num, 1.2345678901234568e22);
  EXPECT_TRUE(std::isinf(t[6].num));
  EXPECT_EQ(t[7].num, 5e-324);
  EXPECT_EQ(r.diags, "");
}

TEST(DslLexer, BadNumbers) {
  EXPECT_EQ(kinds("2x"), "! N EOF");
  EXPECT_NE(lex("1e+").diags.find("the exponent has no digits"),
            std::string::npos);
  EXPECT_NE(lex("y = 1.2.3").diags.find("invalid number literal '1.2.3'"),
            std::string::npos);
}

TEST(DslLexer, StringsAndNames) {
  auto r = lex(R"("a\"b\n" 'c\x41' `my name` `a\`b` $t0 $x)");
  EXPECT_EQ(r.toks[0].kind, TokKind::String);
  EXPECT_EQ(r.toks[0].text, "a\"b\n");
  EXPECT_EQ(r.toks[1].text, "cA");
  EXPECT_EQ(r.toks[2].text, "my name");
  EXPECT_TRUE(r.toks[2].quoted);
  EXPECT_EQ(r.toks[3].text, "a`b");
  EXPECT_EQ(r.toks[4].kind, TokKind::Temp);
  EXPECT_EQ(r.toks[4].text, "$t0");
  EXPECT_EQ(r.toks[5].text, "$x");
  EXPECT_EQ(r.diags, "");
  // Escapes reach every byte, NUL included.
  auto n = lex("`\\x00\\xff`");
  EXPECT_EQ(n.toks[0].text, std::string("\0\xff", 2));
}

TEST(DslLexer, Errors) {
  EXPECT_EQ(lex("s = \"abc\n").diags,
            "t.grad:1:5: error: unterminated string\ns = \"abc\n    ^\n");
  EXPECT_NE(lex("``").diags.find("empty backtick name"), std::string::npos);
  EXPECT_NE(lex("`a\\qb`").diags.find("invalid escape sequence"),
            std::string::npos);
  EXPECT_NE(lex("$ = 1").diags.find("expected a temporary name after '$'"),
            std::string::npos);
  EXPECT_NE(lex("y = x % 2").diags.find("unexpected character '%'"),
            std::string::npos);
  EXPECT_NE(lex("y = )").diags.find("unmatched ')'"), std::string::npos);
  EXPECT_NE(lex("y = (]").diags.find(
                "closing ']' does not match opening '(' at 1:5"),
            std::string::npos);
  EXPECT_NE(lex("y = f(x").diags.find("1:6: error: '(' was never closed"),
            std::string::npos);
}

TEST(DslLexer, BadBytes) {
  std::string nul("y = x\0", 6);
  EXPECT_NE(lex(nul).diags.find("1:6: error: null character in source"),
            std::string::npos);
  EXPECT_NE(lex("y = \xff").diags.find("1:5: error: invalid UTF-8"),
            std::string::npos);
  // An overlong encoding and a lone surrogate are not UTF-8 either.
  EXPECT_NE(lex("# \xC0\xAF").diags.find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(lex("s = '\xED\xA0\x80'").diags.find("invalid UTF-8"),
            std::string::npos);
  EXPECT_NE(lex("α = 1").diags.find(
                "unexpected character 'α' (U+03B1); write names with "
                "non-ASCII characters in backticks, like `α`"),
            std::string::npos);
  // One bad line reports once, not once per byte.
  EXPECT_EQ(lex("\xff\xff\xff\xff").diags,
            "t.grad:1:1: error: invalid UTF-8 byte sequence\n????\n^\n");
}

TEST(DslLexer, IndentationErrors) {
  EXPECT_NE(lex("with a:\n    b\n  c\n").diags.find(
                "3:1: error: unindent does not match any outer indentation "
                "level"),
            std::string::npos);
  EXPECT_NE(lex("with a:\n    b\n\tc\n").diags.find(
                "3:1: error: inconsistent use of tabs and spaces in "
                "indentation"),
            std::string::npos);
}

} // namespace
