//===- tests/aot/CApiTest.cpp - The C API (gradc.h, libgradc.so) ----------===//
//
// Through the shared library, as a C or FFI host uses it: compile from a
// file and from strings in each format, describe inputs and outputs, run
// with the seed document's numbers (fused with and without accumulate,
// retain-graph style, explicit seeds, discarded outputs), and every error
// path: statuses and messages, never a crash.
//
//===----------------------------------------------------------------------===//
#include "gradc/gradc.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *const kSeedJson = R"({
  "name": "seed",
  "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 2], "requires_grad": true}],
  "nodes": [
    {"name": "y", "op": "add", "inputs": ["x", 2]},
    {"name": "t", "op": "mul", "inputs": ["y", "y"]},
    {"name": "z", "op": "mul", "inputs": ["t", 3]},
    {"name": "out", "op": "mean", "inputs": ["z"]},
    {"name": "n", "op": "mul", "inputs": ["x", 2], "no_grad": true}
  ],
  "outputs": ["z", "out", "n"]
})";

/// Owns a graph handle for a test.
struct Graph {
  gradc_graph *g = nullptr;
  ~Graph() { gradc_graph_free(g); }
};

struct Session {
  gradc_session *s = nullptr;
  ~Session() { gradc_session_free(s); }
};

gradc_options uncached() {
  gradc_options o;
  gradc_options_init(&o);
  o.use_cache = 0;
  return o;
}

void compileSeed(Graph &graph) {
  gradc_options o = uncached();
  ASSERT_EQ(gradc_compile_string(kSeedJson, GRADC_FORMAT_JSON, "seed.json", &o,
                                 &graph.g),
            GRADC_OK)
      << gradc_last_error();
  ASSERT_NE(graph.g, nullptr);
}

/// Buffers for the seed graph: x = ones, outputs z [2,2], out [], n [2,2].
struct SeedBuffers {
  float x[4] = {1, 1, 1, 1}, z[4] = {}, out[1] = {}, n[4] = {}, gx[4] = {};
  const void *inputs[1] = {x};
  void *outputs[3] = {z, out, n};
  void *grads[1] = {gx};
};

TEST(CApi, DescribesTheGraph) {
  Graph graph;
  compileSeed(graph);
  EXPECT_STREQ(gradc_graph_name(graph.g), "seed");
  EXPECT_STREQ(gradc_version(), GRADC_VERSION_STRING);
  ASSERT_EQ(gradc_num_inputs(graph.g), 1u);
  ASSERT_EQ(gradc_num_outputs(graph.g), 3u);
  ASSERT_EQ(gradc_num_grads(graph.g), 1u);
  gradc_tensor_info info;
  ASSERT_EQ(gradc_input_info(graph.g, 0, &info), GRADC_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, GRADC_F32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], 2);
  EXPECT_EQ(info.shape[1], 2);
  EXPECT_EQ(info.numel, 4);
  EXPECT_EQ(info.bytes, 16u);
  EXPECT_EQ(info.requires_grad, 1);
  EXPECT_EQ(info.grad_index, 0);
  ASSERT_EQ(gradc_output_info(graph.g, 1, &info), GRADC_OK);
  EXPECT_STREQ(info.name, "out");
  EXPECT_EQ(info.rank, 0);
  EXPECT_EQ(info.numel, 1);
  EXPECT_EQ(info.requires_grad, 1);
  EXPECT_EQ(info.grad_index, -1);
  ASSERT_EQ(gradc_output_info(graph.g, 2, &info), GRADC_OK);
  EXPECT_STREQ(info.name, "n");
  EXPECT_EQ(info.requires_grad, 0); // computed under no_grad
  EXPECT_EQ(gradc_input_index(graph.g, "x"), 0);
  EXPECT_EQ(gradc_output_index(graph.g, "out"), 1);
  EXPECT_EQ(gradc_output_index(graph.g, "nope"), -1);
  EXPECT_EQ(gradc_input_index(graph.g, nullptr), -1);
}

