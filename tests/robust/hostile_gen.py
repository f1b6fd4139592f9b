#!/usr/bin/env python3
"""Writes a deterministic corpus of hostile and mutated gradc graph files.

Usage: hostile_gen.py OUT_DIR [--count N] [--seed S] [--quick | --only-large]

Every file is either a graph gradc must run, or one it must reject with a
message: huge shapes, absurd ranks, cycles, deep nesting, hostile names,
long chains, truncated / bit-flipped / spliced files, hostile IR text and
DSL programs. The same seed always
gives the same files. The long graphs (chains, fans, cycles) have 20k
nodes, plus two 100k-node chains and 1M-node chains (JSON and DSL);
--quick shrinks them to 300 nodes and drops the 100k and 1M ones,
--only-large writes only them.
Only the Python standard library is used.
"""
import json
import os
import random
import sys

UNARY = ["neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
         "relu", "sign", "detach", "gelu", "silu", "leaky_relu", "elu",
         "softplus", "erf", "log1p", "expm1", "rsqrt", "reciprocal", "hardtanh"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]
COMPARE = ["lt", "le", "gt", "ge", "eq", "ne"]
REDUCE = ["sum", "mean", "max", "min", "logsumexp", "var", "std", "norm",
          "argmax", "argmin"]
ALL_OPS = UNARY + BINARY + COMPARE + REDUCE + [
    "where", "reshape", "expand", "transpose", "permute", "squeeze",
    "unsqueeze", "concat", "cat", "slice", "matmul", "softmax", "log_softmax",
    "cross_entropy", "mse_loss", "conv2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "layer_norm", "conv1d", "group_norm", "clamp", "triu",
    "tril", "cumsum", "masked_fill", "embedding", "index_select", "gather",
    "select", "one_hot", "nll_loss", "l1_loss", "smooth_l1_loss",
    "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "batch_norm", "dropout"]

HOSTILE_NAMES = [
    'a"b', "a'b", "line\nbreak", "cr\rlf", "tab\there", "back\\slash",
    "trail\\", "*/ int evil; /*", "// comment", "??/", "??=define x",
    "}); } extern \"C\" void pwn() { for(;;); } void f() { (",
    "\"; system(\"rm -rf /\"); //", "int", "return", "class", "main",
    "operator", "namespace", "std", "__builtin_trap", "_Z3foo", "__x",
    "_X", "v0", "v1", "inputs", "outputs", "grads", "seeds", "workspace",
    "flags", "context", "expf", "cblas_sgemm", "gc_max", "fwd_bwd",
    "x_fwd_bwd", "\u00e9t\u00e9", "\u5909\u6570", "\U0001F600",
    "\u202eevil", "zero\u200bwidth", "nul\u0000byte", "%1", "%%1", "%",
    "", " ", "a b", "#", "a.b", "1abc", "-", "$", "@", "\x7f", "\x01",
    "<script>", "${HOME}", "$(reboot)", "`id`", "a" * 10000,
    "\u00e9" * 3000, "\\u0000", "#include <stdio.h>", "#define x y",
]


def w(path, text):
    mode = "wb" if isinstance(text, bytes) else "w"
    kw = {} if isinstance(text, bytes) else {"encoding": "utf-8"}
    with open(path, mode, **kw) as f:
        f.write(text)


def dump(doc):
    return json.dumps(doc, ensure_ascii=False)


def seed_graph():
    return {
        "name": "seed",
        "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 2],
                    "requires_grad": True, "init": "ones"}],
        "nodes": [
            {"name": "y", "op": "add", "inputs": ["x", 2]},
            {"name": "t", "op": "mul", "inputs": ["y", "y"]},
            {"name": "z", "op": "mul", "inputs": ["t", 3]},
            {"name": "out", "op": "mean", "inputs": ["z"]},
        ],
        "outputs": ["out", "z"],
    }


def mlp_graph():
    return {
        "name": "mlp",
        "inputs": [
            {"name": "x", "shape": [4, 8], "init": {"randn": 1}},
            {"name": "w1", "shape": [8, 6], "requires_grad": True,
             "init": {"randn": 2}},
            {"name": "b1", "shape": [6], "requires_grad": True, "init": "zeros"},
            {"name": "w2", "shape": [6, 3], "requires_grad": True,
             "init": {"rand": 3}},
            {"name": "y", "dtype": "i64", "shape": [4],
             "init": [0, 2, 1, 2]},
        ],
        "nodes": [
            {"name": "h", "op": "matmul", "inputs": ["x", "w1"]},
            {"name": "hb", "op": "add", "inputs": ["h", "b1"]},
            {"name": "r", "op": "relu", "inputs": ["hb"]},
            {"name": "o", "op": "matmul", "inputs": ["r", "w2"]},
            {"name": "sm", "op": "log_softmax", "inputs": ["o"],
             "attrs": {"dim": 1}},
            {"name": "loss", "op": "cross_entropy", "inputs": ["o", "y"]},
        ],
        "outputs": ["loss", "sm"],
    }


