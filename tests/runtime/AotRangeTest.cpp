// One AOT unit for a range of sizes (runtime/AotRange.h) and the rewrite
// that passes a template's table as a parameter (runtime/TableThreading.h),
// on small hand-written units; tests/aot/aot_range.sh runs real ones.
#include "ir/Error.h"
#include "runtime/AotRange.h"
#include "runtime/TableThreading.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

/// A unit in the form gradc emits, its size-dependent literals read from
/// gc_T: a kernel, a parallel block reached through a trampoline, and
/// entry points with C linkage.
const char *kTemplate = R"(extern "C" const unsigned long long gc_T[];
// header
extern "C" __attribute__((weak)) void gradc_parallel_for(void (*)(void *, long long, long long), void *, long long);
namespace {
inline float helper(float x) { return x * 2.0f; }
}
struct k0_args {
  float *p0;
};
static inline void k0_blocks(float *p0, long long b0, long long b1) {
for (long long i = b0 * ((long long)gc_T[0]); i < b1 * ((long long)gc_T[0]); ++i) p0[i] = helper(p0[i]);
}
static __attribute__((noinline)) void k0_block(void *args, long long b0, long long b1) {
const k0_args *a = (const k0_args *)args;
k0_blocks(a->p0, b0, b1);
}
static void k0(float *p0) {
k0_args args = {p0};
if (gradc_parallel_for) gradc_parallel_for(k0_block, &args, 4LL);
else k0_block(&args, 0, 4LL);
}
static void k1(float *p0) { p0[0] = 1.0f; }
extern "C" unsigned long long g_fwd_bwd(const void *const *in, void *const *out) {
  k0((float *)out[0]);
  k1((float *)out[0]);
  (void)in;
  return 0;
}
extern "C" unsigned long long g_fused_workspace_bytes(void) { return (gc_T[1]); }
extern "C" unsigned long long g_context_bytes(void) { return 64ULL; }
)";

TEST(TableThreading, PassesTheTableToEveryFunctionThatReadsIt) {
  std::string out = threadTableParameter(kTemplate);
  // No global table is declared or defined.
  EXPECT_EQ(out.find("extern \"C\" const unsigned long long gc_T"), std::string::npos);
  // The block function takes it; the trampoline finds it in its struct,
  // which the kernel fills.
  EXPECT_NE(out.find("void k0_blocks(const unsigned long long *gc_T, float *p0,"),
            std::string::npos);
  EXPECT_NE(out.find("struct k0_args { const unsigned long long *gc_T;"), std::string::npos);
  EXPECT_NE(out.find("k0_blocks(a->gc_T, a->p0, b0, b1);"), std::string::npos);
  EXPECT_NE(out.find("k0_args args = {gc_T, p0};"), std::string::npos);
  EXPECT_NE(out.find("static void k0(const unsigned long long *gc_T, float *p0)"),
            std::string::npos);
  // The trampoline keeps the thread pool's signature.
  EXPECT_NE(out.find("void k0_block(void *args, long long b0, long long b1)"), std::string::npos);
  EXPECT_NE(out.find("gradc_parallel_for(k0_block, &args, 4LL)"), std::string::npos);
  // A function that needs nothing of it is left alone, and so is helper.
  EXPECT_NE(out.find("static void k1(float *p0)"), std::string::npos);
  EXPECT_NE(out.find("k1((float *)out[0]);"), std::string::npos);
  EXPECT_NE(out.find("inline float helper(float x)"), std::string::npos);
  // Entry points become static and all take it, used or not.
  EXPECT_NE(out.find("static unsigned long long g_fwd_bwd(const unsigned long long *gc_T, "
                     "const void *const *in"),
            std::string::npos);
  EXPECT_NE(out.find("k0(gc_T, (float *)out[0]);"), std::string::npos);
  EXPECT_NE(out.find("static unsigned long long g_fused_workspace_bytes(const unsigned long "
                     "long *gc_T) { return (gc_T[1]); }"),
            std::string::npos);
  EXPECT_NE(out.find("static unsigned long long g_context_bytes([[maybe_unused]] const "
                     "unsigned long long *gc_T) { return 64ULL; }"),
            std::string::npos);
  // The weak declaration of the thread pool keeps its C linkage.
  EXPECT_NE(out.find("extern \"C\" __attribute__((weak)) void gradc_parallel_for"),
            std::string::npos);
}

