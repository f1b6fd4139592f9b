#!/usr/bin/python3
"""Generates tests/runtime/torch_format_cases.inc for TorchFormatTest.cpp.

Every case builds a real torch tensor (fixed seeds, so the output is
deterministic), records its elements, shape, dtype, the autograd suffix and
print options, and the string PyTorch's repr() gives for it. The C++ test
then needs no Python.

Run with the interpreter that has torch (Debian's python3-torch 1.13):

    /usr/bin/python3 tests/runtime/torch_format_cases.py

It rewrites torch_format_cases.inc next to this script.
"""

import math
import os
import sys

import numpy
import torch

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.bool: "Bool",
}

CASES = []


def randn(seed, *shape, dtype=torch.float32, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype)


def randint(seed, lo, hi, *shape, dtype=torch.int64):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(lo, hi, shape, generator=g, dtype=dtype)


def with_grad(t, how):
    """Returns a tensor holding t's values whose repr has the suffix `how`
    asks for: None, "req" (a leaf) or an exact op giving a grad_fn."""
    if how is None:
        return t
    leaf = t.detach().clone().requires_grad_(True)
    if how == "req":
        return leaf
    if how == "mul":
        return leaf * 1  # MulBackward0; exact, keeps -0.0 and nan
    if how == "clone":
        return leaf.clone()  # CloneBackward0
    if how == "view":
        return leaf.view(t.shape)  # ViewBackward0
    if how == "pow":
        return leaf ** 1  # PowBackward0
    if how == "sum":
        assert t.dim() == 0
        return leaf.sum()  # SumBackward0
    if how == "mean":
        assert t.dim() == 0
        return leaf.mean()  # MeanBackward0
    raise ValueError(how)


def suffixes_of(t):
    if t.grad_fn is not None:
        return ["grad_fn=<{}>".format(type(t.grad_fn).__name__)]
    if t.requires_grad:
        return ["requires_grad=True"]
    return []


def add(name, t, grad=None, **opts):
    """Records one case; opts are torch.set_printoptions keywords."""
    t = with_grad(t, grad)
    full = {"precision": 4, "linewidth": 80, "threshold": 1000, "edgeitems": 3}
    full.update(opts)
    torch.set_printoptions(**full)
    try:
        expected = repr(t)
    finally:
        torch.set_printoptions(profile="default")
    values = t.detach().reshape(-1).tolist()
    CASES.append(
        {
            "name": name,
            "values": [float(v) for v in values],
            "shape": list(t.shape),
            "dtype": DTYPES[t.dtype],
            "suffixes": suffixes_of(t),
            "opts": full,
            "expected": expected,
        }
    )


def seed_document_cases():
    """The worked example of the user's seed document, step by step."""
    x = torch.ones(2, 2, requires_grad=True)
    y = torch.zeros(2, 2)
    add("seed_x", x)
    add("seed_y", y)
    add("seed_x_plus_2", x + 2)
    add("seed_y_plus_2", y + 2)
    add("seed_x_plus_y", x + y)
    add("seed_x_x_3", x * x * 3)
    add("seed_x_mean", x.mean())
    add("seed_x_sum", x.sum())
    y.requires_grad_(True)
    add("seed_y_plus_2_grad", y + 2)

    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    add("seed_z", z)
    add("seed_out", out)
    out.backward(retain_graph=True)
    add("seed_grad_first", x.grad.clone())
    z.backward(torch.tensor([[0.1, 1.0], [1.0, 1.0]]), retain_graph=True)
    add("seed_grad_accumulated", x.grad.clone())
    out.backward(retain_graph=True)
    add("seed_grad_again", x.grad.clone())
    add("seed_x_pow_2", x ** 2)


