# Generated from solutions/microgpt/nn.py by `python -m grader exercises`: instructors edit there, not here.
"""The three building blocks of the model: linear, softmax and rmsnorm, on lists of Values."""
from __future__ import annotations

from .value import Value


def linear(x: list[Value], w: list[list[Value]]) -> list[Value]:
    """out[o] = sum_i w[o][i] * x[i].  x: (nin,), w: (nout, nin) -> (nout,)

    Accumulate left to right starting from 0, as sum() does: that order fixes the floats."""
    raise NotImplementedError("Task linear: return [sum_i w[o][i] * x[i] for each row o of w]")


def softmax(logits: list[Value]) -> list[Value]:
    """probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)), with max(x) a plain float.

    Example: softmax([0, 0]) -> [0.5, 0.5];  softmax([1000, 0]) -> [1.0, 0.0], no overflow."""
    raise NotImplementedError("Task softmax: return exp(x_i - max) / sum_j exp(x_j - max), max a plain float")


def rmsnorm(x: list[Value]) -> list[Value]:
    """out_i = x_i * (mean_j(x_j ** 2) + 1e-5) ** -0.5: rescale x to unit mean square."""
    raise NotImplementedError("Task rmsnorm: return x_i * (mean(x ** 2) + 1e-5) ** -0.5")
