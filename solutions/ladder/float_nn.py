"""Rung 1's softmax, on plain floats. (linear is microgpt.nn.linear: the same expression
works on floats and on Values.)"""
from __future__ import annotations

import math


def softmax(logits: list[float]) -> list[float]:
    """probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)).

    Example: softmax([0.0, 0.0]) -> [0.5, 0.5];  softmax([1000.0, 0.0]) -> [1.0, 0.0]."""
    # BEGIN SOLUTION
    max_val = max(logits)  # subtract the max so exp() cannot overflow
    exps = [math.exp(v - max_val) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]
    # END SOLUTION
