"""Compares two `gradc run --format json` documents: same names and shapes,
values within a relative tolerance (the AOT build and the JIT may contract
a*b+c into an FMA differently)."""
import json
import math
import sys


def main():
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
    rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
    bad = []
    for part in ("outputs", "grads"):
        if set(a[part]) != set(b[part]):
            bad.append(f"{part}: names {sorted(a[part])} vs {sorted(b[part])}")
            continue
        for name in a[part]:
            x, y = a[part][name], b[part][name]
            if x["shape"] != y["shape"]:
                bad.append(f"{part}/{name}: shape {x['shape']} vs {y['shape']}")
                continue
            scale = max([abs(v) for v in y["data"]] + [1e-30])
            for i, (u, v) in enumerate(zip(x["data"], y["data"])):
                if not math.isclose(u, v, rel_tol=rtol, abs_tol=rtol * scale):
                    bad.append(f"{part}/{name}[{i}]: {u} vs {v}")
                    break
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print(f"{sys.argv[1]} matches {sys.argv[2]}")


main()
