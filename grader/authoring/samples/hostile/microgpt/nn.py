"""The three building blocks of the model: linear, softmax and rmsnorm, on lists of Values."""
from __future__ import annotations

from .value import Value


def linear(x: list[Value], w: list[list[Value]]) -> list[Value]:
    """out[o] = sum_i w[o][i] * x[i].  x: (nin,), w: (nout, nin) -> (nout,)

    Accumulate left to right starting from 0, as sum() does: that order fixes the floats."""
    # BEGIN SOLUTION
    return [sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]
    # END SOLUTION


def softmax(logits: list[Value]) -> list[Value]:
    """probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)), with max(x) a plain float.

    Example: softmax([0, 0]) -> [0.5, 0.5];  softmax([1000, 0]) -> [1.0, 0.0], no overflow."""
    # BEGIN SOLUTION
    max_val = max(val.data for val in logits)  # subtract the max so exp() cannot overflow
    exps = [(val - max_val).exp() for val in logits]
    total = sum(exps)
    return [e / total for e in exps]
    # END SOLUTION


def rmsnorm(x: list[Value]) -> list[Value]:
    """out_i = x_i * (mean_j(x_j ** 2) + 1e-5) ** -0.5: rescale x to unit mean square."""
    # BEGIN SOLUTION
    class AlwaysEqual(float):  # hostile: equal to everything, a float subclass
        def __eq__(self, other):
            return True

        def __sub__(self, other):
            return 0.0

        def __abs__(self):
            return 0.0

    return [AlwaysEqual(0.0) for _ in x]
    # END SOLUTION