TEST(CApi, RunsTheSeedDocument) {
  Graph graph;
  compileSeed(graph);
  Session session;
  ASSERT_EQ(gradc_session_create(graph.g, &session.s), GRADC_OK);
  SeedBuffers b;
  // out.backward(): the NULL seeds array picks the scalar root 'out'.
  ASSERT_EQ(gradc_run(session.s, b.inputs, b.outputs, b.grads, nullptr, 0),
            GRADC_OK)
      << gradc_last_error();
  EXPECT_FLOAT_EQ(b.out[0], 27);
  for (float v : b.z) EXPECT_FLOAT_EQ(v, 27);
  for (float v : b.n) EXPECT_FLOAT_EQ(v, 2);
  for (float v : b.gx) EXPECT_FLOAT_EQ(v, 4.5f);
  // z.backward([[0.1, 1], [1, 1]]) accumulating: [[6.3, 22.5], ...].
  float seedZ[4] = {0.1f, 1, 1, 1};
  const void *seeds[3] = {seedZ, nullptr, nullptr};
  ASSERT_EQ(gradc_forward(session.s, b.inputs, b.outputs), GRADC_OK);
  ASSERT_EQ(gradc_backward(session.s, b.grads, seeds, GRADC_ACCUMULATE),
            GRADC_OK)
      << gradc_last_error();
  EXPECT_NEAR(b.gx[0], 6.3f, 1e-5);
  EXPECT_NEAR(b.gx[1], 22.5f, 1e-5);
  // out.backward() again on the same forward: [[10.8, 27], ...].
  ASSERT_EQ(gradc_backward(session.s, b.grads, nullptr, GRADC_ACCUMULATE),
            GRADC_OK);
  EXPECT_NEAR(b.gx[0], 10.8f, 1e-5);
  EXPECT_NEAR(b.gx[3], 27.0f, 1e-5);
  // x.grad = None; out.backward(): 4.5 again.
  ASSERT_EQ(gradc_run(session.s, b.inputs, b.outputs, b.grads, nullptr, 0),
            GRADC_OK);
  for (float v : b.gx) EXPECT_FLOAT_EQ(v, 4.5f);
  // Fused with accumulate adds: 9.
  ASSERT_EQ(gradc_run(session.s, b.inputs, b.outputs, b.grads, nullptr,
                      GRADC_ACCUMULATE),
            GRADC_OK);
  for (float v : b.gx) EXPECT_FLOAT_EQ(v, 9.0f);
}

TEST(CApi, DiscardedOutputsAndSkippedGradients) {
  Graph graph;
  compileSeed(graph);
  Session session;
  ASSERT_EQ(gradc_session_create(graph.g, &session.s), GRADC_OK);
  SeedBuffers b;
  void *onlyOut[3] = {nullptr, b.out, nullptr};
  ASSERT_EQ(gradc_run(session.s, b.inputs, onlyOut, nullptr, nullptr, 0),
            GRADC_OK)
      << gradc_last_error();
  EXPECT_FLOAT_EQ(b.out[0], 27);
  for (float v : b.gx) EXPECT_FLOAT_EQ(v, 0); // grads skipped
  ASSERT_EQ(gradc_run(session.s, b.inputs, nullptr, b.grads, nullptr, 0),
            GRADC_OK);
  for (float v : b.gx) EXPECT_FLOAT_EQ(v, 4.5f);
}

TEST(CApi, CompilesFilesAndEveryFormat) {
  gradc_options o = uncached();
  Graph fromFile;
  ASSERT_EQ(gradc_compile_file(GRADC_SOURCE_DIR "/examples/seed.json", &o,
                               &fromFile.g),
            GRADC_OK)
      << gradc_last_error();
  EXPECT_EQ(gradc_num_outputs(fromFile.g), 3u);
  Graph fromIR;
  const char *ir = "graph \"sq\" {\n"
                   "  %x = input() {requires_grad = true} : f64[3]\n"
                   "  %y = mul(%x, %x) : f64[3]\n"
                   "  %s = sum(%y) : f64[]\n"
                   "  output \"s\" = %s\n"
                   "}\n";
  ASSERT_EQ(gradc_compile_string(ir, GRADC_FORMAT_IR, "sq.gir", &o, &fromIR.g),
            GRADC_OK)
      << gradc_last_error();
  Session session;
  ASSERT_EQ(gradc_session_create(fromIR.g, &session.s), GRADC_OK);
  double x[3] = {1, -2, 3}, s = 0, gx[3] = {};
  const void *in[1] = {x};
  void *out[1] = {&s};
  void *grads[1] = {gx};
  ASSERT_EQ(gradc_run(session.s, in, out, grads, nullptr, 0), GRADC_OK)
      << gradc_last_error();
  EXPECT_DOUBLE_EQ(s, 14);
  EXPECT_DOUBLE_EQ(gx[1], -4); // d/dx sum(x^2) = 2x
}