def ops_graph():
    """One of most ops, so mutations reach many shape rules."""
    return {
        "name": "ops",
        "inputs": [
            {"name": "a", "shape": [2, 3], "requires_grad": True,
             "init": {"randn": 7}},
            {"name": "b", "shape": [3], "requires_grad": True,
             "init": {"rand": 8}},
        ],
        "nodes": [
            {"name": "s", "op": "add", "inputs": ["a", "b"]},
            {"name": "e", "op": "exp", "inputs": ["s"]},
            {"name": "tr", "op": "transpose", "inputs": ["e"],
             "attrs": {"dim0": 0, "dim1": 1}},
            {"name": "rs", "op": "reshape", "inputs": ["tr"],
             "attrs": {"shape": [6]}},
            {"name": "us", "op": "unsqueeze", "inputs": ["rs"],
             "attrs": {"dim": 0}},
            {"name": "ex", "op": "expand", "inputs": ["us"],
             "attrs": {"shape": [2, 6]}},
            {"name": "sl", "op": "slice", "inputs": ["ex"],
             "attrs": {"dim": 1, "start": 1, "end": 5, "step": 2}},
            {"name": "sm", "op": "softmax", "inputs": ["sl"],
             "attrs": {"dim": -1}},
            {"name": "cat", "op": "concat", "inputs": ["sm", "sl"],
             "attrs": {"dim": 1}},
            {"name": "mx", "op": "max", "inputs": ["cat"],
             "attrs": {"dim": 1, "keepdim": True}},
            {"name": "pw", "op": "pow", "inputs": ["mx", 2]},
            {"name": "gt", "op": "gt", "inputs": ["a", 0]},
            {"name": "wh", "op": "where", "inputs": ["gt", "a", "b"]},
            {"name": "l", "op": "sum", "inputs": ["wh"]},
            {"name": "m", "op": "mean", "inputs": ["pw"]},
            {"name": "out", "op": "add", "inputs": ["l", "m"]},
        ],
        "outputs": ["out"],
    }


BASES = [seed_graph, mlp_graph, ops_graph]


def chain(n, op="neg", name="chain"):
    nodes, prev = [], "x"
    for i in range(n):
        nodes.append({"name": "n%d" % i, "op": op, "inputs": [prev]})
        prev = "n%d" % i
    nodes.append({"name": "out", "op": "sum", "inputs": [prev]})
    return {"name": name,
            "inputs": [{"name": "x", "shape": [3], "requires_grad": True,
                        "init": "ones"}],
            "nodes": nodes, "outputs": ["out"]}


