#!/usr/bin/python3
"""Replays the gpt example's training in PyTorch and compares the losses.

Runs `gpt --dump DIR`, which writes its initial parameters and every batch;
trains the same model in PyTorch (F.embedding, F.layer_norm, causal
attention with masked_fill and softmax, F.gelu, F.cross_entropy,
torch.optim.AdamW with the same settings) from the same parameters on the
same batches, and checks that the losses agree within 1e-4 relative. Exit
status 0 on agreement, 1 otherwise, 77 without PyTorch.
"""

import argparse
import math
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed for", sys.executable, "- skipping")
    sys.exit(77)


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from replay import DumpedRun, compare_losses, load  # noqa: E402


def forward(p, idx, m):
    B, T = idx.shape
    D, H = m["embd"], m["heads"]
    hd = D // H
    pos = torch.arange(T)
    x = F.embedding(idx, p["wte"]) + F.embedding(pos, p["wpe"])
    mask = pos.reshape(1, T) > pos.reshape(T, 1)
    for l in range(m["layers"]):
        h = "h%d." % l
        a = F.layer_norm(x, [D], p[h + "ln_1.weight"], p[h + "ln_1.bias"])
        qkv = a @ p[h + "attn.w"] + p[h + "attn.b"]
        q, k, v = (qkv[:, :, i * D:(i + 1) * D].reshape(B, T, H, hd) for i in range(3))
        q, k, v = q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1), v.permute(0, 2, 1, 3)
        att = (q @ k) * (1.0 / math.sqrt(hd))
        att = torch.softmax(att.masked_fill(mask, float("-inf")), -1)
        y = (att @ v).permute(0, 2, 1, 3).reshape(B, T, D)
        x = x + (y @ p[h + "proj.w"] + p[h + "proj.b"])
        a = F.layer_norm(x, [D], p[h + "ln_2.weight"], p[h + "ln_2.bias"])
        a = F.gelu(a @ p[h + "fc.w"] + p[h + "fc.b"])
        x = x + (a @ p[h + "mlp_proj.w"] + p[h + "mlp_proj.b"])
    x = F.layer_norm(x, [D], p["ln_f.weight"], p["ln_f.bias"])
    return x @ p["head.w"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpt", required=True, help="the gpt example binary")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("gpt_args", nargs="*", help="extra options for gpt")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with DumpedRun([args.gpt, "--steps", str(args.steps)] + args.gpt_args) as run:
        m = run.manifest
        params = run.params()
        opt = torch.optim.AdamW(list(params.values()), lr=m["lr"], betas=(0.9, 0.999),
                                eps=1e-8, weight_decay=m["weight_decay"])
        b, t = m["batch"], m["block"]
        losses = []
        for step in range(m["steps"]):
            base = run.path("step%d" % step)
            idx = load(base + "_idx.bin", np.int64, [b, t])
            tgt = load(base + "_targets.bin", np.int64, [b, t])
            opt.zero_grad()
            logits = forward(params, idx, m)
            loss = F.cross_entropy(logits.reshape(b * t, m["vocab"]), tgt.reshape(b * t))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return compare_losses(m["losses"], losses, args.rtol, args.steps)


if __name__ == "__main__":
    sys.exit(main())
