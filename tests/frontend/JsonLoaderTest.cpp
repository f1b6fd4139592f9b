//===- tests/frontend/JsonLoaderTest.cpp - The JSON graph loader ----------===//
#include "frontend/GraphBuilder.h"
#include "frontend/JsonLoader.h"
#include "ir/Error.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <functional>

using namespace gradc;

namespace {

/// The example of DESIGN.md, "JSON graph format (normative)".
const char *kDesignExample = R"({
  "name": "seed",
  "inputs": [
    {"name": "x", "dtype": "f32", "shape": [2, 2], "requires_grad": true, "init": "ones"}
  ],
  "nodes": [
    {"name": "y",   "op": "add",  "inputs": ["x", 2]},
    {"name": "t",   "op": "mul",  "inputs": ["y", "y"]},
    {"name": "z",   "op": "mul",  "inputs": ["t", 3]},
    {"name": "out", "op": "mean", "inputs": ["z"]},
    {"name": "s",   "op": "sum",  "inputs": ["z"], "attrs": {"dim": [1], "keepdim": true}},
    {"name": "w",   "op": "pow",  "inputs": ["x", 2], "no_grad": true}
  ],
  "outputs": ["out", "z"]
})";

std::unique_ptr<Graph> load(const std::string &text) {
  return loadJsonGraph(text, "g.json");
}

/// The message of the gradc::Error that loading `text` throws.
std::string errorOf(const std::string &text) {
  try {
    load(text);
  } catch (const Error &e) {
    return e.what();
  } catch (const std::exception &e) {
    return std::string("non-gradc exception: ") + e.what();
  }
  return "<no error>";
}

/// A graph with one input `x` of `shape` and the given node lines.
std::string withNodes(const std::string &nodes,
                      const std::string &outputs = R"(["x"])",
                      const std::string &shape = "[2, 3]") {
  return R"({"inputs": [{"name": "x", "shape": )" + shape +
         R"(}], "nodes": [)" + nodes + R"(], "outputs": )" + outputs + "}";
}

/// A graph with one input whose remaining keys are `fields`.
std::string withInput(const std::string &fields) {
  return R"({"inputs": [{"name": "x", )" + fields +
         R"(}], "outputs": ["x"]})";
}

InputInit initOf(const std::string &fields) {
  auto g = load(withInput(fields));
  return inputInit(*g->inputs()[0]);
}

#define EXPECT_ERROR(text, expected)                                           \
  EXPECT_EQ(errorOf(text), std::string(expected))

} // namespace

//===--- The normative example and basic lowering -------------------------===//

TEST(JsonLoader, DesignExample) {
  auto g = loadJsonGraph(kDesignExample, "examples/seed.json");
  EXPECT_EQ(printGraph(*g), R"(graph "seed" {
  %x = input() {init = "ones", requires_grad = true} : f32[2,2]
  %0 = constant() {value = 2.0} : f32[]
  %y = add(%x, %0) : f32[2,2]
  %t = mul(%y, %y) : f32[2,2]
  %1 = constant() {value = 3.0} : f32[]
  %z = mul(%t, %1) : f32[2,2]
  %out = mean(%z) : f32[]
  %s = sum(%z) {dim = [1], keepdim = true} : f32[2,1]
  %2 = constant() {no_grad = true, value = 2.0} : f32[]
  %w = pow(%x, %2) {no_grad = true} : f32[2,2]
  output "out" = %out
  output "z" = %z
}
)");
}

TEST(JsonLoader, NameDefaultsToFileStem) {
  auto g = loadJsonGraph(R"({"inputs": [{"name": "x", "shape": []}],
                             "outputs": ["x"]})",
                         "some/dir/my.model.json");
  EXPECT_EQ(g->name(), "my.model");
  EXPECT_EQ(load(R"({"name": "n", "outputs": ["x"],
                     "inputs": [{"name": "x", "shape": []}]})")->name(), "n");
}

TEST(JsonLoader, DTypesAndDefaults) {
  auto g = load(R"({"inputs": [
      {"name": "a", "shape": [2]},
      {"name": "b", "dtype": "f64", "shape": [], "requires_grad": false},
      {"name": "c", "dtype": "i32", "shape": [1, 0]},
      {"name": "d", "dtype": "i64", "shape": [3]}],
    "outputs": ["a"]})");
  auto in = g->inputs();
  ASSERT_EQ(in.size(), 4u);
  EXPECT_EQ(in[0]->type.str(), "f32[2]");
  EXPECT_EQ(in[1]->type.str(), "f64[]");
  EXPECT_EQ(in[2]->type.str(), "i32[1,0]");
  EXPECT_EQ(in[3]->type.str(), "i64[3]");
  EXPECT_TRUE(in[0]->attrs.empty());
  EXPECT_TRUE(in[1]->attrs.empty());
}

