# Generated from solutions/ladder/float_nn.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 1's softmax, on plain floats. (linear is microgpt.nn.linear: the same expression
works on floats and on Values.)"""
from __future__ import annotations

import math


def softmax(logits: list[float]) -> list[float]:
    """probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)).

    Example: softmax([0.0, 0.0]) -> [0.5, 0.5];  softmax([1000.0, 0.0]) -> [1.0, 0.0]."""
    raise NotImplementedError("Task float_softmax: return exp(x_i - max) / sum_j exp(x_j - max)")