TEST(TableThreading, LocalBlockStructsOfOneNameInTwoKernels) {
  // codegen/ParallelBlocks.cpp's form; the forward and the backward copy of
  // a kernel each define `struct conv8` and `conv8_args` of their own.
  std::string kernel = R"(
  struct conv8_args {
    float *p0;
  };
  struct conv8 {
    static inline void blocks(float *__restrict__ p0, long long b0, long long b1) {
      for (long long i = b0; i < b1 * ((long long)gc_T[0]); ++i) p0[i] = 0;
    }
    static void run(void *args, long long b0, long long b1) {
      const conv8_args *a = (const conv8_args *)args;
      blocks(a->p0, b0, b1);
    }
  };
  conv8_args conv8_a = {p0};
  if (gradc_parallel_for) gradc_parallel_for(conv8::run, &conv8_a, 4LL);
  else conv8::run(&conv8_a, 0, 4LL);
}
)";
  std::string out = threadTableParameter("static void k0(float *p0) {" + kernel +
                                         "static void k0b(float *p0) {" + kernel);
  auto count = [&](const std::string &s) {
    size_t n = 0;
    for (size_t at = out.find(s); at != std::string::npos; at = out.find(s, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("struct conv8_args { const unsigned long long *gc_T;"), 2u) << out;
  EXPECT_EQ(count("static inline void blocks(const unsigned long long *gc_T, float"), 2u);
  EXPECT_EQ(count("blocks(a->gc_T, a->p0, b0, b1);"), 2u);
  EXPECT_EQ(count("conv8_args conv8_a = {gc_T, p0};"), 2u);
  EXPECT_EQ(count("static void run(void *args, long long b0, long long b1)"), 2u);
  EXPECT_EQ(count("(const unsigned long long *gc_T, float *p0) {"), 2u);
}

TEST(TableThreading, RefusesReadsNoParameterReaches) {
  // A file-scope initializer.
  EXPECT_THROW(threadTableParameter("static const long long n = (long long)gc_T[0];\n"),
               Error);
  // A function called through a pointer that has no argument struct.
  EXPECT_THROW(threadTableParameter("static void f(void *p) { ((long long *)p)[0] = gc_T[0]; }\n"
                                    "static void g() { void (*q)(void *) = f; q(nullptr); }\n"),
               Error);
  // An entry point whose address is taken.
  EXPECT_THROW(threadTableParameter("extern \"C\" unsigned long long e(void) { return gc_T[0]; }\n"
                                    "static void *p() { return (void *)e; }\n"),
               Error);
}

/// A unit whose structure is `structure` (a loop more or less) and whose
/// trip count is `n`, with the entry points a range unit calls.
GeneratedModule unit(int structure, int64_t n) {
  GeneratedModule m;
  m.info.symbolPrefix = "g";
  m.info.graphName = "g";
  std::string body;
  for (int k = 0; k <= structure; ++k)
    body += "for (long long i = 0; i < " + std::to_string(n) + "LL; ++i) p[i] += 1.0f;\n";
  m.source = "// Generated by gradc from graph 'g'.\n"
             "static void k(float *p) {\n" + body + "}\n";
  for (const char *e : {"fwd_bwd", "forward", "backward"})
    m.source += std::string("extern \"C\" unsigned long long g_") + e +
                "(void *w) { k((float *)w); return 0; }\n";
  for (const char *e : {"fused_workspace_bytes", "context_bytes", "workspace_bytes"})
    m.source += std::string("extern \"C\" unsigned long long g_") + e + "(void) { return " +
                std::to_string(4 * n) + "ULL; }\n";
  return m;
}

TEST(AotRange, SizesOfOneStructureShareOneTemplate) {
  AotRangeModule m = buildAotRange({{"B", 2, 9}}, [](const SizeBinding &s) {
    return unit(0, s.at("B"));
  });
  ASSERT_EQ(m.slots.size(), 1u);
  EXPECT_EQ(m.bindings[0], 8u);
  // The trip count and the byte sizes (4 B, three times, one shared slot).
  EXPECT_EQ(m.slots[0], 2u);
  EXPECT_NE(m.source.find("return (gc_T[1]); }"), std::string::npos);
  EXPECT_EQ(m.source.find("gc_T[2]"), std::string::npos);
  EXPECT_NE(m.source.find("namespace gc_r0 {"), std::string::npos);
  EXPECT_EQ(m.source.find("namespace gc_r1 {"), std::string::npos);
  // Row r (B = 2 + r): 2 + r, then 4 B.
  EXPECT_NE(m.source.find("2ULL, 8ULL, 3ULL, 12ULL, 4ULL, 16ULL, 5ULL, 20ULL,"),
            std::string::npos);
  EXPECT_NE(m.source.find("const long long gc_size_lo[1] = {\n2LL,"), std::string::npos);
}

TEST(AotRange, StructuresBecomeTemplatesUpToTheCap) {
  // Three structures over B = 1..6 (a new one at 3 and at 5).
  auto gen = [](const SizeBinding &s) { return unit((s.at("B") - 1) / 2, s.at("B")); };
  AotRangeModule m = buildAotRange({{"B", 1, 6}}, gen);
  ASSERT_EQ(m.slots.size(), 3u);
  EXPECT_EQ(m.bindings, (std::vector<size_t>{2, 2, 2}));
  EXPECT_NE(m.source.find("const unsigned char gc_which[6] = {\n0, 0, 1, 1, 2, 2,"),
            std::string::npos);
  AotRangeOptions two;
  two.maxTemplates = 2;
  try {
    buildAotRange({{"B", 1, 6}}, gen, two);
    FAIL() << "three structures passed a cap of two";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("--size B=1..6: the code of these sizes has more "
                                         "than 2 structures (a new one from B=5)"),
              std::string::npos)
        << e.what();
  }
}