TEST(JsonLoader, LiteralsTakeTheOperandDType) {
  auto g = load(R"({"inputs": [{"name": "x", "dtype": "f64", "shape": [2]}],
    "nodes": [{"name": "y", "op": "mul", "inputs": [0.5, "x"]},
              {"name": "z", "op": "add", "inputs": [1, 2]}],
    "outputs": ["y", "z"]})");
  EXPECT_EQ(printGraph(*g), R"(graph "g" {
  %x = input() : f64[2]
  %0 = constant() {value = 0.5} : f64[]
  %y = mul(%0, %x) : f64[2]
  %1 = constant() {value = 1.0} : f32[]
  %2 = constant() {value = 2.0} : f32[]
  %z = add(%1, %2) : f32[]
  output "y" = %y
  output "z" = %z
}
)");
}

TEST(JsonLoader, AttributeKinds) {
  auto g = load(withNodes(R"(
    {"name": "a", "op": "sum", "inputs": ["x"], "attrs": {"dim": -1, "keepdim": false}},
    {"name": "b", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [3, -1]}},
    {"name": "c", "op": "transpose", "inputs": ["x"], "attrs": {"dim0": 0, "dim1": 1}},
    {"name": "d", "op": "slice", "inputs": ["x"], "attrs": {"dim": 1, "start": 1}},
    {"name": "e", "op": "mse_loss", "inputs": ["x", "x"], "attrs": {"reduction": "sum"}})",
                          R"(["a", "b", "c", "d", "e"])"));
  const auto &n = g->nodes();
  EXPECT_EQ(attrToString(n[1]->attrs.at("dim")), "[1]");
  EXPECT_EQ(attrToString(n[1]->attrs.at("keepdim")), "false");
  EXPECT_EQ(n[2]->type.str(), "f32[3,2]");
  EXPECT_EQ(n[3]->type.str(), "f32[3,2]");
  EXPECT_EQ(n[4]->type.str(), "f32[2,2]");
  EXPECT_EQ(attrToString(n[5]->attrs.at("reduction")), "\"sum\"");
  // A list with a float is a list of doubles; the shape rule then objects.
  EXPECT_ERROR(withNodes(R"({"name": "s", "op": "sum", "inputs": ["x"],
                              "attrs": {"dim": [0, 1.5]}})"),
               "g.json: nodes[0] (\"s\"): sum: attribute 'dim' must be an "
               "integer or a list of integers");
  EXPECT_ERROR(withNodes(R"({"name": "s", "op": "sum", "inputs": ["x"],
                              "attrs": {"keepdim": 1.0}})"),
               "g.json: nodes[0] (\"s\"): sum: attribute 'keepdim' must be "
               "true or false");
}

//===--- Inputs: init forms -----------------------------------------------===//

TEST(JsonLoader, InitForms) {
  EXPECT_EQ(initOf(R"("shape": [2])").kind, InputInit::None);
  EXPECT_EQ(initOf(R"("shape": [2], "init": "zeros")").kind, InputInit::Zeros);
  EXPECT_EQ(initOf(R"("shape": [2], "init": "ones")").kind, InputInit::Ones);

  InputInit v = initOf(R"("shape": [2, 2], "init": -1.25)");
  EXPECT_EQ(v.kind, InputInit::Value);
  EXPECT_EQ(v.value, -1.25);
  EXPECT_EQ(initOf(R"("shape": [], "init": 7)").value, 7.0);

  InputInit d = initOf(R"("shape": [2, 3], "init": [[1, 2, 3], [4, 5.5, 6]])");
  EXPECT_EQ(d.kind, InputInit::Data);
  EXPECT_EQ(d.data, (std::vector<double>{1, 2, 3, 4, 5.5, 6}));
  EXPECT_EQ(initOf(R"("shape": [3], "init": [1, 2, 3])").data,
            (std::vector<double>{1, 2, 3}));
  InputInit empty = initOf(R"("shape": [2, 0], "init": [[], []])");
  EXPECT_EQ(empty.kind, InputInit::Data);
  EXPECT_TRUE(empty.data.empty());
  EXPECT_EQ(initOf(R"("shape": [0, 5], "init": [])").kind, InputInit::Data);

  InputInit rn = initOf(R"("shape": [4], "init": {"randn": 42})");
  EXPECT_EQ(rn.kind, InputInit::Randn);
  EXPECT_EQ(rn.seed, 42);
  InputInit ru = initOf(R"("shape": [4], "init": {"rand": 0})");
  EXPECT_EQ(ru.kind, InputInit::Rand);
  EXPECT_EQ(ru.seed, 0);
  EXPECT_EQ(initOf(R"("shape": [4], "init": {"rand": -3})").seed, -3);
}