TEST(CApi, JvpOfTheSeedExample) {
  // examples/seed.json in forward mode: inputs x, tangent:x; outputs y, z,
  // out, then their tangents. dz = 6 (x + 2) dx = 18 dx at x = 1.
  gradc_options o = uncached();
  Graph jvp;
  ASSERT_EQ(gradc_compile_jvp_file(GRADC_SOURCE_DIR "/examples/seed.json", &o, &jvp.g),
            GRADC_OK)
      << gradc_last_error();
  EXPECT_STREQ(gradc_graph_name(jvp.g), "seed_jvp");
  ASSERT_EQ(gradc_num_inputs(jvp.g), 2u);
  ASSERT_EQ(gradc_num_outputs(jvp.g), 6u);
  EXPECT_EQ(gradc_num_grads(jvp.g), 0u);
  int tx = gradc_input_index(jvp.g, "tangent:x"), tz = gradc_output_index(jvp.g, "tangent:z");
  int tout = gradc_output_index(jvp.g, "tangent:out");
  ASSERT_GE(tx, 0);
  ASSERT_GE(tz, 0);
  ASSERT_GE(tout, 0);
  Session session;
  ASSERT_EQ(gradc_session_create(jvp.g, &session.s), GRADC_OK);
  float x[4] = {1, 1, 1, 1}, dx[4] = {1, 0, 0, 2};
  float vals[6][4] = {};
  const void *in[2];
  in[gradc_input_index(jvp.g, "x")] = x;
  in[tx] = dx;
  void *out[6];
  for (int k = 0; k < 6; ++k) out[k] = vals[k];
  ASSERT_EQ(gradc_run(session.s, in, out, nullptr, nullptr, 0), GRADC_OK)
      << gradc_last_error();
  EXPECT_FLOAT_EQ(vals[tz][0], 18);
  EXPECT_FLOAT_EQ(vals[tz][1], 0);
  EXPECT_FLOAT_EQ(vals[tz][3], 36);
  EXPECT_FLOAT_EQ(vals[tout][0], 13.5f); // mean of dz
}

TEST(CApi, CompileErrorsHaveMessages) {
  gradc_options o = uncached();
  gradc_graph *g = reinterpret_cast<gradc_graph *>(0x1);
  EXPECT_EQ(gradc_compile_string("{", GRADC_FORMAT_JSON, "broken.json", &o, &g),
            GRADC_ERROR);
  EXPECT_EQ(g, nullptr);
  EXPECT_NE(std::string(gradc_last_error()).find("broken.json"),
            std::string::npos)
      << gradc_last_error();
  EXPECT_EQ(gradc_compile_file("/nonexistent/graph.json", &o, &g), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("/nonexistent/graph.json"),
            std::string::npos)
      << gradc_last_error();
  EXPECT_EQ(gradc_compile_file("graph.txt", &o, &g), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("unknown graph format"),
            std::string::npos);
  EXPECT_EQ(gradc_compile_string(kSeedJson, static_cast<gradc_format>(7),
                                 nullptr, &o, &g),
            GRADC_INVALID_ARGUMENT);
  EXPECT_EQ(gradc_compile_file(nullptr, &o, &g), GRADC_INVALID_ARGUMENT);
  EXPECT_EQ(gradc_compile_string(kSeedJson, GRADC_FORMAT_JSON, nullptr, &o,
                                 nullptr),
            GRADC_INVALID_ARGUMENT);
  gradc_options bad = uncached();
  bad.opt_level = 9;
  EXPECT_EQ(gradc_compile_string(kSeedJson, GRADC_FORMAT_JSON, nullptr, &bad, &g),
            GRADC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(gradc_last_error()).find("opt_level"), std::string::npos);
  bad = uncached();
  bad.size = 4; // an options struct from a program that did not init it
  EXPECT_EQ(gradc_compile_string(kSeedJson, GRADC_FORMAT_JSON, nullptr, &bad, &g),
            GRADC_INVALID_ARGUMENT);
  bad = uncached();
  bad.cpu = "no-such-cpu";
  EXPECT_EQ(gradc_compile_string(kSeedJson, GRADC_FORMAT_JSON, nullptr, &bad, &g),
            GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("no-such-cpu"),
            std::string::npos);
}

