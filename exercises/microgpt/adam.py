# Generated from solutions/microgpt/adam.py by `python -m grader exercises`: instructors edit there, not here.
"""Adam with bias correction and a linearly decaying learning rate, as microgpt trains."""
from __future__ import annotations

from .value import Value


class Adam:
    def __init__(self, params: list[Value], learning_rate=0.01, beta1=0.85, beta2=0.99, eps=1e-8):
        self.params = params
        self.learning_rate, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self.m = [0.0] * len(params)  # first moment: running mean of the gradient
        self.v = [0.0] * len(params)  # second moment: running mean of its square

    def step(self, step: int, num_steps: int) -> None:
        """Update every parameter from its .grad, then zero the grads. step is 0-based.

        lr_t = lr * (1 - step / num_steps)
        m = beta1 * m + (1 - beta1) * g;      v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** (step + 1)); v_hat = v / (1 - beta2 ** (step + 1))
        p -= lr_t * m_hat / (v_hat ** 0.5 + eps)"""
        raise NotImplementedError("Task adam: update m, v, bias-correct, step each parameter with the decayed lr, zero the grads")