TEST(JsonLoader, InitErrors) {
  EXPECT_ERROR(withInput(R"("shape": [2, 3], "init": [[1, 2, 3], [4, 5]])"),
               "g.json: inputs[0] (\"x\").init[1]: expected 3 elements "
               "(dimension 1 of the shape [2, 3]), got 2");
  EXPECT_ERROR(withInput(R"("shape": [2, 3], "init": [1, 2, 3, 4, 5, 6])"),
               "g.json: inputs[0] (\"x\").init: expected 2 elements "
               "(dimension 0 of the shape [2, 3]), got 6");
  EXPECT_ERROR(withInput(R"("shape": [2, 1], "init": [[1], 2])"),
               "g.json: inputs[0] (\"x\").init[1]: expected a list of 1 "
               "element (dimension 1 of the shape [2, 1]), got 2");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": [[1], [2]])"),
               "g.json: inputs[0] (\"x\").init[0]: expected a number (the "
               "init has the shape [2]), got a list");
  EXPECT_ERROR(withInput(R"("shape": [], "init": [1])"),
               "g.json: inputs[0] (\"x\").init: expected a number (the init "
               "has the shape []), got a list");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": [1, "2"])"),
               "g.json: inputs[0] (\"x\").init[1]: expected a number (the "
               "init has the shape [2]), got \"2\"");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": "one")"),
               "g.json: inputs[0] (\"x\").init: unknown init 'one' (did you "
               "mean 'ones'?); expected \"zeros\", \"ones\", a number, a "
               "nested list, {\"randn\": SEED} or {\"rand\": SEED}");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": "randn")"),
               "g.json: inputs[0] (\"x\").init: 'randn' needs a seed: write "
               "{\"randn\": SEED} with an integer SEED");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": {"randn": 1.5})"),
               "g.json: inputs[0] (\"x\").init.randn: the seed must be an "
               "integer, got 1.5");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": {"rand": "7"})"),
               "g.json: inputs[0] (\"x\").init.rand: the seed must be an "
               "integer, got \"7\"");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": {"rand": 99999999999999999999})"),
               "g.json: inputs[0] (\"x\").init.rand: the seed must be an "
               "integer, got 1e+20");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": {"normal": 1})"),
               "g.json: inputs[0] (\"x\").init: expected \"zeros\", \"ones\", "
               "a number, a nested list, {\"randn\": SEED} or {\"rand\": SEED}");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": {"randn": 1, "rand": 2})"),
               "g.json: inputs[0] (\"x\").init: expected \"zeros\", \"ones\", "
               "a number, a nested list, {\"randn\": SEED} or {\"rand\": SEED}");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": null)"),
               "g.json: inputs[0] (\"x\").init: expected \"zeros\", \"ones\", "
               "a number, a nested list, {\"randn\": SEED} or {\"rand\": "
               "SEED}, got null");
}

//===--- Inputs: other errors ---------------------------------------------===//

TEST(JsonLoader, ShapeErrors) {
  const std::string want =
      "expected a list of non-negative integers and size variable names";
  EXPECT_ERROR(withInput(R"("shape": [2, -1])"),
               "g.json: inputs[0] (\"x\").shape: " + want +
                   " (element 1 is -1)");
  EXPECT_ERROR(withInput(R"("shape": [2.0])"),
               "g.json: inputs[0] (\"x\").shape: " + want +
                   " (element 0 is 2.0)");
  EXPECT_ERROR(withInput(R"("shape": ["2"])"),
               "g.json: inputs[0] (\"x\").shape[0]: '2' is not a size variable "
               "name (a letter or '_', then letters, digits or '_')");
  // A size variable that nothing binds names its place.
  EXPECT_ERROR(withInput(R"("shape": ["B", 2])"),
               "g.json: inputs[0] (\"x\").shape[0]: size 'B' is not bound (bind "
               "it with --size B=N, or supply this input's value)");
  EXPECT_ERROR(withInput(R"("shape": 4)"),
               "g.json: inputs[0] (\"x\").shape: " + want + ", got 4");
  EXPECT_ERROR(withInput(R"("shape": [9223372036854775808])"),
               "g.json: inputs[0] (\"x\").shape: " + want +
                   " (element 0 is 9223372036854775808)");
  EXPECT_ERROR(withInput(R"("shape": [4294967296, 4294967296])"),
               "g.json: inputs[0] (\"x\").shape: the shape [4294967296, "
               "4294967296] has too many elements (the count overflows int64)");
  EXPECT_ERROR(withInput(R"("dtype": "f32")"),
               "g.json: inputs[0] (\"x\"): missing key 'shape'");
}

