"""Export of nn.MultiheadAttention, written in gradc ops as PyTorch's
F.multi_head_attention_forward computes it (gradc has no attention op):

    q, k, v = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v
              (W_q, W_k, W_v: the three row blocks of in_proj_weight, as
              slices of that one input, so its gradient is one array)
    per head h (D = E / H): a_h = softmax(q_h / sqrt(D) k_h^T + mask)
    out = concat_h(a_h v_h) W_o^T + b_o

Masks: a bool attn_mask or key_padding_mask is True where attention is not
allowed (masked_fill with the dtype's most negative finite value, as the
exporter writes -inf elsewhere: the same softmax); a float attn_mask is
added. need_weights returns the attention averaged over heads (or per head
with average_attn_weights=False). Dropout on the attention is gradc's
dropout in training mode (its own mask), nothing in eval mode.
add_bias_kv, add_zero_attn and separate key/value sizes (kdim, vdim) are
refused by name.
"""

import math

import torch

from .export_builders import bind

__all__ = ["m_multihead_attention"]


def _linear(c, x, w, b):
    y = c.emit("matmul", [x, c.emit("transpose", [w], {"dim0": 0, "dim1": 1})])
    return c.emit("add", [y, b]) if b is not None else y


def _rows(c, t, start, end):
    return c.emit("slice", [t], {"dim": 0, "start": start, "end": end})


def _heads(c, x, N, L, H, D):
    """[N, L, E] -> [N, H, L, D]."""
    x = c.emit("reshape", [x], {"shape": [N, L, H, D]})
    return c.emit("transpose", [x], {"dim0": 1, "dim1": 2})


def m_multihead_attention(c, mod, q_name, args, kwargs):
    a = bind(c, args, kwargs, "query key value key_padding_mask=None need_weights=True "
             "attn_mask=None average_attn_weights=True")
    if mod.bias_k is not None or mod.add_zero_attn:
        raise c.error("MultiheadAttention with add_bias_kv or add_zero_attn is not supported")
    if not mod._qkv_same_embed_dim:
        raise c.error("MultiheadAttention with kdim or vdim other than embed_dim is not supported")
    query, key, value = (c.t(a[n], n) for n in ("query", "key", "value"))
    if len(c.shape(query)) != 3:
        raise c.error("MultiheadAttention of unbatched (2-D) inputs is not supported")
    if not mod.batch_first:  # (L, N, E) -> (N, L, E)
        query, key, value = (c.emit("transpose", [t], {"dim0": 0, "dim1": 1})
                             for t in (query, key, value))
        N, L, E = c.shape(a["query"])[1], c.shape(a["query"])[0], mod.embed_dim
        S = c.shape(a["key"])[0]
    else:
        N, L, E = c.shape(a["query"])
        S = c.shape(a["key"])[1]
    H = mod.num_heads
    D = E // H
    w = c.state(q_name + ".in_proj_weight")
    b = c.state(q_name + ".in_proj_bias") if mod.in_proj_bias is not None else None
    proj = []
    for i, x in enumerate((query, key, value)):
        bi = _rows(c, b, i * E, (i + 1) * E) if b is not None else None
        proj.append(_linear(c, x, _rows(c, w, i * E, (i + 1) * E), bi))
    q = _heads(c, proj[0], N, L, H, D)
    k = _heads(c, proj[1], N, S, H, D)
    v = _heads(c, proj[2], N, S, H, D)
    q = c.emit("div", [q, math.sqrt(D)])
    scores = c.emit("matmul", [q, c.emit("transpose", [k], {"dim0": -2, "dim1": -1})])
    scores = _masks(c, scores, a["attn_mask"], a["key_padding_mask"], N, H, L, S)
    attn = c.emit("softmax", [scores], {"dim": -1})
    weights = attn
    if mod.training and mod.dropout > 0:
        inputs = [attn]
        if c.em.dropout_seed is not None:
            if c.em.dropout_seed not in c.em.shapes:
                c.em.add_input(c.em.dropout_seed, torch.tensor(0), False, True)
            inputs.append(c.em.dropout_seed)
        attn = c.emit("dropout", inputs, {"p": float(mod.dropout), "training": True})
    out = c.emit("matmul", [attn, v])  # [N, H, L, D]
    out = c.emit("reshape", [c.emit("transpose", [out], {"dim0": 1, "dim1": 2})],
                 {"shape": [N, L, E]})
    ob = c.state(q_name + ".out_proj.bias") if mod.out_proj.bias is not None else None
    out = _linear(c, out, c.state(q_name + ".out_proj.weight"), ob)
    if not mod.batch_first:
        out = c.emit("transpose", [out], {"dim0": 0, "dim1": 1})
    c.em.shapes[out] = tuple(c.values[c.node][0].shape)
    if not a["need_weights"]:
        return (out, None)
    if a["average_attn_weights"]:
        weights = c.emit("mean", [weights], {"dim": 1})
    c.em.shapes[weights] = tuple(c.values[c.node][1].shape)
    return (out, weights)


def _masks(c, scores, attn_mask, key_padding_mask, N, H, L, S):
    big = -torch.finfo(c.values[c.node][0].dtype).max
    if attn_mask is not None:
        m = c.t(attn_mask, "attn_mask")
        if len(c.shape(m)) == 3:  # [N * H, L, S]
            m = c.emit("reshape", [m], {"shape": [N, H, L, S]})
        if c.em.dtypes.get(m) == "bool":
            scores = c.emit("masked_fill", [scores, m], {"value": big})
        else:
            scores = c.emit("add", [scores, m])
    if key_padding_mask is not None:
        m = c.t(key_padding_mask, "key_padding_mask")
        m = c.emit("reshape", [m], {"shape": [N, 1, 1, S]})
        if c.em.dtypes.get(key_padding_mask) == "bool":
            scores = c.emit("masked_fill", [scores, m], {"value": big})
        else:
            scores = c.emit("add", [scores, m])
    return scores
