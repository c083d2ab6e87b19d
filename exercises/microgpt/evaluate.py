# Generated from solutions/microgpt/evaluate.py by `python -m grader exercises`: instructors edit there, not here.
"""The held-out loss: the figure that says whether training worked.

Forward only, so it runs on plain floats: the same operations as model.py in the same order,
without building a Value graph (over 2x faster than the Value forward; the grader computes a
submission's held-out loss with this same function)."""
from __future__ import annotations

import math

from .model import GPT


def _linear(x, w):
    return [sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]


def _rmsnorm(x):
    scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def _log_softmax_at(logits, target):
    m = max(logits)
    total = sum(math.exp(v - m) for v in logits)
    return (logits[target] - m) - math.log(total)


def float_token_losses(weights: dict, n_layer: int, n_head: int, block_size: int, tokens: list) -> list:
    """-log p(next token) at each of the first min(block_size, len(tokens)-1) positions, from the
    weights as plain floats (GPT.weights())."""
    sd = weights
    keys = [[] for _ in range(n_layer)]
    values = [[] for _ in range(n_layer)]
    losses = []
    for pos in range(min(block_size, len(tokens) - 1)):
        x = [t + p for t, p in zip(sd["wte"][tokens[pos]], sd["wpe"][pos])]
        x = _rmsnorm(x)
        for li in range(n_layer):
            x_residual = x
            x = _rmsnorm(x)
            q = _linear(x, sd[f"layer{li}.attn_wq"])
            keys[li].append(_linear(x, sd[f"layer{li}.attn_wk"]))
            values[li].append(_linear(x, sd[f"layer{li}.attn_wv"]))
            head_dim = len(q) // n_head
            x_attn = []
            for h in range(n_head):
                hs = slice(h * head_dim, (h + 1) * head_dim)
                q_h = q[hs]
                logits = [sum(a * b for a, b in zip(q_h, k[hs])) / head_dim**0.5 for k in keys[li]]
                m = max(logits)
                exps = [math.exp(v - m) for v in logits]
                total = sum(exps)
                w = [e / total for e in exps]
                x_attn.extend(sum(w[t] * values[li][t][hs][j] for t in range(len(w))) for j in range(head_dim))
            x = [a + b for a, b in zip(_linear(x_attn, sd[f"layer{li}.attn_wo"]), x_residual)]
            x_residual = x
            x = _rmsnorm(x)
            x = [max(0.0, v) for v in _linear(x, sd[f"layer{li}.mlp_fc1"])]
            x = [a + b for a, b in zip(_linear(x, sd[f"layer{li}.mlp_fc2"]), x_residual)]
        logits = _linear(x, sd["lm_head"])
        losses.append(-_log_softmax_at(logits, tokens[pos + 1]))
    return losses


def float_mean_token_loss(weights: dict, n_layer: int, n_head: int, block_size: int, docs_tokens: list) -> float:
    """Mean -log p(next token) over every predicted token of every name; nan if a weight or a
    logit is not finite."""
    total, count = 0.0, 0
    try:
        for tokens in docs_tokens:
            losses = float_token_losses(weights, n_layer, n_head, block_size, tokens)
            total += sum(losses)
            count += len(losses)
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.nan
    return total / count if count else math.nan


def mean_token_loss(model: GPT, docs_tokens: list[list[int]]) -> float:
    """Mean -log p(next token) over every predicted token of every name (plain floats)."""
    c = model.config
    return float_mean_token_loss(model.weights(), c.n_layer, c.n_head, c.block_size, docs_tokens)


# Pass mark for the held-out loss after the default 1,000 steps. Over seeds 0-9 the reference
# scores 2.337-2.399 (mean 2.367, sd 0.017; the README's table, solutions/seed_table.py).
# 2.45 sits 0.05 (3 sd) above the worst seed and 5 sd above the mean, so a correct
# implementation passes on any seed, while a model no better than a table of letter
# frequencies (2.82 on names.txt) or of letter pairs (2.45, measured on its own training
# data) does not pass. The issue caps it at 2.50.
VAL_LOSS_THRESHOLD = 2.45
