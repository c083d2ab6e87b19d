# Generated from solutions/ladder/attention_head.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 3: one head of causal self-attention for one new position, with a key/value cache
(rung 4 splits it into n_head heads: microgpt.attention)."""
from __future__ import annotations

from microgpt.nn import softmax
from microgpt.value import Value


def attention_head(
    q: list[Value], k: list[Value], v: list[Value], keys: list[list[Value]], values: list[list[Value]]
) -> list[Value]:
    """Attend from the newest position to itself and every earlier one.

    q, k, v: (n_embd,) for the new position; keys, values: the cache, one (n_embd,) list per
    earlier position; append k and v to them first. logits_t = q . keys[t] / sqrt(n_embd)
    over all cached t, weights = softmax(logits), returns sum_t weights_t * values[t]: (n_embd,)."""
    raise NotImplementedError("Task attention_head: append k, v; softmax(q . keys[t] / sqrt(n_embd)) over t; the weighted sum of values")