TEST(JsonLoader, InputErrors) {
  EXPECT_ERROR(withInput(R"("shape": [], "dtype": "f16")"),
               "g.json: inputs[0] (\"x\").dtype: unknown dtype 'f16' (did you "
               "mean 'f32'?); expected f32, f64, i32, i64 or bool");
  EXPECT_ERROR(withInput(R"("shape": [], "dtype": 32)"),
               "g.json: inputs[0] (\"x\").dtype: expected a string, got 32");
  EXPECT_ERROR(withInput(R"("shape": [], "requires_grad": 1)"),
               "g.json: inputs[0] (\"x\").requires_grad: expected true or "
               "false, got 1");
  EXPECT_ERROR(withInput(R"("shape": [3], "dtype": "i64", "requires_grad": true)"),
               "g.json: inputs[0] (\"x\"): only floating-point inputs can "
               "require gradients (input 'x' is i64)");
  EXPECT_ERROR(R"({"inputs": [{"shape": []}], "outputs": ["x"]})",
               "g.json: inputs[0]: missing key 'name'");
  EXPECT_ERROR(R"({"inputs": [{"name": 3, "shape": []}], "outputs": ["x"]})",
               "g.json: inputs[0].name: expected a string, got 3");
  EXPECT_ERROR(R"({"inputs": [{"name": "", "shape": []}], "outputs": ["x"]})",
               "g.json: inputs[0] (\"\").name: a name must not be empty");
  EXPECT_ERROR(R"({"inputs": [{"name": "%1", "shape": []}], "outputs": ["x"]})",
               "g.json: inputs[0] (\"%1\").name: '%1' is the name of an "
               "unnamed temporary; inputs need a real name (write \"%%1\" for "
               "the literal name '%1')");
  EXPECT_ERROR(R"({"inputs": ["x"], "outputs": ["x"]})",
               "g.json: inputs[0]: expected an object, got \"x\"");
  EXPECT_ERROR(R"({"inputs": {"x": 1}, "outputs": ["x"]})",
               "g.json: inputs: expected a list of inputs, got an object");
}

//===--- Nodes --------------------------------------------------------------===//

TEST(JsonLoader, ShapeRuleErrorsNameTheNode) {
  EXPECT_ERROR(R"({"inputs": [{"name": "x", "shape": [2, 3]},
                             {"name": "v", "shape": [4]}],
                  "nodes": [{"name": "a", "op": "neg", "inputs": ["x"]},
                            {"name": "b", "op": "neg", "inputs": ["a"]},
                            {"name": "t", "op": "mul", "inputs": ["x", "v"]}],
                  "outputs": ["t"]})",
               "g.json: nodes[2] (\"t\"): mul: shapes [2, 3] and [4] cannot "
               "be broadcast together");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "add", "inputs": ["x"]})"),
               "g.json: nodes[0] (\"y\"): add takes 2 operands, got 1");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "sum", "inputs": ["x"],
                             "attrs": {"dims": [0]}})"),
               "g.json: nodes[0] (\"y\"): sum has no attribute 'dims' (it "
               "takes: dim, keepdim)");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "sum", "inputs": ["x"],
                             "attrs": {"dim": 5}})"),
               "g.json: nodes[0] (\"y\"): sum: dim 5 is out of range for a "
               "tensor of rank 2 (expected in [-2, 1])");
}

TEST(JsonLoader, UnknownOpsAndKeys) {
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "muul", "inputs": ["x", 2]})"),
               "g.json: nodes[0] (\"y\"): unknown op 'muul' (did you mean "
               "'mul'?)");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "frobnicate", "inputs": ["x"]})"),
               "g.json: nodes[0] (\"y\"): unknown op 'frobnicate'");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "input", "inputs": []})"),
               "g.json: nodes[0] (\"y\"): 'input' is not a node op: declare "
               "inputs under \"inputs\"");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "constant", "inputs": []})"),
               "g.json: nodes[0] (\"y\"): 'constant' is not a node op: write "
               "scalar constants as numbers in \"inputs\"");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": 3, "inputs": []})"),
               "g.json: nodes[0] (\"y\").op: expected a string, got 3");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inptus": ["x"]})"),
               "g.json: nodes[0] (\"y\"): unknown key 'inptus' (did you mean "
               "'inputs'?)");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["x"], "colour": 1})"),
               "g.json: nodes[0] (\"y\"): unknown key 'colour' (expected "
               "name, op, inputs, attrs, no_grad)");
  EXPECT_ERROR(withInput(R"("shape": [], "requires_gard": true)"),
               "g.json: inputs[0] (\"x\"): unknown key 'requires_gard' (did "
               "you mean 'requires_grad'?)");
  EXPECT_ERROR(R"({"inputs": [], "nodes": [], "outputs": ["x"], "output": 1})",
               "g.json: top level: unknown key 'output' (did you mean "
               "'outputs'?)");
  EXPECT_ERROR(withNodes(R"({"name": "y", "inputs": ["x"]})"),
               "g.json: nodes[0] (\"y\"): missing key 'op'");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg"})"),
               "g.json: nodes[0] (\"y\"): missing key 'inputs'");
}