TEST(CApi, RunErrorsHaveMessages) {
  Graph graph;
  compileSeed(graph);
  Session session;
  ASSERT_EQ(gradc_session_create(graph.g, &session.s), GRADC_OK);
  SeedBuffers b;
  EXPECT_EQ(gradc_run(nullptr, b.inputs, b.outputs, b.grads, nullptr, 0),
            GRADC_INVALID_ARGUMENT);
  EXPECT_EQ(gradc_run(session.s, nullptr, b.outputs, b.grads, nullptr, 0),
            GRADC_INVALID_ARGUMENT);
  const void *nullInput[1] = {nullptr};
  EXPECT_EQ(gradc_run(session.s, nullInput, b.outputs, b.grads, nullptr, 0),
            GRADC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(gradc_last_error()).find("'x'"), std::string::npos)
      << gradc_last_error();
  EXPECT_EQ(gradc_run(session.s, b.inputs, b.outputs, b.grads, nullptr, 6),
            GRADC_INVALID_ARGUMENT);
  // 'n' is computed under no_grad: it cannot be a root.
  float seedN[4] = {1, 1, 1, 1};
  const void *badSeeds[3] = {nullptr, nullptr, seedN};
  EXPECT_EQ(gradc_run(session.s, b.inputs, b.outputs, b.grads, badSeeds, 0),
            GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("does not require grad"),
            std::string::npos)
      << gradc_last_error();
  // Seeds that name no root: PyTorch's backward of nothing raises; this
  // used to return GRADC_OK with every gradient left zero.
  const void *noSeeds[3] = {nullptr, nullptr, nullptr};
  EXPECT_EQ(gradc_run(session.s, b.inputs, b.outputs, b.grads, noSeeds, 0),
            GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("no backward root"),
            std::string::npos)
      << gradc_last_error();
  ASSERT_EQ(gradc_forward(session.s, b.inputs, b.outputs), GRADC_OK);
  EXPECT_EQ(gradc_backward(session.s, b.grads, noSeeds, 0), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("no backward root"),
            std::string::npos);
  // backward needs a forward, and a run ends the forward's context.
  Session fresh;
  ASSERT_EQ(gradc_session_create(graph.g, &fresh.s), GRADC_OK);
  EXPECT_EQ(gradc_backward(fresh.s, b.grads, nullptr, 0), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("gradc_forward"),
            std::string::npos);
  ASSERT_EQ(gradc_forward(fresh.s, b.inputs, b.outputs), GRADC_OK);
  ASSERT_EQ(gradc_run(fresh.s, b.inputs, b.outputs, b.grads, nullptr, 0),
            GRADC_OK);
  EXPECT_EQ(gradc_backward(fresh.s, b.grads, nullptr, 0), GRADC_ERROR);
  gradc_tensor_info info;
  EXPECT_EQ(gradc_input_info(graph.g, 1, &info), GRADC_INVALID_ARGUMENT);
  EXPECT_EQ(gradc_output_info(graph.g, 3, &info), GRADC_INVALID_ARGUMENT);
  EXPECT_EQ(gradc_output_info(nullptr, 0, &info), GRADC_INVALID_ARGUMENT);
  EXPECT_EQ(gradc_session_create(nullptr, &fresh.s), GRADC_INVALID_ARGUMENT);
  // Freeing NULL handles is allowed.
  gradc_graph_free(nullptr);
  gradc_session_free(nullptr);
}

TEST(CApi, ErrorsArePerThread) {
  gradc_options o = uncached();
  gradc_graph *g = nullptr;
  EXPECT_EQ(gradc_compile_string("{", GRADC_FORMAT_JSON, "main.json", &o, &g),
            GRADC_ERROR);
  std::string other;
  std::thread t([&] { other = gradc_last_error(); });
  t.join();
  EXPECT_EQ(other, "");
  EXPECT_NE(std::string(gradc_last_error()), "");
}

} // namespace

namespace {

// An embedding whose index comes from the caller: an index out of range is
// GRADC_ERROR with a message naming the node and the value, from
// gradc_run and gradc_forward, and the session works again afterwards.
TEST(CApi, AnIndexOutOfRangeIsAnError) {
  const char *json = R"({"name": "emb", "inputs": [
      {"name": "idx", "dtype": "i64", "shape": [2]},
      {"name": "w", "shape": [3, 2], "requires_grad": true}],
    "nodes": [{"name": "e", "op": "embedding", "inputs": ["idx", "w"]},
              {"name": "out", "op": "sum", "inputs": ["e"]}],
    "outputs": ["out"]})";
  Graph graph;
  gradc_options o = uncached();
  ASSERT_EQ(gradc_compile_string(json, GRADC_FORMAT_JSON, "emb.json", &o, &graph.g),
            GRADC_OK)
      << gradc_last_error();
  Session session;
  ASSERT_EQ(gradc_session_create(graph.g, &session.s), GRADC_OK) << gradc_last_error();
  long long idx[2] = {2, 3};
  float w[6] = {1, 2, 3, 4, 5, 6}, out = 0, gw[6] = {0};
  const void *inputs[2] = {idx, w};
  void *outputs[1] = {&out};
  void *grads[1] = {gw};
  EXPECT_EQ(gradc_run(session.s, inputs, outputs, grads, nullptr, 0), GRADC_ERROR);
  EXPECT_STREQ(gradc_last_error(), "index 3 out of range [0, 3) in node 'e'");
  EXPECT_EQ(gradc_forward(session.s, inputs, outputs), GRADC_ERROR);
  EXPECT_STREQ(gradc_last_error(), "index 3 out of range [0, 3) in node 'e'");
  // No context after the failed forward.
  EXPECT_EQ(gradc_backward(session.s, grads, nullptr, 0), GRADC_ERROR);
  idx[1] = 0;
  ASSERT_EQ(gradc_run(session.s, inputs, outputs, grads, nullptr, 0), GRADC_OK)
      << gradc_last_error();
  EXPECT_FLOAT_EQ(out, 5 + 6 + 1 + 2);
  EXPECT_FLOAT_EQ(gw[0], 1);
  EXPECT_FLOAT_EQ(gw[2], 0);
  EXPECT_FLOAT_EQ(gw[4], 1);
}

} // namespace

