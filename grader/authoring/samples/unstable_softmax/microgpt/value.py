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
        # BEGIN SOLUTION
        if isinstance(other, Value):
            return Value(self.data + other.data, (self, other), (1, 1))
        return Value(self.data + other, (self,), (1,))
        # END SOLUTION

    def __mul__(self, other) -> Value:
        """out = a * b;  d/da = b, d/db = a"""
        # BEGIN SOLUTION
        if isinstance(other, Value):
            return Value(self.data * other.data, (self, other), (other.data, self.data))
        return Value(self.data * other, (self,), (other,))
        # END SOLUTION

    def __pow__(self, other) -> Value:
        """out = a ** k for a plain number k;  d/da = k * a ** (k - 1)"""
        # BEGIN SOLUTION
        return Value(self.data**other, (self,), (other * self.data ** (other - 1),))
        # END SOLUTION

    def log(self) -> Value:
        """out = ln(a);  d/da = 1 / a"""
        # BEGIN SOLUTION
        return Value(math.log(self.data), (self,), (1 / self.data,))
        # END SOLUTION

    def exp(self) -> Value:
        """out = e ** a;  d/da = e ** a"""
        # BEGIN SOLUTION
        return Value(math.exp(self.data), (self,), (math.exp(self.data),))
        # END SOLUTION

    def relu(self) -> Value:
        """out = max(0, a);  d/da = 1 if a > 0 else 0"""
        # BEGIN SOLUTION
        return Value(max(0, self.data), (self,), (float(self.data > 0),))
        # END SOLUTION

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
        # BEGIN SOLUTION
        self.grad = 1
        for v in reversed(topological_order(self)):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad
        # END SOLUTION


def topological_order(root: Value) -> list[Value]:
    """Every node below root, each after all of its children: the order of a recursive
    depth-first post-order walk, kept exactly (it fixes the order in which gradients add
    up, so the floats), but with an explicit stack so that deep graphs cannot overflow."""
    # BEGIN SOLUTION
    topo, visited = [], {root}
    stack = [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:
                visited.add(child)
                if child._children:
                    stack.append((child, iter(child._children)))
                    break
                topo.append(child)  # a leaf (a parameter) is done as soon as it is seen
        else:
            stack.pop()
            topo.append(node)
    return topo
    # END SOLUTION