TEST(JsonLoader, NodeFieldTypes) {
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "add", "inputs": ["x", true]})"),
               "g.json: nodes[0] (\"y\").inputs[1]: expected a name, a "
               "number or null, got true");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "add", "inputs": ["x", ["x"]]})"),
               "g.json: nodes[0] (\"y\").inputs[1]: expected a name, a "
               "number or null, got a list");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "add", "inputs": "x"})"),
               "g.json: nodes[0] (\"y\").inputs: expected a list of names and "
               "numbers, got \"x\"");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["x"], "attrs": [1]})"),
               "g.json: nodes[0] (\"y\").attrs: expected an object, got a list");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "sum", "inputs": ["x"],
                             "attrs": {"dim": null}})"),
               "g.json: nodes[0] (\"y\").attrs.dim: expected an integer, a "
               "number, true/false, a string, or a list of numbers, got null");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "sum", "inputs": ["x"],
                             "attrs": {"dim": [0, "1"]}})"),
               "g.json: nodes[0] (\"y\").attrs.dim: expected an integer, a "
               "number, true/false, a string, or a list of numbers (element 1 "
               "is \"1\")");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "sum", "inputs": ["x"],
                             "attrs": {"dim": 9223372036854775808}})"),
               "g.json: nodes[0] (\"y\").attrs.dim: the integer "
               "9223372036854775808 is out of range");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["x"], "no_grad": "yes"})"),
               "g.json: nodes[0] (\"y\").no_grad: expected true or false, got "
               "\"yes\"");
  EXPECT_ERROR(withNodes(R"(["neg", "x"])"),
               "g.json: nodes[0]: expected an object, got a list");
  EXPECT_ERROR(withNodes(R"({"name": ["y"], "op": "neg", "inputs": ["x"]})"),
               "g.json: nodes[0].name: expected a string, got a list");
}

//===--- Names --------------------------------------------------------------===//

TEST(JsonLoader, UndefinedNamesSuggest) {
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["x"]},
                            {"name": "w", "op": "neg", "inputs": ["y"]},
                            {"name": "v", "op": "neg", "inputs": ["w"]},
                            {"name": "z", "op": "add", "inputs": ["x", "yy"]})"),
               "g.json: nodes[3] (\"z\"): input 'yy' is not defined (did you "
               "mean 'y'?)");
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["qqqqq"]})"),
               "g.json: nodes[0] (\"y\"): input 'qqqqq' is not defined");
  // A one-letter name is not a typo of another one-letter name.
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["q"]})"),
               "g.json: nodes[0] (\"y\"): input 'q' is not defined");
  EXPECT_ERROR(withNodes(R"({"name": "out", "op": "neg", "inputs": ["x"]})",
                         R"(["outt"])"),
               "g.json: outputs[0]: 'outt' is not defined (did you mean "
               "'out'?)");
}

TEST(JsonLoader, DuplicateNamesNameBothPlaces) {
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "inputs": ["x"]},
                            {"name": "y", "op": "exp", "inputs": ["x"]})"),
               "g.json: nodes[1] (\"y\"): the name 'y' is already defined by "
               "nodes[0] (\"y\")");
  EXPECT_ERROR(withNodes(R"({"name": "x", "op": "neg", "inputs": ["x"]})"),
               "g.json: nodes[0] (\"x\"): the name 'x' is already defined by "
               "inputs[0] (\"x\")");
  EXPECT_ERROR(R"({"inputs": [{"name": "a", "shape": []},
                              {"name": "a", "shape": [1]}], "outputs": ["a"]})",
               "g.json: inputs[1] (\"a\"): the name 'a' is already defined by "
               "inputs[0] (\"a\")");
  EXPECT_ERROR(withNodes(R"({"name": "%0", "op": "neg", "inputs": ["x"]},
                            {"name": "%0", "op": "exp", "inputs": ["x"]})"),
               "g.json: nodes[1] (\"%0\"): the name '%0' is already defined "
               "by nodes[0] (\"%0\")");
}

TEST(JsonLoader, DuplicateJsonKeysAreErrors) {
  EXPECT_ERROR(withNodes(R"({"name": "y", "op": "neg", "op": "exp", "inputs": ["x"]})"),
               "g.json: nodes[0]: duplicate key 'op'");
  EXPECT_ERROR(R"({"outputs": ["x"], "outputs": ["x"]})",
               "g.json: top level: duplicate key 'outputs'");
  EXPECT_ERROR(withInput(R"("shape": [2], "init": {"rand": 1, "rand": 2})"),
               "g.json: inputs[0].init: duplicate key 'rand'");
}

TEST(JsonLoader, TemporariesAreUnnamed) {
  auto g = load(withNodes(R"({"name": "%0", "op": "neg", "inputs": ["x"]},
                            {"name": "%7", "op": "exp", "inputs": ["%0"]},
                            {"name": "y", "op": "add", "inputs": ["%7", "%0"]})",
                          R"(["y"])"));
  EXPECT_EQ(printGraph(*g), R"(graph "g" {
  %x = input() : f32[2,3]
  %0 = neg(%x) : f32[2,3]
  %1 = exp(%0) : f32[2,3]
  %y = add(%1, %0) : f32[2,3]
  output "y" = %y
}
)");
  EXPECT_ERROR(withNodes(R"({"name": "%0", "op": "neg", "inputs": ["x"]})",
                         R"(["%0"])"),
               "g.json: outputs[0]: '%0' is an unnamed temporary; only named "
               "values can be outputs");
}