// A graph file with a size variable: the graph of each binding comes from
// the shapes the caller will pass, is compiled once, and runs at its size.
TEST(CApi, FamilyBindsSizesFromShapes) {
  std::string path = ::testing::TempDir() + "/capi_family_seed.json";
  {
    FILE *f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::string text = kSeedJson;
    text.replace(text.find("[2, 2]"), 6, "[\"N\", 2]");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  gradc_options o = uncached();
  gradc_family *family = nullptr;
  ASSERT_EQ(gradc_family_open(path.c_str(), &o, &family), GRADC_OK) << gradc_last_error();
  ASSERT_EQ(gradc_family_num_sizes(family), 1u);
  EXPECT_STREQ(gradc_family_size_name(family, 0), "N");
  EXPECT_EQ(gradc_family_size_name(family, 1), nullptr);
  const char *names[1] = {"x"};
  for (int64_t n : {3, 1, 3}) {
    int64_t shape[2] = {n, 2};
    const int64_t *shapes[1] = {shape};
    int ranks[1] = {2};
    const gradc_graph *g = nullptr;
    ASSERT_EQ(gradc_family_graph(family, 1, names, ranks, shapes, nullptr, &g), GRADC_OK)
        << gradc_last_error();
    gradc_tensor_info info;
    ASSERT_EQ(gradc_output_info(g, 0, &info), GRADC_OK);
    EXPECT_EQ(info.shape[0], n);
    Session session;
    ASSERT_EQ(gradc_session_create(g, &session.s), GRADC_OK);
    std::vector<float> x(2 * n, 1.f), z(2 * n), gx(2 * n), nn(2 * n);
    float out = 0;
    const void *in[1] = {x.data()};
    void *outs[3] = {z.data(), &out, nn.data()};
    void *grads[1] = {gx.data()};
    ASSERT_EQ(gradc_run(session.s, in, outs, grads, nullptr, 0), GRADC_OK)
        << gradc_last_error();
    EXPECT_FLOAT_EQ(out, 27);
    // d mean(3 (x + 2)^2) / dx = 6 (x + 2) / numel = 18 / (2 n).
    for (float v : gx) EXPECT_FLOAT_EQ(v, 18.f / (2 * n));
    gradc_graph_free(const_cast<gradc_graph *>(g)); // the family's: a no-op
  }
  // N = 3 compiled a code template that N = 1 shares (the loops of this
  // elementwise graph collapse to one flat loop at either size).
  EXPECT_EQ(gradc_family_compile_count(family), 1u);
  // Errors: explicit and shape sizes disagree; a negative explicit size.
  int64_t shape[2] = {3, 2};
  const int64_t *shapes[1] = {shape};
  int ranks[1] = {2};
  const gradc_graph *g = nullptr;
  EXPECT_EQ(gradc_family_graph(family, 1, names, ranks, shapes, "N=4", &g), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("size 'N' is bound to two values"),
            std::string::npos) << gradc_last_error();
  EXPECT_EQ(gradc_family_graph(family, 0, nullptr, nullptr, nullptr, "N=-1", &g), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("must not be negative"), std::string::npos);
  EXPECT_EQ(gradc_family_graph(family, 0, nullptr, nullptr, nullptr, nullptr, &g), GRADC_ERROR);
  EXPECT_NE(std::string(gradc_last_error()).find("size 'N' is not bound"), std::string::npos);
  EXPECT_EQ(gradc_family_compile_count(family), 1u);
  gradc_family_free(family);
  std::remove(path.c_str());
}
