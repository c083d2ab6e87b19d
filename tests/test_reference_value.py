"""The reference Value: every op's forward value and gradient, and backward()'s bookkeeping."""
from __future__ import annotations

import math
import random

import pytest
from gradcheck import GRAD_ATOL, GRAD_RTOL, numeric_grad

from microgpt.value import Value, topological_order

# name -> (f on Values or floats, inputs). Each f is also evaluated on plain floats, where
# Value's methods are replaced by math's, to get the numerical derivative.
OPS = {
    "add": (lambda a, b: a + b, [0.7, -1.3]),
    "mul": (lambda a, b: a * b, [0.7, -1.3]),
    "pow_int": (lambda a: a**3, [0.7]),
    "pow_neg_half": (lambda a: a**-0.5, [1.7]),
    "pow_neg_one": (lambda a: a**-1, [-1.7]),
    "log": (lambda a: _log(a), [1.7]),
    "exp": (lambda a: _exp(a), [0.4]),
    "relu_pos": (lambda a: _relu(a), [0.4]),
    "relu_neg": (lambda a: _relu(a), [-0.4]),
    "neg": (lambda a: -a, [0.4]),
    "sub": (lambda a, b: a - b, [0.7, -1.3]),
    "radd": (lambda a: 2.5 + a, [0.7]),
    "rsub": (lambda a: 2.5 - a, [0.7]),
    "rmul": (lambda a: 2.5 * a, [0.7]),
    "truediv": (lambda a, b: a / b, [0.7, -1.3]),
    "rtruediv": (lambda a: 2.5 / a, [0.7]),
    "add_const": (lambda a: a + 2.5, [0.7]),
    "mul_const": (lambda a: a * 2.5, [0.7]),
    "composite": (lambda a, b: _exp(a * b) / (a * a + b) - _log(b * b) + _relu(a - b), [0.7, -1.3]),
}


def _log(x):
    return x.log() if isinstance(x, Value) else math.log(x)


def _exp(x):
    return x.exp() if isinstance(x, Value) else math.exp(x)


def _relu(x):
    return x.relu() if isinstance(x, Value) else max(0.0, x)


@pytest.mark.parametrize("name", OPS)
def test_op_forward_and_gradient_match_floats_and_central_differences(name):
    f, xs = OPS[name]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    assert math.isclose(out.data, f(*xs), rel_tol=1e-15), f"{name}{tuple(xs)}: got {out.data}, expected {f(*xs)}"
    expected = numeric_grad(lambda v: f(*v), xs)
    for leaf, x, e in zip(leaves, xs, expected):
        assert math.isclose(leaf.grad, e, rel_tol=GRAD_RTOL, abs_tol=GRAD_ATOL), (
            f"{name}{tuple(xs)}: d/d{x} got {leaf.grad}, central difference {e}"
        )


def test_folded_constants_give_the_same_floats_as_value_wrapped_constants():
    """Constants are not made into nodes; every forward float and gradient must be the same
    as microgpt's `Value(constant)` (here: a constant passed as a Value leaf)."""
    xs = [0.3, -1.1]
    a, b = Value(xs[0]), Value(xs[1])
    folded = ((a * 0.1 + 3.0) ** -0.5 - 2.0 / b) * -1
    folded.backward()
    a2, b2 = Value(xs[0]), Value(xs[1])
    wrapped = ((a2 * Value(0.1) + Value(3.0)) ** -0.5 + -(Value(2.0) * b2**-1)) * Value(-1)
    wrapped.backward()
    assert (folded.data, a.grad, b.grad) == (wrapped.data, a2.grad, b2.grad)


def test_a_node_used_twice_gets_both_gradient_contributions():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0, f"x*x + x at x=3: got dy/dx={x.grad}, expected 7 (each use must add to x.grad)"


def test_backward_twice_accumulates():
    x = Value(3.0)
    y = x * 2.0
    y.backward()
    y.backward()
    assert x.grad == 4.0


def _recursive_topo(root):
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._children:
                build(child)
            topo.append(v)

    build(root)
    return topo


def test_topological_order_is_exactly_the_recursive_depth_first_order():
    """The order in which gradients add up must be microgpt's, or the floats drift."""
    rng = random.Random(0)
    nodes = [Value(rng.uniform(0.5, 1.5)) for _ in range(8)]
    for _ in range(200):
        a, b = rng.sample(nodes[-30:], 2)
        nodes.append(rng.choice([(a + b) * 0.5, a * b * 0.5, (a * 0.1).exp(), (a * a + 1).log(), (a.relu() - b) * 0.5]))  # |v| <= 2
    root = sum(nodes[-20:])
    assert [id(v) for v in topological_order(root)] == [id(v) for v in _recursive_topo(root)]


def test_backward_handles_graphs_deeper_than_the_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