TEST(JsonLoader, EscapedPercentNamesAreUserNames) {
  EXPECT_TRUE(isJsonTemporaryName("%0"));
  EXPECT_TRUE(isJsonTemporaryName("%123"));
  EXPECT_FALSE(isJsonTemporaryName("%"));
  EXPECT_FALSE(isJsonTemporaryName("%%1"));
  EXPECT_FALSE(isJsonTemporaryName("%1a"));
  EXPECT_FALSE(isJsonTemporaryName("1"));
  EXPECT_EQ(irNameFromJson("%3"), "");
  EXPECT_EQ(irNameFromJson("%%3"), "%3");
  EXPECT_EQ(irNameFromJson("%%%3"), "%%3");
  EXPECT_EQ(irNameFromJson("%x"), "%x");
  EXPECT_EQ(irNameFromJson("%"), "%");
  EXPECT_EQ(jsonNameFromIR("%3"), "%%3");
  EXPECT_EQ(jsonNameFromIR("%%3"), "%%%3");
  EXPECT_EQ(jsonNameFromIR("%x"), "%x");
  EXPECT_EQ(jsonNameFromIR("3"), "3");

  auto g = load(withNodes(R"({"name": "%%5", "op": "neg", "inputs": ["x"]},
                            {"name": "%", "op": "exp", "inputs": ["%%5"]})",
                          R"(["%%5", "%"])"));
  EXPECT_EQ(g->nodes()[1]->name, "%5");
  EXPECT_EQ(g->nodes()[2]->name, "%");
  EXPECT_EQ(g->outputs()[0].name, "%5");
}

TEST(JsonLoader, HostileNames) {
  auto g = load(R"({"name": "a \"graph\"\n",
    "inputs": [{"name": "x y\"z\\\n\u00e9\u4e2d", "shape": []}],
    "nodes": [{"name": "\u0000", "op": "neg", "inputs": ["x y\"z\\\n\u00e9\u4e2d"]}],
    "outputs": ["\u0000"]})");
  EXPECT_EQ(g->name(), "a \"graph\"\n");
  EXPECT_EQ(g->nodes()[0]->name, "x y\"z\\\n\xc3\xa9\xe4\xb8\xad");
  EXPECT_EQ(g->nodes()[1]->name, std::string(1, '\0'));
  EXPECT_ERROR(R"({"inputs": [{"name": "a\"b", "shape": [-1]}], "outputs": []})",
               "g.json: inputs[0] (\"a\\\"b\").shape: expected a list of "
               "non-negative integers and size variable names (element 0 is -1)");
}

//===--- Order: forward references and cycles ------------------------------===//

TEST(JsonLoader, ForwardReferencesAreSorted) {
  // Stable: among ready nodes, file order wins.
  auto g = load(withNodes(R"(
      {"name": "d", "op": "add", "inputs": ["c", "b"]},
      {"name": "a", "op": "neg", "inputs": ["x"]},
      {"name": "c", "op": "exp", "inputs": ["b"]},
      {"name": "b", "op": "mul", "inputs": ["a", 2]},
      {"name": "e", "op": "neg", "inputs": ["x"]})",
                          R"(["d", "e"])"));
  EXPECT_EQ(printGraph(*g), R"(graph "g" {
  %x = input() : f32[2,3]
  %a = neg(%x) : f32[2,3]
  %0 = constant() {value = 2.0} : f32[]
  %b = mul(%a, %0) : f32[2,3]
  %c = exp(%b) : f32[2,3]
  %d = add(%c, %b) : f32[2,3]
  %e = neg(%x) : f32[2,3]
  output "d" = %d
  output "e" = %e
}
)");
}

TEST(JsonLoader, CyclesAreReported) {
  EXPECT_ERROR(withNodes(R"({"name": "a", "op": "neg", "inputs": ["b"]},
                            {"name": "b", "op": "neg", "inputs": ["a"]})"),
               "g.json: nodes[0] (\"a\"): cycle among nodes: a -> b -> a");
  EXPECT_ERROR(withNodes(R"({"name": "s", "op": "add", "inputs": ["x", "s"]})"),
               "g.json: nodes[0] (\"s\"): cycle among nodes: s -> s");
  // Nodes that merely depend on the cycle are not listed; data flows along
  // the arrows (p feeds q, q feeds r, r feeds p).
  EXPECT_ERROR(withNodes(R"({"name": "before", "op": "neg", "inputs": ["x"]},
                            {"name": "user", "op": "neg", "inputs": ["q"]},
                            {"name": "p", "op": "add", "inputs": ["before", "r"]},
                            {"name": "q", "op": "neg", "inputs": ["p"]},
                            {"name": "r", "op": "neg", "inputs": ["q"]})"),
               "g.json: nodes[2] (\"p\"): cycle among nodes: p -> q -> r -> p");
}

TEST(JsonLoader, LongCycleIsAbbreviated) {
  std::string nodes;
  const int n = 1000;
  for (int i = 0; i < n; ++i)
    nodes += std::string(i ? ", " : "") + R"({"name": "n)" + std::to_string(i) +
             R"(", "op": "neg", "inputs": ["n)" + std::to_string((i + 1) % n) +
             R"("]})";
  std::string msg = errorOf(withNodes(nodes));
  EXPECT_EQ(msg.rfind("g.json: nodes[0] (\"n0\"): cycle among nodes: n0 -> "
                      "n999 -> n998 -> ",
                      0),
            0u)
      << msg;
  EXPECT_NE(msg.find("... (980 more) -> n0"), std::string::npos) << msg;
}

