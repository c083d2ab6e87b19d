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
    # BEGIN SOLUTION
    keys.append(k)
    values.append(v)
    n_embd = len(q)
    attn_logits = [sum(q[j] * keys[t][j] for j in range(n_embd)) / n_embd**0.5 for t in range(len(keys))]
    attn_weights = softmax(attn_logits)
    return [sum(attn_weights[t] * values[t][j] for t in range(len(values))) for j in range(n_embd)]
    # END SOLUTION
