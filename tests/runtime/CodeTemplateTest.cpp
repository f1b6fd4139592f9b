//===- tests/runtime/CodeTemplateTest.cpp - Code templates of sized code ---===//
#include "runtime/CodeTemplate.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace gradc;

namespace {

/// Code in the shape the emitters write, at batch size `b`.
std::string unit(long long b, int bound = 256) {
  std::string n = std::to_string(b), n4 = std::to_string(4 * b);
  std::string div = std::to_string(4 * b) + ".0f";
  return "// kernel 0: loop over [" + n + ", 4]\n"
         "static void k0(const float *__restrict__ p0, float *__restrict__ p1) {\n"
         "const float z[" + std::to_string(bound) + "] = {};\n"
         "for (long long i0 = 0LL; i0 < 0LL + " + n4 + "LL; ++i0) p1[i0] = p0[i0] / (" +
         div + ");\n"
         "cblas_sgemm(101, 111, 111, " + n + ", 4, 4, 1.0f, p0, 4, p0, 4, 0.0f, p1, 4);\n"
         "}\n";
}

float asFloat(uint64_t bits) {
  uint32_t low = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &low, sizeof f);
  return f;
}

} // namespace

TEST(CodeTemplate, SlotsAreTheLiteralsThatVaryAndMatchReadsThem) {
  auto t = CodeTemplate::derive({unit(5), unit(6), unit(18)});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->slots(), 3u); // the trip count, the divisor, the GEMM's M
  EXPECT_NE(t->text().find("extern \"C\" const unsigned long long gc_T[];"), std::string::npos);
  EXPECT_NE(t->text().find("i0 < 0LL + ((long long)gc_T[0])"), std::string::npos) << t->text();
  EXPECT_NE(t->text().find("__builtin_bit_cast(float, (unsigned)gc_T[1])"), std::string::npos);
  EXPECT_NE(t->text().find("cblas_sgemm(101, 111, 111, ((int)gc_T[2]), 4, 4"), std::string::npos);
  EXPECT_NE(t->text().find("const float z[256]"), std::string::npos);
  auto table = t->match(unit(40));
  ASSERT_TRUE(table);
  ASSERT_EQ(table->size(), 3u);
  EXPECT_EQ((*table)[0], 160u);
  EXPECT_EQ(asFloat((*table)[1]), 160.0f);
  EXPECT_EQ((*table)[2], 40u);
}

TEST(CodeTemplate, OtherStructureOrPinnedLiteralsAreNoInstance) {
  auto t = CodeTemplate::derive({unit(5), unit(6)});
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->match(unit(7, 128)));           // an array bound differs
  EXPECT_FALSE(t->match(unit(7) + "int x;\n"));    // one more statement
  std::string other = unit(7);
  other.replace(other.find("p1[i0] ="), 8, "p1[i0] +=");
  EXPECT_FALSE(t->match(other));
  // Comments do not count.
  EXPECT_TRUE(t->match("// another comment\n" + unit(9)));
  // A literal whose C++ type would change is no instance: 3000000000 is a
  // long, not an int.
  EXPECT_FALSE(t->match(unit(3000000000LL)));
}

TEST(CodeTemplate, NoTemplateWhenOnlyAPinnedLiteralVaries) {
  // Array bounds must stay constants; a reassociable loop's trip count
  // steers how clang vectorizes the sum, so it stays a literal too.
  EXPECT_FALSE(CodeTemplate::derive({unit(5, 5), unit(6, 6)}));
  const char *a = "GC_REASSOCIABLE_LOOP\nfor (long long k = 0; k < 10LL; ++k) s += x[k];\n";
  const char *b = "GC_REASSOCIABLE_LOOP\nfor (long long k = 0; k < 11LL; ++k) s += x[k];\n";
  EXPECT_FALSE(CodeTemplate::derive({a, b}));
  // An array without an initializer may take a run-time bound.
  auto vla = CodeTemplate::derive({"double part[9];\n", "double part[10];\n"});
  ASSERT_TRUE(vla);
  EXPECT_EQ(vla->slots(), 1u);
  EXPECT_NE(vla->text().find("double part[((int)gc_T[0])];"), std::string::npos);
  // Samples of another structure are set aside; one of the same remains.
  auto t = CodeTemplate::derive({unit(5), unit(6) + "int x;\n", unit(8)});
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->match(unit(100)));
  EXPECT_FALSE(CodeTemplate::derive({unit(5), unit(6) + "int x;\n"}));
}