//===--- Outputs and top level ---------------------------------------------===//

TEST(JsonLoader, OutputsAndTopLevelErrors) {
  EXPECT_ERROR(R"({"inputs": [{"name": "x", "shape": []}]})",
               "g.json: top level: missing key 'outputs'");
  EXPECT_ERROR(R"({"inputs": [{"name": "x", "shape": []}], "outputs": []})",
               "g.json: outputs: expected a non-empty list of names, got []");
  EXPECT_ERROR(R"({"inputs": [{"name": "x", "shape": []}], "outputs": "x"})",
               "g.json: outputs: expected a non-empty list of names, got \"x\"");
  EXPECT_ERROR(R"({"inputs": [{"name": "x", "shape": []}], "outputs": [1]})",
               "g.json: outputs[0]: expected a name, got 1");
  EXPECT_ERROR(R"({"inputs": [{"name": "x", "shape": []}], "outputs": ["x", "x"]})",
               "g.json: outputs[1]: output 'x' is listed twice");
  EXPECT_ERROR(R"([1, 2])",
               "g.json: top level: expected an object with \"inputs\", "
               "\"nodes\" and \"outputs\", got a list");
  EXPECT_ERROR(R"("graph")",
               "g.json: top level: expected an object with \"inputs\", "
               "\"nodes\" and \"outputs\", got \"graph\"");
  EXPECT_ERROR(R"({"name": 1, "outputs": ["x"]})",
               "g.json: name: expected a string, got 1");
  EXPECT_ERROR(R"({"nodes": {}, "outputs": ["x"]})",
               "g.json: nodes: expected a list of nodes, got an object");
}

//===--- Malformed text ------------------------------------------------------===//

TEST(JsonLoader, MalformedJsonHasLineAndColumn) {
  EXPECT_ERROR("{\n  \"inputs\": [],\n  \"outputs\": [\"x\",]\n}",
               "g.json:3:19: error: syntax error while parsing value - "
               "unexpected ']'; expected '[', '{', or a literal");
  EXPECT_ERROR("{\"outputs\": [\"x\"]} extra",
               "g.json:1:20: error: syntax error while parsing value - "
               "invalid literal; last read: '\"x\"]} e'; expected end of input");
  EXPECT_ERROR("", "g.json:1:1: error: syntax error while parsing value - "
                   "unexpected end of input; expected '[', '{', or a literal");
  EXPECT_ERROR("{\"outputs\": [\"x\"]",
               "g.json:1:18: error: syntax error while parsing object - "
               "unexpected end of input; expected '}'");
  EXPECT_ERROR("{\"outputs\": [\"\xff\"]}",
               "g.json:1:15: error: syntax error while parsing value - invalid "
               "string: ill-formed UTF-8 byte; last read: '\"\xff'");
  // Comments are not JSON.
  EXPECT_EQ(errorOf("{ // c\n \"outputs\": [\"x\"]}").rfind("g.json:1:3: error: ", 0),
            0u);
}

TEST(JsonLoader, NumberOverflowIsAnError) {
  EXPECT_ERROR("{\"inputs\": [{\"name\": \"x\", \"shape\": [],\n"
               "  \"init\": 1e400}], \"outputs\": [\"x\"]}",
               "g.json:2:11: error: number overflow parsing '1e400'");
  EXPECT_ERROR("{\"outputs\": [-1e999]}",
               "g.json:1:14: error: number overflow parsing '-1e999'");
}

TEST(JsonLoader, DeepNestingIsRejectedBeforeParsing) {
  std::string deep(100000, '[');
  EXPECT_ERROR(deep, "g.json:1:513: error: JSON nesting is deeper than 512 "
                     "levels");
  std::string deepInit = R"({"inputs": [{"name": "x", "shape": [], "init": )" +
                         std::string(600, '[') + "1" + std::string(600, ']') +
                         R"(}], "outputs": ["x"]})";
  EXPECT_NE(errorOf(deepInit).find("JSON nesting is deeper than 512 levels"),
            std::string::npos);
  // Brackets inside strings (with escaped quotes) do not count.
  std::string inString = R"({"name": "\")" + std::string(1000, '[') +
                         R"(", "inputs": [{"name": "x", "shape": []}], "outputs": ["x"]})";
  EXPECT_EQ(load(inString)->name(), "\"" + std::string(1000, '['));
  // A shape of the largest rank (kMaxRank = 64) with a matching nested
  // init is fine.
  std::string shape = "[", data = "";
  for (int i = 0; i < 64; ++i) shape += std::string(i ? ", " : "") + "1";
  shape += "]";
  data = std::string(64, '[') + "2.5" + std::string(64, ']');
  auto g = load(R"({"inputs": [{"name": "x", "shape": )" + shape +
                R"(, "init": )" + data + R"(}], "outputs": ["x"]})");
  EXPECT_EQ(inputInit(*g->inputs()[0]).data, std::vector<double>{2.5});
}