TEST(AotRange, BindingsAreRowMajorInTheOrderOfTheRanges) {
  std::vector<SizeBinding> seen;
  buildAotRange({{"B", 1, 2}, {"T", 5, 7}}, [&](const SizeBinding &s) {
    seen.push_back(s);
    return unit(0, s.at("B") * s.at("T"));
  });
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[0], (SizeBinding{{"B", 1}, {"T", 5}}));
  EXPECT_EQ(seen[1], (SizeBinding{{"B", 1}, {"T", 6}}));
  EXPECT_EQ(seen[3], (SizeBinding{{"B", 2}, {"T", 5}}));
}

TEST(AotRange, RefusesBadRangesNamingTheFlag) {
  auto gen = [](const SizeBinding &s) { return unit(0, s.at("B")); };
  auto message = [&](std::vector<SizeRange> r) {
    try {
      buildAotRange(r, gen);
    } catch (const Error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{"B", 4, 2}}),
            "--size B=4..2: the range is empty (its first size is past its last)");
  EXPECT_EQ(message({{"B", -1, 2}}), "--size B=-1..2: a size must not be negative");
  EXPECT_EQ(message({{"B", 1, 100000}}),
            "--size B=1..100000: more than 4096 bindings of the sizes in one build");
  // A binding that does not load names its sizes.
  auto failing = [](const SizeBinding &s) -> GeneratedModule {
    if (s.at("B") == 3) throw Error("shape mismatch");
    return unit(0, s.at("B"));
  };
  try {
    buildAotRange({{"B", 1, 4}}, failing);
    FAIL();
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "--size B=1..4: at B=3: shape mismatch");
  }
}

} // namespace
