"""Central-difference gradients, to check backward() against the definition of a derivative."""
from __future__ import annotations

# h = 1e-6 balances truncation error (~h^2 * f''') against rounding (~eps * f / h) for O(1)
# inputs; the two together stay below 1e-7 relative, so GRAD_RTOL = 1e-6 has a margin of 10.
H = 1e-6
GRAD_RTOL = 1e-6
GRAD_ATOL = 1e-8


def numeric_grad(f, xs: list[float], h: float = H) -> list[float]:
    """d f / d xs[i] for a function of a list of floats that returns a float."""
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(up) - f(down)) / (2 * h))
    return grads
