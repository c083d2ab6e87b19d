# Generated from solutions/microgpt/value.py by `python -m grader exercises`: instructors edit there, not here.
"""A scalar that remembers how it was computed, so that backward() can find every gradient.

Each op stores its children and the local gradients d(out)/d(child) as plain numbers;
backward() does the chaining. Constants are folded into the local gradient instead of
becoming nodes: the arithmetic, and so every float, is the same as wrapping them in Value.
"""
from __future__ import annotations

import math


class Value:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other) -> Value:
        """out = a + b;  d/da = 1, d/db = 1"""
        raise NotImplementedError("Task value_add: return a + b with local gradients (1, 1)")

    def __mul__(self, other) -> Value:
        """out = a * b;  d/da = b, d/db = a"""
        raise NotImplementedError("Task value_mul: return a * b with local gradients (b, a)")

    def __pow__(self, other) -> Value:
        """out = a ** k for a plain number k;  d/da = k * a ** (k - 1)"""
        raise NotImplementedError("Task value_pow: return a ** k with local gradient k * a ** (k - 1)")

    def log(self) -> Value:
        """out = ln(a);  d/da = 1 / a"""
        raise NotImplementedError("Task value_log: return ln(a) with local gradient 1 / a")

    def exp(self) -> Value:
        """out = e ** a;  d/da = e ** a"""
        raise NotImplementedError("Task value_exp: return e ** a with local gradient e ** a")

    def relu(self) -> Value:
        """out = max(0, a);  d/da = 1 if a > 0 else 0"""
        raise NotImplementedError("Task value_relu: return max(0, a) with local gradient 1 if a > 0 else 0")

    # Derived ops, written with the primitives above.
    def __neg__(self) -> Value:
        return self * -1

    def __radd__(self, other) -> Value:
        return self + other

    def __sub__(self, other) -> Value:
        return self + (-other)

    def __rsub__(self, other) -> Value:
        return other + (-self)

    def __rmul__(self, other) -> Value:
        return self * other

    def __truediv__(self, other) -> Value:
        return self * other**-1

    def __rtruediv__(self, other) -> Value:
        return other * self**-1

    def backward(self) -> None:
        """Set self.grad = 1, then, from the output back to the leaves (reverse topological
        order), add local_grad * node.grad into each child's grad."""
        raise NotImplementedError("Task backward: order the graph topologically and accumulate local_grad * grad into each child")


def topological_order(root: Value) -> list[Value]:
    """Every node below root, each after all of its children: the order of a recursive
    depth-first post-order walk, kept exactly (it fixes the order in which gradients add
    up, so the floats), but with an explicit stack so that deep graphs cannot overflow."""
    raise NotImplementedError("Task backward: order the graph topologically and accumulate local_grad * grad into each child")