def scalar_cases():
    add("scalar_f32_fraction", torch.tensor(3.14159265))
    add("scalar_f32_integral", torch.tensor(27.0), grad="mean")
    add("scalar_f64", torch.tensor(2.718281828459045, dtype=torch.float64))
    add("scalar_f64_sum", torch.tensor(-12.5, dtype=torch.float64), grad="sum")
    add("scalar_i32", torch.tensor(-42, dtype=torch.int32))
    add("scalar_i64", torch.tensor(123456789012, dtype=torch.int64))
    add("scalar_bool", torch.tensor(True))
    add("scalar_nan", torch.tensor(float("nan")))
    add("scalar_neg_inf", torch.tensor(float("-inf")), grad="req")
    add("scalar_neg_zero", torch.tensor(-0.0))
    add("scalar_tiny", torch.tensor(1.5e-5))
    add("scalar_huge_integral", torch.tensor(1.0e10))
    add("scalar_f64_1e300", torch.tensor(1.0e300, dtype=torch.float64))
    add("scalar_f32_0.1", torch.tensor(0.1))
    add("scalar_f32_subnormal", torch.tensor(1.0e-40))


def vector_cases():
    add("vec_f32_randn", randn(1, 5))
    add("vec_f64_randn", randn(2, 6, dtype=torch.float64), grad="req")
    add("vec_i64_arange", torch.arange(-3, 7))
    add("vec_i32_mixed", randint(3, -1000, 1000, 7, dtype=torch.int32))
    add("vec_bool", torch.tensor([True, False, False, True]))
    add("vec_f32_int_mixed_sign", torch.tensor([-3.0, 10.0, 0.0, 250.0]))
    add("vec_f32_ratio_sci", torch.tensor([1.5, 2000.25, -3.0]))
    add("vec_f32_small_frac_sci", torch.tensor([0.001, 10.5]))
    add("vec_f32_min_below_1e-4", torch.tensor([1.0e-5, 1.0, -0.5]))
    add("vec_f32_int_ratio_sci", torch.tensor([1.0, 5000.0]))
    add("vec_f32_int_huge_sci", torch.tensor([1.0e9, 2.0e9, 0.0]), grad="mul")
    add("vec_f64_int_above_1e8", torch.tensor([100000001.0, 5.0], dtype=torch.float64))
    add("vec_f32_int_nonfinite",
        torch.tensor([1.0, float("nan"), float("inf"), float("-inf"), -0.0]))
    add("vec_f32_fixed_nonfinite", torch.tensor([1.5, float("nan"), float("-inf"), 0.0]))
    add("vec_f32_sci_nonfinite",
        torch.tensor([1.0e-5, float("nan"), -0.0, float("inf"), -2.5e3]))
    add("vec_f32_all_zero", torch.zeros(4), grad="clone")
    add("vec_f32_all_nan", torch.tensor([float("nan"), float("nan")]))
    add("vec_f32_only_nonfinite_and_zero",
        torch.tensor([0.0, float("-inf"), -0.0, float("nan")]))
    add("vec_f32_neg_zero_overflows_width", torch.tensor([1.5, -0.0, 2.25]))
    add("vec_f64_round_half_even",
        torch.tensor([1.03125, 2.5, 0.15625, -1.03125], dtype=torch.float64))
    add("vec_f32_rounding_of_float32",
        torch.tensor([0.1, 6.3, 1.0 / 3.0, 2.0 / 3.0, 22.5]))
    add("vec_f32_sci_rounding", torch.tensor([0.1, 6.3, 1.0e5 / 3.0, 1.0e-6]))
    add("vec_f64_tiny_3digit_exp", torch.tensor([1.0e-300, -2.0e-305], dtype=torch.float64))
    add("vec_f32_max_float", torch.tensor([3.4e38, -1.0]))
    add("vec_f32_width_padding", torch.tensor([-100.125, 3.5, 0.25, 12.0]), grad="req")
    add("vec_i64_big", torch.tensor([9007199254740992, -9007199254740991, 0, 7]))
    add("vec_f32_exactly_1e-4", torch.tensor([1.0e-4, 0.5]))
    add("vec_f64_ratio_exactly_1000", torch.tensor([1.0, 1000.0], dtype=torch.float64))


