"""The wrong variants of a formula whose outputs the public checks recognise, computed here by
the exercise generator and written into exercises/tests/fixtures.json: a student's wrong answer
is matched against these numbers, and the formulas themselves (the right one among them)
never ship to students."""
from __future__ import annotations

import math


def attention_float(case, scale="sqrt", weigh="v", soft=True, itself=True):
    """Attention of the new position on plain floats, with one of the known mistakes."""
    n_head, q, k, v, keys, values = case
    ks, vs = (keys + [k], values + [v]) if itself else (keys, values)
    hd = len(q) // n_head
    div = {"sqrt": hd**0.5, "head_dim": hd, "none": 1.0, "times": hd**-0.5, "n_embd": len(q) ** 0.5}[scale]
    out = []
    for h in range(n_head):
        lo, hi = h * hd, (h + 1) * hd
        logits = [sum(a * b for a, b in zip(q[lo:hi], kt[lo:hi])) / div for kt in ks]
        if soft:
            top = max(logits)
            e = [math.exp(x - top) for x in logits]
            weights = [x / sum(e) for x in e]
        else:
            weights = logits
        src = ks if weigh == "k" else vs
        out += [sum(w * row[lo + j] for w, row in zip(weights, src)) for j in range(hd)]
    return out


def attention_variants(case) -> dict:
    return {
        "you scaled by head_dim; divide q . k by the square root of head_dim, head_dim ** 0.5": lambda: attention_float(case, scale="head_dim"),
        "the logits are not scaled: divide q . k by sqrt(head_dim)": lambda: attention_float(case, scale="none"),
        "you multiplied by sqrt(head_dim): divide q . k by it": lambda: attention_float(case, scale="times"),
        "you scaled by sqrt(n_embd), the whole vector's size: each head divides by sqrt(head_dim), head_dim = n_embd // n_head": lambda: attention_float(case, scale="n_embd"),
        "you weighted the keys: each head's output is sum_t weights_t * v_h[t], the cached values": lambda: attention_float(case, weigh="k"),
        "no softmax: the weights are softmax(logits) over the positions, not the raw scaled logits": lambda: attention_float(case, soft=False),
        "the new position is missing: append k and v to the cache *before* attending, so it attends to itself too": lambda: attention_float(case, itself=False),
    }


def attention_fixtures(cases: dict) -> dict:
    """{case label: {cause: the variant's output}} for the public attention checks' cases."""
    return {label: {cause: compute() for cause, compute in attention_variants(case).items()} for label, case in cases.items()}
