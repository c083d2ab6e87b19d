"""Stochastic gradient descent with a linearly decaying learning rate (rungs 1-4; rung 5
brings Adam)."""
from __future__ import annotations

from microgpt.value import Value


def decayed_lr(learning_rate: float, step: int, num_steps: int) -> float:
    """lr_t = learning_rate * (1 - step / num_steps), step 0-based: from lr down towards 0."""
    return learning_rate * (1 - step / num_steps)


def sgd_update(weights: dict, grad: dict, lr_t: float) -> None:
    """Rung 1, plain floats: w -= lr_t * grad for every weight (grad shaped like weights)."""
    # BEGIN SOLUTION
    for k, mat in weights.items():
        for row, grad_row in zip(mat, grad[k]):
            for j in range(len(row)):
                row[j] -= lr_t * grad_row[j]
    # END SOLUTION


class SGD:
    """Rungs 2-4, on Values: the same update, read from .grad."""

    def __init__(self, params: list[Value], learning_rate: float):
        self.params = params
        self.learning_rate = learning_rate

    def step(self, step: int, num_steps: int) -> None:
        """p.data -= lr_t * p.grad for every parameter, then zero its grad. step is 0-based."""
        # BEGIN SOLUTION
        lr_t = decayed_lr(self.learning_rate, step, num_steps)
        for p in self.params:
            p.data -= lr_t * p.grad
            p.grad = 0
        # END SOLUTION
