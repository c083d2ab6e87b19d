# Generated from solutions/microgpt/attention.py by `python -m grader exercises`: instructors edit there, not here.
"""Multi-head causal self-attention for one new position, with a key/value cache."""
from __future__ import annotations

from .nn import softmax
from .value import Value


def attention(
    q: list[Value],
    k: list[Value],
    v: list[Value],
    keys: list[list[Value]],
    values: list[list[Value]],
    n_head: int,
) -> list[Value]:
    """Attend from the newest position to itself and every earlier one.

    q, k, v: (n_embd,) for the new position. keys, values: this layer's cache, one
    (n_embd,) list per earlier position; append k and v to them first. Head h uses the
    slice [h*head_dim, (h+1)*head_dim). Per head: logits_t = q_h . k_h[t] / sqrt(head_dim)
    over all cached t, weights = softmax(logits), out_h = sum_t weights_t * v_h[t].
    Returns the heads concatenated: (n_embd,)."""
    raise NotImplementedError("Task attention: append k, v to the cache; per head softmax(q.k / sqrt(head_dim)) weighted sum of v")