//===--- Robustness -----------------------------------------------------------===//

/// Replaces every value of the example, at every path, by each hostile
/// value, and truncates the text at every length: loading must either work
/// or throw gradc::Error, never anything else.
TEST(JsonLoader, MutationsOnlyEverThrowGradcErrors) {
  using json = nlohmann::json;
  const json base = json::parse(kDesignExample);
  const std::vector<json> hostile = {
      nullptr, true, -1, 0, 3.5, 1e300, "x", "%0", json::array(),
      json::object(), json::array({1, "a"}), 18446744073709551615ull};
  // Collect every path (as pointers) of the example.
  std::vector<json::json_pointer> paths;
  std::function<void(const json &, const json::json_pointer &)> walk =
      [&](const json &j, const json::json_pointer &p) {
        paths.push_back(p);
        if (j.is_object())
          for (auto it = j.begin(); it != j.end(); ++it) walk(*it, p / it.key());
        if (j.is_array())
          for (size_t i = 0; i < j.size(); ++i) walk(j[i], p / i);
      };
  walk(base, json::json_pointer());
  int errors = 0, loads = 0;
  for (const auto &p : paths)
    for (const json &h : hostile) {
      json doc = base;
      doc[p] = h;
      std::string msg = errorOf(doc.dump());
      EXPECT_EQ(msg.find("non-gradc exception"), std::string::npos)
          << p.to_string() << " = " << h.dump() << ": " << msg;
      (msg == "<no error>" ? loads : errors) += 1;
    }
  EXPECT_GT(errors, 100);
  std::string text = kDesignExample;
  for (size_t n = 0; n < text.size(); ++n) {
    std::string msg = errorOf(text.substr(0, n));
    EXPECT_EQ(msg.rfind("g.json:", 0), 0u) << n << ": " << msg;
  }
}

//===--- Scale -----------------------------------------------------------------===//

/// A chain of `n` adds, each with a literal, named by `nameOf(i)`.
std::string chain(int n, const std::function<std::string(int)> &nameOf) {
  std::string text = R"({"inputs": [{"name": "x", "shape": [4]}], "nodes": [)";
  std::string prev = "x";
  text.reserve(static_cast<size_t>(n) * 60);
  for (int i = 0; i < n; ++i) {
    std::string name = nameOf(i);
    text += std::string(i ? ",\n" : "\n") + R"({"name": ")" + name +
            R"(", "op": "add", "inputs": [")" + prev + R"(", 1]})";
    prev = name;
  }
  return text + "],\n" + R"("outputs": ["x"]})";
}

/// Raises the node limit (GRADC_MAX_NODES) while a test builds graphs
/// larger than its default: these tests are about scale, not the limit.
struct LargeNodeLimit {
  LargeNodeLimit() { setenv("GRADC_MAX_NODES", "1M", 1); }
  ~LargeNodeLimit() { unsetenv("GRADC_MAX_NODES"); }
};

TEST(JsonLoader, HundredThousandNodeChainOfTemporaries) {
  LargeNodeLimit limit; // 200,001 nodes with the literals' constants
  auto g = load(chain(100000, [](int i) { return "%" + std::to_string(i); }));
  // The input, and per link a literal constant and the add.
  EXPECT_EQ(g->nodes().size(), 1u + 2u * 100000u);
  EXPECT_EQ(g->nodes().back()->operands[0], g->nodes()[g->nodes().size() - 3].get());
}

TEST(JsonLoader, HundredThousandNodeChainReversed) {
  // Every reference is forward: exercises the topological sort at scale.
  const int n = 100000;
  std::string text = R"({"inputs": [{"name": "x", "shape": [4]}], "nodes": [)";
  for (int i = n - 1; i >= 0; --i)
    text += std::string(i == n - 1 ? "\n" : ",\n") + R"({"name": "%)" +
            std::to_string(i) + R"(", "op": "neg", "inputs": [")" +
            (i ? "%" + std::to_string(i - 1) : std::string("x")) + R"("]})";
  auto g = load(text + R"(], "outputs": ["x"]})");
  EXPECT_EQ(g->nodes().size(), 1u + n);
}

// Named nodes go through GraphBuilder::checkNewName, which looks names up
// in Graph's name index.
TEST(JsonLoader, HundredThousandNodeChainOfNamedNodes) {
  LargeNodeLimit limit; // 200,001 nodes with the literals' constants
  auto g = load(chain(100000, [](int i) { return "n" + std::to_string(i); }));
  EXPECT_EQ(g->nodes().size(), 1u + 2u * 100000u);
}

TEST(JsonLoader, TenThousandNodeChainOfNamedNodes) {
  auto g = load(chain(10000, [](int i) { return "n" + std::to_string(i); }));
  EXPECT_EQ(g->nodes().size(), 1u + 2u * 10000u);
}