def gen_shapes(out, rnd):
    huge = [[10**12], [2**62], [2**63 - 1], [2**63], [2**64], [2**31, 2**31],
            [2**32, 2**32, 4], [10**9], [3 * 10**9], [65536, 65536],
            [100000, 100000], [-1], [-5, 3], [1.5], ["3"], [True], [None],
            [1e300], [10**30], [0, 10**18], [10**18, 0], [2**62, 2],
            [4611686018427387904, 4], [2147483648], [1 << 40, 1 << 30]]
    for i, shape in enumerate(huge):
        for dt in ["f32", "f64", "i64"]:
            if dt != "f32" and i % 3:
                continue
            g = {"name": "huge", "inputs": [{"name": "x", "dtype": dt,
                                             "shape": shape}],
                 "nodes": [{"name": "y", "op": "sum", "inputs": ["x"]}],
                 "outputs": ["y"]}
            if dt == "f32":
                g["inputs"][0]["requires_grad"] = True
                g["inputs"][0]["init"] = "ones"
            w(os.path.join(out, "shape_huge_%02d_%s.json" % (i, dt)), dump(g))
    # Huge shapes reached through attributes, not inputs.
    attr_cases = [
        ("expand", {"shape": [10**6, 10**6, 3]}),
        ("expand", {"shape": [2**40, 3]}),
        ("expand", {"shape": [2**62, 2**62, 3]}),
        ("expand", {"shape": [-1, 3]}),
        ("expand", {"shape": [3] * 70}),
        ("reshape", {"shape": [2**62, 0]}),
        ("reshape", {"shape": [-1]}),
        ("reshape", {"shape": [-1, -1]}),
        ("reshape", {"shape": [1] * 5000 + [3]}),
        ("reshape", {"shape": [2**63, 0]}),
        ("unsqueeze", {"dim": 2**62}),
        ("unsqueeze", {"dim": -2**63}),
        ("squeeze", {"dim": 99}),
        ("transpose", {"dim0": 0, "dim1": 2**40}),
        ("permute", {"dims": [0] * 100}),
        ("slice", {"dim": 0, "start": -2**63, "end": 2**63 - 1, "step": 1}),
        ("slice", {"dim": 0, "start": 0, "end": 3, "step": 0}),
        ("slice", {"dim": 0, "start": 0, "end": 3, "step": -1}),
        ("slice", {"dim": 0, "start": 2**62, "end": 2**62 + 5, "step": 2**62}),
        ("sum", {"dim": [0, 0]}),
        ("sum", {"dim": [2**62]}),
        ("sum", {"dim": list(range(100))}),
        ("softmax", {"dim": -2**63}),
        ("max", {"dim": 5}),
        ("mean", {"dim": [], "keepdim": True}),
    ]
    for i, (op, attrs) in enumerate(attr_cases):
        g = {"name": "attr", "inputs": [{"name": "x", "shape": [3],
                                         "requires_grad": True,
                                         "init": "ones"}],
             "nodes": [{"name": "y", "op": op, "inputs": ["x"], "attrs": attrs},
                       {"name": "z", "op": "sum", "inputs": ["y"]}],
             "outputs": ["z"]}
        w(os.path.join(out, "shape_attr_%02d_%s.json" % (i, op)), dump(g))
    # Ranks.
    for i, rank in enumerate([64, 65, 100, 1000, 100000]):
        g = {"name": "rank", "inputs": [{"name": "x", "shape": [1] * rank,
                                         "requires_grad": True,
                                         "init": "ones"}],
             "nodes": [{"name": "y", "op": "exp", "inputs": ["x"]},
                       {"name": "z", "op": "sum", "inputs": ["y"]}],
             "outputs": ["z"]}
        w(os.path.join(out, "rank_%02d.json" % i), dump(g))
    # Products that overflow only across nodes (matmul of huge operands).
    g = {"name": "mm", "inputs": [
        {"name": "a", "shape": [2**31, 0], "requires_grad": True},
        {"name": "b", "shape": [0, 2**31], "requires_grad": True}],
        "nodes": [{"name": "c", "op": "matmul", "inputs": ["a", "b"]},
                  {"name": "s", "op": "sum", "inputs": ["c"]}],
        "outputs": ["s"]}
    w(os.path.join(out, "shape_matmul_outer.json"), dump(g))
    # A big but legal workspace: broadcast of two vectors to a huge matrix.
    for i, n in enumerate([10**5, 10**6, 2**20 * 3]):
        g = {"name": "bcast", "inputs": [
            {"name": "a", "shape": [n, 1], "requires_grad": True,
             "init": "ones"},
            {"name": "b", "shape": [1, n], "init": "ones"}],
            "nodes": [{"name": "c", "op": "add", "inputs": ["a", "b"]},
                      {"name": "s", "op": "sum", "inputs": ["c"]}],
            "outputs": ["s"]}
        w(os.path.join(out, "shape_bcast_%d.json" % i), dump(g))
    # Zero-size tensors are legal and must give PyTorch's answers.
    g = {"name": "empty", "inputs": [{"name": "x", "shape": [0, 3],
                                      "requires_grad": True, "init": "ones"}],
         "nodes": [{"name": "s", "op": "sum", "inputs": ["x"]},
                   {"name": "m", "op": "mean", "inputs": ["x"]},
                   {"name": "o", "op": "add", "inputs": ["s", "m"]}],
         "outputs": ["o"]}
    w(os.path.join(out, "shape_empty.json"), dump(g))


