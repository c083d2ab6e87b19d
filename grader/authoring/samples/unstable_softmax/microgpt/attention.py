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
    # BEGIN SOLUTION
    keys.append(k)
    values.append(v)
    head_dim = len(q) // n_head
    x_attn = []
    for h in range(n_head):
        hs = h * head_dim
        q_h = q[hs : hs + head_dim]
        k_h = [ki[hs : hs + head_dim] for ki in keys]
        v_h = [vi[hs : hs + head_dim] for vi in values]
        attn_logits = [
            sum(q_h[j] * k_h[t][j] for j in range(head_dim)) / head_dim**0.5
            for t in range(len(k_h))
        ]
        attn_weights = softmax(attn_logits)
        head_out = [
            sum(attn_weights[t] * v_h[t][j] for t in range(len(v_h)))
            for j in range(head_dim)
        ]
        x_attn.extend(head_out)
    return x_attn
    # END SOLUTION
