# Generated from solutions/ladder/sgd.py by `python -m grader exercises`: instructors edit there, not here.
"""Stochastic gradient descent with a linearly decaying learning rate (rungs 1-4; rung 5
brings Adam)."""
from __future__ import annotations

from microgpt.value import Value


def decayed_lr(learning_rate: float, step: int, num_steps: int) -> float:
    """lr_t = learning_rate * (1 - step / num_steps), step 0-based: from lr down towards 0."""
    return learning_rate * (1 - step / num_steps)


def sgd_update(weights: dict, grad: dict, lr_t: float) -> None:
    """Rung 1, plain floats: w -= lr_t * grad for every weight (grad shaped like weights)."""
    raise NotImplementedError("Task sgd_update: w -= lr_t * grad for every weight")


class SGD:
    """Rungs 2-4, on Values: the same update, read from .grad."""

    def __init__(self, params: list[Value], learning_rate: float):
        self.params = params
        self.learning_rate = learning_rate

    def step(self, step: int, num_steps: int) -> None:
        """p.data -= lr_t * p.grad for every parameter, then zero its grad. step is 0-based."""
        raise NotImplementedError("Task sgd_step: p.data -= lr_t * p.grad, then p.grad = 0, for every parameter")