def gen_structure(out, rnd, n):
    # Cycles.
    cyc = [
        [{"name": "a", "op": "neg", "inputs": ["a"]}],
        [{"name": "a", "op": "add", "inputs": ["x", "b"]},
         {"name": "b", "op": "neg", "inputs": ["a"]}],
    ]
    big = []
    for i in range(n):
        big.append({"name": "c%d" % i, "op": "neg",
                    "inputs": ["c%d" % ((i + 1) % n)]})
    cyc.append(big)
    for i, nodes in enumerate(cyc):
        g = {"name": "cyc", "inputs": [{"name": "x", "shape": [2]}],
             "nodes": nodes, "outputs": [nodes[0]["name"]]}
        w(os.path.join(out, "cycle_%02d.json" % i), dump(g))
    # A long chain written backwards (forward references all the way).
    tag = "%dk" % (n // 1000) if n >= 1000 else str(n)
    g = chain(n)
    g["nodes"].reverse()
    w(os.path.join(out, "chain_reversed_%s.json" % tag), dump(g))
    # Chains.
    for op in ["neg", "exp", "relu", "tanh", "sigmoid", "abs"]:
        w(os.path.join(out, "chain_%s_%s.json" % (tag, op)), dump(chain(n, op)))
    g = chain(0)
    nodes, prev = [], "x"
    for i in range(n):
        kind = i % 4
        if kind == 0:
            nodes.append({"name": "m%d" % i, "op": "mul", "inputs": [prev, 1.0001]})
        elif kind == 1:
            nodes.append({"name": "m%d" % i, "op": "add", "inputs": [prev, "x"]})
        elif kind == 2:
            nodes.append({"name": "m%d" % i, "op": "sum", "inputs": [prev],
                          "attrs": {"dim": 0, "keepdim": True}})
        else:
            nodes.append({"name": "m%d" % i, "op": "expand", "inputs": [prev],
                          "attrs": {"shape": [3]}})
        prev = "m%d" % i
    nodes.append({"name": "out", "op": "mean", "inputs": [prev]})
    g["nodes"] = nodes
    w(os.path.join(out, "chain_%s_mixed.json" % tag), dump(g))
    # Matmul chain.
    nodes, prev = [], "x"
    for i in range(n // 10):
        nodes.append({"name": "k%d" % i, "op": "matmul", "inputs": [prev, "w"]})
        prev = "k%d" % i
    nodes.append({"name": "out", "op": "sum", "inputs": [prev]})
    g = {"name": "mmchain", "inputs": [
        {"name": "x", "shape": [2, 2], "requires_grad": True, "init": "ones"},
        {"name": "w", "shape": [2, 2], "requires_grad": True,
         "init": [[0.5, 0.1], [0.2, 0.4]]}],
        "nodes": nodes, "outputs": ["out"]}
    w(os.path.join(out, "chain_%s_div10_matmul.json" % tag), dump(g))
    # Wide graphs: many inputs, many outputs, one node with many uses.
    g = {"name": "wide", "inputs": [{"name": "i%d" % k, "shape": [],
                                     "requires_grad": True, "init": k}
                                    for k in range(n)],
         "nodes": [{"name": "cat", "op": "concat",
                    "inputs": ["u%d" % k for k in range(n)], "attrs": {"dim": 0}},
                   {"name": "s", "op": "sum", "inputs": ["cat"]}] +
                  [{"name": "u%d" % k, "op": "unsqueeze", "inputs": ["i%d" % k],
                    "attrs": {"dim": 0}} for k in range(n)],
         "outputs": ["s"]}
    w(os.path.join(out, "wide_%s_inputs.json" % tag), dump(g))
    g = {"name": "fan", "inputs": [{"name": "x", "shape": [2],
                                    "requires_grad": True, "init": "ones"}],
         "nodes": [{"name": "e%d" % k, "op": "mul", "inputs": ["x", k]}
                   for k in range(n)] +
                  [{"name": "s%d" % k, "op": "sum", "inputs": ["e%d" % k]}
                   for k in range(0, n, 7)],
         "outputs": ["s%d" % k for k in range(0, n, 7)]}
    w(os.path.join(out, "wide_%s_fanout.json" % tag), dump(g))
    # Balanced tree of adds over one input (deep gradient sums).
    level = ["x"] * min(4096, 1 << (n.bit_length() - 1))
    nodes, k = [], 0
    while len(level) > 1:
        nxt = []
        for a, b in zip(level[0::2], level[1::2]):
            nodes.append({"name": "t%d" % k, "op": "add", "inputs": [a, b]})
            nxt.append("t%d" % k)
            k += 1
        level = nxt
    g = {"name": "tree", "inputs": [{"name": "x", "shape": [2],
                                     "requires_grad": True, "init": "ones"}],
         "nodes": nodes + [{"name": "out", "op": "sum", "inputs": [level[0]]}],
         "outputs": ["out"]}
    w(os.path.join(out, "tree_%d.json" % len(nodes)), dump(g))
    # Many uses of one value in one node list (gradient accumulation fan-in).
    g = {"name": "fanin", "inputs": [{"name": "x", "shape": [],
                                      "requires_grad": True, "init": 2}],
         "nodes": [{"name": "c", "op": "concat", "inputs": ["x1"] * n,
                    "attrs": {"dim": 0}},
                   {"name": "x1", "op": "unsqueeze", "inputs": ["x"],
                    "attrs": {"dim": 0}},
                   {"name": "s", "op": "sum", "inputs": ["c"]}],
         "outputs": ["s"]}
    w(os.path.join(out, "fanin_%s.json" % tag), dump(g))


def nest(depth, leaf, kind):
    if kind == "list":
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


def gen_nesting(out, rnd):
    for depth in [100, 1000, 10000, 100000, 1000000]:
        for kind in ["list", "object"]:
            body = nest(depth, "1", kind)
            text = ('{"name": "deep", "inputs": [{"name": "x", "shape": [1], '
                    '"init": %s}], "nodes": [], "outputs": ["x"]}' % body)
            w(os.path.join(out, "nest_init_%s_%d.json" % (kind, depth)), text)
        w(os.path.join(out, "nest_bare_%d.json" % depth), nest(depth, "", "list"))
        w(os.path.join(out, "nest_open_%d.json" % depth), "[" * depth)
        attrs = nest(depth, "0", "list")
        text = ('{"inputs": [{"name": "x", "shape": [3], "init": "ones"}], '
                '"nodes": [{"name": "y", "op": "sum", "inputs": ["x"], '
                '"attrs": {"dim": %s}}], "outputs": ["y"]}' % attrs)
        w(os.path.join(out, "nest_attr_%d.json" % depth), text)
    # Legal nested init data: a rank-40 tensor written as nested lists.
    data = 1.5
    for _ in range(40):
        data = [data]
    g = {"name": "deepdata", "inputs": [{"name": "x", "shape": [1] * 40,
                                         "requires_grad": True, "init": data}],
         "nodes": [{"name": "s", "op": "sum", "inputs": ["x"]}],
         "outputs": ["s"]}
    w(os.path.join(out, "nest_init_rank40.json"), dump(g))
    # Strings with escapes everywhere, very long strings, many keys.
    w(os.path.join(out, "long_string.json"),
      '{"name": "' + "\\u0041" * 500000 + '", "inputs": [], "nodes": [], '
      '"outputs": []}')
    w(os.path.join(out, "long_number.json"),
      '{"inputs": [{"name": "x", "shape": [1], "init": 1' + "0" * 100000 +
      '}], "nodes": [], "outputs": ["x"]}')


def name_graph(gname, iname, nname, oname):
    return {"name": gname,
            "inputs": [{"name": iname, "shape": [2], "requires_grad": True,
                        "init": [1.0, 2.0]}],
            "nodes": [{"name": nname, "op": "mul", "inputs": [iname, iname]},
                      {"name": oname, "op": "sum", "inputs": [nname]}],
            "outputs": [oname]}


def gen_names(out, rnd):
    for i, name in enumerate(HOSTILE_NAMES):
        # The same hostile name as graph, input, node and output name.
        w(os.path.join(out, "name_all_%02d.json" % i),
          dump(name_graph(name, name, name + "_n", name + "_o")))
        w(os.path.join(out, "name_graph_%02d.json" % i),
          dump(name_graph(name, "x", "y", "z")))
        w(os.path.join(out, "name_node_%02d.json" % i),
          dump(name_graph("g", "x", name, "z")))
    # Names that collide only after mangling.
    g = {"name": "collide",
         "inputs": [{"name": n, "shape": [1], "requires_grad": True,
                     "init": k + 1} for k, n in enumerate(["a.b", "a_b", "a-b",
                                                           "a b", "a__b"])],
         "nodes": [{"name": "s%d" % k, "op": "mul", "inputs": [n, k + 1]}
                   for k, n in enumerate(["a.b", "a_b", "a-b", "a b", "a__b"])] +
                  [{"name": "t", "op": "concat",
                    "inputs": ["s%d" % k for k in range(5)], "attrs": {"dim": 0}},
                   {"name": "out", "op": "sum", "inputs": ["t"]}],
         "outputs": ["out"]}
    w(os.path.join(out, "name_collide.json"), dump(g))
    # Raw control bytes and invalid UTF-8 inside JSON strings.
    base = dump(name_graph("NAME", "x", "y", "z")).encode()
    for i, bad in enumerate([b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80",
                             b"\n", b"\x1b[31m", b"\xf4\x90\x80\x80"]):
        w(os.path.join(out, "name_bytes_%02d.json" % i),
          base.replace(b"NAME", b"n" + bad + b"x"))


def mutate_doc(doc, rnd):
    """Applies one structural mutation to a parsed graph document."""
    nodes = doc.get("nodes", [])
    inputs = doc.get("inputs", [])
    choice = rnd.randrange(16)
    weird = [None, True, -1, 0, 2**63, -2**63, 1e308, "", "x", [], {}, [[]],
             [1, "a"], {"randn": -1}, 3.5, "ones", "%0"]
    if choice == 0 and nodes:
        rnd.choice(nodes)["op"] = rnd.choice(ALL_OPS + ["bogus", "input",
                                                        "constant", "seed"])
    elif choice == 1 and nodes:
        n = rnd.choice(nodes)
        n["inputs"] = [rnd.choice([x.get("name", "?") for x in nodes + inputs]
                                  + [1, 0.5, -7, "nope", None])
                       for _ in range(rnd.randrange(5))]
    elif choice == 2 and nodes:
        n = rnd.choice(nodes)
        n.setdefault("attrs", {})[rnd.choice(
            ["dim", "keepdim", "shape", "dim0", "dim1", "dims", "start",
             "end", "step", "reduction", "exponent", "index", "num_classes",
             "padding_idx", "bogus"])] = rnd.choice(weird)
    elif choice == 3 and inputs:
        rnd.choice(inputs)["shape"] = rnd.choice(
            [[], [1], [0], [7, 7], [2, 3, 4], [-3], [2**40], [2**62, 4],
             "2", [[2]], [1] * 200])
    elif choice == 4 and inputs:
        rnd.choice(inputs)["dtype"] = rnd.choice(["f32", "f64", "i32", "i64",
                                                  "bool", "f16", 5, None])
    elif choice == 5 and inputs:
        rnd.choice(inputs)["init"] = rnd.choice(weird + [
            "zeros", {"rand": 2**70}, {"randn": 1.5}, [1e300, -1e300],
            {"randn": 1, "rand": 2}])
    elif choice == 6 and nodes:
        # Duplicate a node (duplicate names).
        nodes.insert(rnd.randrange(len(nodes) + 1),
                     json.loads(json.dumps(rnd.choice(nodes))))
    elif choice == 7 and nodes:
        del nodes[rnd.randrange(len(nodes))]
    elif choice == 8:
        doc["outputs"] = rnd.choice([[], ["x", "x"], ["nope"], "out", [1],
                                     [x.get("name") for x in nodes][:3],
                                     [x.get("name") for x in inputs]])
    elif choice == 9 and nodes:
        rnd.choice(nodes)["no_grad"] = rnd.choice([True, False, 1, "yes"])
    elif choice == 10:
        doc[rnd.choice(["extra", "version", "name"])] = rnd.choice(weird)
    elif choice == 11 and nodes:
        # Rewire to a later node: a cycle or a forward reference.
        i = rnd.randrange(len(nodes))
        j = rnd.randrange(len(nodes))
        if nodes[i].get("inputs"):
            nodes[i]["inputs"][0] = nodes[j].get("name", "?")
    elif choice == 12 and inputs:
        rnd.choice(inputs)["requires_grad"] = rnd.choice([True, False, None, 1])
    elif choice == 13 and nodes:
        n = rnd.choice(nodes)
        n["name"] = rnd.choice(HOSTILE_NAMES[:40])
    elif choice == 14:
        rnd.shuffle(nodes)
    else:
        for key in ["inputs", "nodes", "outputs"]:
            if rnd.random() < 0.3:
                doc.pop(key, None)
    return doc


def gen_mutants(out, rnd, count):
    for i in range(count):
        doc = rnd.choice(BASES)()
        for _ in range(rnd.randint(1, 3)):
            doc = mutate_doc(doc, rnd)
        w(os.path.join(out, "mut_doc_%03d.json" % i), dump(doc))


def gen_bytes(out, rnd, count):
    texts = [json.dumps(b(), indent=1).encode() for b in BASES]
    for i in range(count):
        data = bytearray(rnd.choice(texts))
        kind = i % 5
        if kind == 0:  # truncated
            data = data[:rnd.randrange(len(data))]
        elif kind == 1:  # bit flips
            for _ in range(rnd.randint(1, 6)):
                p = rnd.randrange(len(data))
                data[p] ^= 1 << rnd.randrange(8)
        elif kind == 2:  # byte deletions / insertions of JSON syntax
            for _ in range(rnd.randint(1, 4)):
                p = rnd.randrange(len(data))
                if rnd.random() < 0.5:
                    del data[p]
                else:
                    data[p:p] = rnd.choice([b"{", b"}", b"[", b"]", b",",
                                            b'"', b":", b"\\", b"9" * 30,
                                            b"-", b"e999", b"\x00"])
        elif kind == 3:  # splice two files
            other = rnd.choice(texts)
            a = rnd.randrange(len(data))
            b = rnd.randrange(len(other))
            data = data[:a] + other[b:]
        else:  # digit replacement: numbers become huge or negative
            digits = [k for k, c in enumerate(data) if chr(c).isdigit()]
            for p in rnd.sample(digits, min(len(digits), rnd.randint(1, 3))):
                data[p:p + 1] = rnd.choice([b"99999999999999999999",
                                            b"-1", b"1e30", b"4294967296",
                                            b"9223372036854775807", b"0"])
        w(os.path.join(out, "mut_bytes_%03d.json" % i), bytes(data))
    for name, data in [("empty", b""), ("space", b"   \n"), ("null", b"null"),
                       ("array", b"[]"), ("number", b"1"), ("string", b'"g"'),
                       ("bom", b"\xef\xbb\xbf" + texts[0]),
                       ("binary", bytes(rnd.randrange(256)
                                        for _ in range(4096))),
                       ("nul_tail", texts[0] + b"\x00garbage"),
                       ("two_docs", texts[0] + texts[1]),
                       ("nan", texts[0].replace(b'"ones"', b"NaN")),
                       ("inf", texts[0].replace(b'"ones"', b"Infinity")),
                       ("comment", b"// hi\n" + texts[0])]:
        w(os.path.join(out, "bytes_%s.json" % name), data)


def gen_ir_text(out, rnd, count):
    """.gir files: the IR text parser sees hostile input too."""
    good = ('graph "g" {\n'
            '  %x = input() {init = "ones", requires_grad = true} : f32[2,2]\n'
            '  %0 = constant() {value = 2} : f32[]\n'
            '  %y = add(%x, %0) : f32[2,2]\n'
            '  %out = mean(%y) : f32[]\n'
            '  output "out" = %out\n'
            '}\n')
    w(os.path.join(out, "ir_good.gir"), good)
    hostile = [
        good.replace("f32[2,2]", "f32[%d,%d]" % (2**62, 2**62)),
        good.replace("f32[2,2]", "f32[" + ",".join(["1"] * 100000) + "]"),
        good.replace("f32[2,2]", "f32[-2,2]"),
        good.replace("%y = add(%x, %0)", "%y = add(%y, %0)"),
        good.replace("%y = add(%x, %0)", "%y = add(%out, %0)"),
        good.replace('"g"', '"' + "\\" * 1001 + '"'),
        good.replace('"g"', '"a\\"b\\nc"'),
        good.replace("{value = 2}", "{value = " + "[" * 100000 + "]"),
        good.replace("{value = 2}", "{value = 1e99999}"),
        good.replace("{value = 2}", "{data = [1, 2, 3]}"),
        good.replace("mean", "seed"),
        good.replace("mean", "input"),
        good + good,
        good[:-3],
        "graph",
        "",
        "graph \"g\" {\n" + "  %x = input() : f32[1]\n" * 3 + "}\n",
    ]
    for i, text in enumerate(hostile):
        w(os.path.join(out, "ir_hostile_%02d.gir" % i), text)
    for i in range(count):
        data = bytearray(good.encode())
        for _ in range(rnd.randint(1, 4)):
            p = rnd.randrange(len(data))
            op = rnd.randrange(3)
            if op == 0:
                data[p] ^= 1 << rnd.randrange(8)
            elif op == 1:
                del data[p]
            else:
                data[p:p] = rnd.choice([b"%", b"[", b"]", b"{", b"}", b"(",
                                        b'"', b"9" * 25, b"-", b",", b"\n"])
        w(os.path.join(out, "ir_mut_%03d.gir" % i), bytes(data))


DSL_SEED = """graph seed

x = ones(2, 2, requires_grad=True)
w = randn(2, 3, seed=4, requires_grad=True)
y = x + 2
t = y * y
z = t * 3
h = relu(z @ w)
with no_grad:
    d = h.sum(dim=1, keepdim=True)
out = z.mean() + h.mean()

return y, z, out, d
"""


def gen_dsl(out, rnd, count):
    """.grad files: the DSL frontend sees hostile input too."""
    w(os.path.join(out, "dsl_good.grad"), DSL_SEED)
    deep = 20000
    hostile = [
        DSL_SEED.replace("x + 2", "(" * deep + "x" + ")" * deep + " + 2"),
        DSL_SEED.replace("x + 2", "-" * deep + "x"),
        DSL_SEED.replace("x + 2", " + ".join(["x"] * deep)),
        DSL_SEED.replace("ones(2, 2", "ones(4294967296, 4294967296"),
        DSL_SEED.replace("ones(2, 2", "ones(" + ", ".join(["1"] * 100)),
        DSL_SEED.replace("graph seed", "graph \"}; int evil;\""),
        DSL_SEED.replace("y = x + 2", "y = y + 2"),
        DSL_SEED.replace("with no_grad:\n", "with no_grad:\n" +
                         "".join("    " * k + "with no_grad:\n"
                                 for k in range(1, 300)) + "    " * 300),
        DSL_SEED + "\x00\xff",
        DSL_SEED[:len(DSL_SEED) // 2],
        "",
        "graph g\n" + "".join("v%d = ones(2)\n" % k for k in range(20000)) +
        "return v0\n",
        # A 600 KB line with an error at its end: the report shows 80
        # columns around the caret, not the line.
        DSL_SEED.replace("y = x + 2", "y = " + " + ".join(["x"] * 150000) +
                         " + undefined_name"),
    ]
    for i, text in enumerate(hostile):
        w(os.path.join(out, "dsl_hostile_%02d.grad" % i),
          text.encode("utf-8", "surrogateescape"))
    for i in range(count):
        data = bytearray(DSL_SEED.encode())
        for _ in range(rnd.randint(1, 4)):
            p = rnd.randrange(len(data))
            op = rnd.randrange(3)
            if op == 0:
                data[p] ^= 1 << rnd.randrange(8)
            elif op == 1:
                del data[p]
            else:
                data[p:p] = rnd.choice([b"(", b")", b"[", b"]", b":", b"\n",
                                        b"    ", b"\t", b"9" * 25, b"-", b",",
                                        b"**", b"@", b"=", b"#", b"\\"])
        w(os.path.join(out, "dsl_mut_%03d.grad" % i), bytes(data))


def gen_big(out):
    w(os.path.join(out, "chain_100k_neg.json"), dump(chain(100000)))
    nodes, prev = [], "x"
    for i in range(100000):
        nodes.append({"name": "s%d" % i, "op": ["sin", "mul"][i % 2],
                      "inputs": [prev] + ([0.999] if i % 2 else [])})
        prev = "s%d" % i
    g = chain(0)
    g["nodes"] = nodes + [{"name": "out", "op": "sum", "inputs": [prev]}]
    w(os.path.join(out, "chain_100k_sinmul.json"), dump(g))
    # A million nodes in each format: refused by the node limit
    # (GRADC_MAX_NODES) while loading, within a second, not after minutes.
    n, acts = 1000000, ["tanh", "sin", "cos", "sigmoid"]
    w(os.path.join(out, "chain_1m_act.json"),
      '{"name": "chain", "inputs": [{"name": "x", "dtype": "f32", '
      '"shape": [4], "requires_grad": true, "init": "ones"}], "nodes": [' +
      ", ".join('{"name": "v%d", "op": "%s", "inputs": ["%s"]}'
                % (i, acts[i % 4], "v%d" % (i - 1) if i else "x")
                for i in range(n)) +
      '], "outputs": ["v%d"]}' % (n - 1))
    w(os.path.join(out, "chain_1m_act.grad"),
      "x = ones(4, requires_grad=True)\n" +
      "".join("v%d = %s(%s)\n" % (i, acts[i % 4], "v%d" % (i - 1) if i else "x")
              for i in range(n)) + "return v%d\n" % (n - 1))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    count = int(args[args.index("--count") + 1]) if "--count" in args else 120
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(seed)
    if "--only-large" in args:
        gen_structure(out, rnd, 20000)
        gen_big(out)
        return
    gen_shapes(out, rnd)
    gen_structure(out, rnd, 300 if "--quick" in args else 20000)
    gen_nesting(out, rnd)
    gen_names(out, rnd)
    gen_mutants(out, rnd, count)
    gen_bytes(out, rnd, count)
    gen_ir_text(out, rnd, count // 3)
    gen_dsl(out, rnd, count // 3)
    if "--quick" not in args:
        gen_big(out)


if __name__ == "__main__":
    main()
