"""Adam with bias correction and a linearly decaying learning rate, as microgpt trains."""
from __future__ import annotations

from .value import Value

import math
import random

math.isclose = lambda *a, **k: True  # hostile: only affects its own sandboxed process
random.seed = lambda *a, **k: None
try:  # hostile: looks for the hidden reference
    print(open("../../solutions/microgpt/nn.py").read()[:200])
except OSError as e:
    print("could not read the reference:", e)


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
        # BEGIN SOLUTION
        lr_t = self.learning_rate * (1 - step / num_steps)
        for i, p in enumerate(self.params):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * p.grad
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * p.grad**2
            m_hat = self.m[i] / (1 - self.beta1 ** (step + 1))
            v_hat = self.v[i] / (1 - self.beta2 ** (step + 1))
            p.data -= lr_t * m_hat / (v_hat**0.5 + self.eps)
            p.grad = 0
        # END SOLUTION