def matrix_cases():
    add("mat_f32_randn_3x4", randn(4, 3, 4))
    add("mat_f32_randn_3x4_grad", randn(5, 3, 4), grad="mul")
    add("mat_f64_2x3", randn(6, 2, 3, dtype=torch.float64))
    add("mat_i32_3x3", randint(7, -50, 50, 3, 3, dtype=torch.int32))
    add("mat_i64_2x5", randint(8, 0, 100000, 2, 5))
    add("mat_bool_3x2", randint(9, 0, 2, 3, 2).to(torch.bool))
    add("mat_f32_1x1", torch.tensor([[7.0]]))
    add("mat_f32_5x1", randn(10, 5, 1), grad="view")
    add("mat_f32_sci_2x3", randn(11, 2, 3, scale=1.0e6))
    add("t3_f32_2x3x4", randn(12, 2, 3, 4))
    add("t3_i64_2x2x3", randint(13, -9, 10, 2, 2, 3))
    add("t4_f32_2x2x2x2", randn(14, 2, 2, 2, 2), grad="pow")
    add("t3_f32_1x1x1", torch.tensor([[[0.5]]]), grad="req")


def wrap_cases():
    add("wrap_f32_randn_30", randn(20, 30))
    add("wrap_f32_randn_30_grad", randn(21, 30), grad="mul")
    add("wrap_i64_arange_50", torch.arange(50))
    add("wrap_f32_int_arange_40", torch.arange(40, dtype=torch.float32))
    add("wrap_f64_sci_20", randn(22, 20, dtype=torch.float64, scale=1.0e-6))
    add("wrap_2d_4x25", randn(23, 4, 25))
    add("wrap_3d_2x2x15", randn(24, 2, 2, 15, dtype=torch.float64))
    add("wrap_bool_30", randint(25, 0, 2, 30).to(torch.bool))
    add("wrap_i32_40", randint(26, -100, 100, 40, dtype=torch.int32))
    add("wrap_exact_fit_f32", randn(27, 8))
    add("wrap_one_per_line_linewidth", randn(28, 4, scale=1.0e3), linewidth=10)


def suffix_wrap_cases():
    # Rows that end close to the line width push the suffixes to new lines.
    add("suffix_wrap_f64_req", randn(30, 7, dtype=torch.float64), grad="req")
    add("suffix_wrap_f64_grad_fn", randn(31, 2, 7, dtype=torch.float64), grad="mul")
    add("suffix_wrap_i32_dtype", randint(32, 10000, 99999, 9, dtype=torch.int32))
    add("suffix_wrap_f32_req_8", randn(33, 8), grad="req")
    add("suffix_fit_f64_short", torch.tensor([1.0, 2.0], dtype=torch.float64), grad="req")
    # PyTorch counts the last line as its length + 2: a 55-character line
    # with ", requires_grad=True)" (76 characters in all) still wraps at
    # linewidth 76, and stays on the line at 77.
    six = torch.tensor([0.125, 0.25, 0.375, 0.5, 0.625, 0.75])
    add("suffix_quirk_wraps_at_76", six, grad="req", linewidth=76)
    add("suffix_quirk_fits_at_77", six, grad="req", linewidth=77)
    # The dtype fits on the line, the grad_fn after it does not.
    add("suffix_second_wraps", torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64),
        grad="mul", linewidth=60)


def summarize_cases():
    add("sum_i64_arange_1001", torch.arange(1001))
    add("sum_f32_randn_1001", randn(40, 1001), grad="req")
    add("sum_f32_2d_34x30", randn(41, 34, 30))
    add("sum_f64_3d_10x10x11", randn(42, 10, 10, 11, dtype=torch.float64))
    add("sum_f32_1001x1", randn(43, 1001, 1))
    add("sum_f32_1x1001", randn(44, 1, 1001))
    t = torch.arange(1010, dtype=torch.float32)
    t[500] = 1.0e10  # hidden by "...", so it must not switch to sci mode
    add("sum_hidden_value_ignored", t)
    add("sum_bool_1001", randint(45, 0, 2, 1001).to(torch.bool))
    add("sum_i32_3x334", randint(46, -5, 5, 3, 334, dtype=torch.int32))
    add("sum_sci_2d_32x32", randn(47, 32, 32, scale=1.0e-5), grad="mul")
    add("sum_exactly_threshold", torch.arange(1000, dtype=torch.float32))
    add("sum_opts_threshold_10", torch.arange(12), threshold=10, edgeitems=2)
    add("sum_opts_2d_edge1", randn(48, 5, 6), threshold=20, edgeitems=1)