TEST(CodeTemplate, TokenizerKeepsNumbersInsideNamesAndStringsApart) {
  CodeTokens t = tokenizeGeneratedCode(
      "p12[i0 * 5LL] = 1e-05f + x; _Pragma(\"clang loop vectorize(enable)\")\n#define A 3\n");
  std::vector<std::string> numbers;
  for (const auto &k : t.tokens)
    if (k.number) numbers.push_back(k.text);
  EXPECT_EQ(numbers, (std::vector<std::string>{"5LL", "1e-05f"}));
}

namespace {

/// A kernel at batch size `b` as the emitters write it below the inlining
/// threshold (`small`: inlined, no alignment assumptions) and above it,
/// with `body` as its loop's statement.
std::string kernel(long long b, bool small, const std::string &body) {
  std::string n = std::to_string(10 * b);
  return std::string("static ") +
         (small ? "inline __attribute__((always_inline)) " : "__attribute__((noinline)) ") +
         "void k5(const float *__restrict__ p0, float *__restrict__ p1) {\n" +
         (small ? "" : "p0 = (const float *)__builtin_assume_aligned(p0, 64);\n"
                       "p1 = (float *)__builtin_assume_aligned(p1, 64);\n") +
         "for (long long i0 = 0LL; i0 < 0LL + " + n + "LL; ++i0) {\n" + body + "}\n}\n"
         "void entry(const float *x, float *y) { k5(x, y); }\n";
}

} // namespace

TEST(CodeTemplate, InliningAndAlignmentHintsOfExactKernelsAreSetAside) {
  // Plain IEEE arithmetic: inlined or not, aligned or not, the same bits.
  const std::string exact = "p1[i0] = gc_max<float>(p0[i0] * 2.0f, 0.0f);\n";
  auto t = CodeTemplate::derive({kernel(2, true, exact), kernel(3, true, exact)});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->slots(), 1u);
  auto table = t->match(kernel(103, false, exact));
  ASSERT_TRUE(table);
  EXPECT_EQ((*table)[0], 1030u);
  EXPECT_TRUE(t->sameStructure(kernel(200, false, exact)));
  // The template keeps its own sample's hints.
  EXPECT_NE(t->text().find("always_inline"), std::string::npos);
  EXPECT_EQ(t->text().find("__builtin_assume_aligned"), std::string::npos);
  // A template of the large form covers the small one as well.
  EXPECT_TRUE(CodeTemplate::derive({kernel(200, false, exact), kernel(201, false, exact)})
                  ->match(kernel(2, true, exact)));
  // The hints still count where they may change bits: a reassociable loop
  // (clang picks its order of additions), a libm call (clang may pick the
  // vector variant), a call of another function.
  for (const std::string &body :
       {std::string("GC_REASSOCIABLE_LOOP\nfor (long long k = 0; k < 8LL; ++k) p1[i0] += p0[k];\n"),
        std::string("p1[i0] = expf(p0[i0]);\n"), std::string("p1[i0] = helper(p0[i0]);\n")}) {
    auto r = CodeTemplate::derive({kernel(2, true, body), kernel(3, true, body)});
    ASSERT_TRUE(r) << body;
    EXPECT_TRUE(r->match(kernel(4, true, body))) << body;
    EXPECT_FALSE(r->match(kernel(103, false, body))) << body;
    EXPECT_FALSE(r->sameStructure(kernel(103, false, body))) << body;
  }
  // Only the hints: any other difference is still another structure.
  std::string other = kernel(103, false, exact);
  other.replace(other.find("(p0, 64)"), 8, "(p0, 32)");
  EXPECT_TRUE(t->match(other)); // an alignment statement is a hint as a whole
  EXPECT_FALSE(t->match(kernel(103, false, exact) + "int x;\n"));
}

TEST(CodeTemplate, AThreadPoolFlagIsASlotEvenWhereTheSamplesAgree) {
  // The row blocks of a softmax: the samples, below the size where they
  // go to the thread pool, all have flag 0; a size past it has 1 and is
  // an instance all the same.
  auto rows = [](int flag, long long n) {
    std::string b = std::to_string(n) + "LL";
    return "static void k0(float *p0) {\n"
           "if (" + std::to_string(flag) + " && gradc_parallel_for) "
           "gradc_parallel_for(s::run, &a, " + b + ");\n"
           "else s::run(&a, 0, " + b + ");\n"
           "}\n";
  };
  auto t = CodeTemplate::derive({rows(0, 5), rows(0, 6)});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->slots(), 3u); // the flag, and the block count twice
  EXPECT_NE(t->text().find("if (((int)gc_T[0]) && gradc_parallel_for)"), std::string::npos)
      << t->text();
  auto table = t->match(rows(1, 4096));
  ASSERT_TRUE(table);
  EXPECT_EQ((*table)[0], 1u);
  EXPECT_EQ((*table)[1], 4096u);
}