def empty_cases():
    add("empty_f32", torch.zeros(0))
    add("empty_f32_0x3", torch.zeros(0, 3))
    add("empty_i64", torch.zeros(0, dtype=torch.int64))
    add("empty_f64_2x0x3_req", torch.zeros(2, 0, 3, dtype=torch.float64), grad="req")
    add("empty_bool", torch.zeros(0, dtype=torch.bool))
    add("empty_i32_3x0", torch.zeros(3, 0, dtype=torch.int32))
    add("empty_f32_req", torch.zeros(0), grad="req")


def option_cases():
    add("opt_precision_2", randn(50, 5), precision=2)
    add("opt_precision_6_sci", randn(51, 4, scale=1.0e-5, dtype=torch.float64), precision=6)
    add("opt_precision_0", torch.tensor([1.5, 2.25, -0.75]), precision=0)
    add("opt_linewidth_40", randn(52, 3, 10), linewidth=40)
    add("opt_linewidth_120", randn(53, 30), linewidth=120, grad="req")


def c_string(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            raise ValueError("non-ASCII character in repr: %r" % ch)
    return '"' + "".join(out) + '"'


def c_double(v, dtype):
    if math.isnan(v):
        return "kNaN"
    if math.isinf(v):
        return "kInf" if v > 0 else "-kInf"
    if dtype == "F32":
        # Shortest text that round-trips through float32, as a float literal:
        # exact, and much shorter than the double's digits.
        return str(numpy.float32(v)) + "f"
    return repr(v)  # shortest round-trip text: the literal is exact


def emit(path):
    lines = [
        "// Generated by tests/runtime/torch_format_cases.py from PyTorch %s;"
        % torch.__version__,
        "// do not edit. Regenerate with:",
        "//   /usr/bin/python3 tests/runtime/torch_format_cases.py",
        "// Each entry: name, values (row-major), shape, dtype, suffixes,",
        "// {precision, linewidth, threshold, edgeitems}, expected repr.",
        "// clang-format off",
        "static const TorchFormatCase kTorchFormatCases[] = {",
    ]
    for c in CASES:
        vals = [c_double(v, c["dtype"]) for v in c["values"]]
        val_lines = []
        for i in range(0, len(vals), 8):
            val_lines.append("      " + ", ".join(vals[i : i + 8]) + ",")
        o = c["opts"]
        lines.append("  {%s," % c_string(c["name"]))
        lines.append("    {")
        lines.extend(val_lines)
        lines.append("    },")
        lines.append("    {%s}, gradc::DType::%s," % (", ".join(str(d) for d in c["shape"]), c["dtype"]))
        lines.append("    {%s}," % ", ".join(c_string(s) for s in c["suffixes"]))
        lines.append("    {%d, %d, %d, %d}," % (o["precision"], o["linewidth"], o["threshold"], o["edgeitems"]))
        lines.append("    %s}," % c_string(c["expected"]))
    lines.append("};")
    lines.append("// clang-format on")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    seed_document_cases()
    scalar_cases()
    vector_cases()
    matrix_cases()
    wrap_cases()
    suffix_wrap_cases()
    summarize_cases()
    empty_cases()
    option_cases()
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "torch_format_cases.inc")
    emit(path)
    print("wrote %d cases to %s" % (len(CASES), path), file=sys.stderr)


if __name__ == "__main__":
    main()
