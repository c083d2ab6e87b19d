"""The reference linear, softmax, rmsnorm and attention: hand-derived values and gradients."""
from __future__ import annotations

import math

import pytest
from gradcheck import GRAD_ATOL, GRAD_RTOL, numeric_grad

from microgpt.attention import attention
from microgpt.nn import linear, rmsnorm, softmax
from microgpt.value import Value

RTOL = 1e-12  # hand-derived values go through a few roundings at most


def values(xs):
    return [Value(x) for x in xs]


def data(vs):
    return [v.data for v in vs]


def assert_close(got, expected, what):
    assert all(math.isclose(g, e, rel_tol=RTOL, abs_tol=1e-300) for g, e in zip(got, expected)) and len(got) == len(
        expected
    ), f"{what}: got {got}, expected {expected}"


def test_linear_hand_values():
    assert data(linear(values([5, 6]), [values([1, 2]), values([3, 4]), values([0, -1])])) == [17, 39, -6]


def test_softmax_hand_values():
    assert_close(data(softmax(values([0.0, math.log(3.0)]))), [0.25, 0.75], "softmax([0, ln 3])")
    assert_close(data(softmax(values([2.0, 2.0, 2.0, 2.0]))), [0.25] * 4, "softmax of equal logits")


def test_softmax_does_not_overflow_and_ignores_a_shift():
    assert_close(data(softmax(values([1000.0, 0.0]))), [1.0, math.exp(-1000.0)], "softmax([1000, 0])")
    assert_close(data(softmax(values([1.0, 2.0, 3.5]))), data(softmax(values([101.0, 102.0, 103.5]))), "shifted")


def test_rmsnorm_hand_values():
    scale = (12.5 + 1e-5) ** -0.5  # mean of 3^2 and 4^2 is 12.5
    assert_close(data(rmsnorm(values([3.0, 4.0]))), [3 * scale, 4 * scale], "rmsnorm([3, 4])")
    out = data(rmsnorm(values([0.3, -2.0, 5.0, 0.01])))
    assert math.isclose(sum(x * x for x in out) / 4, 1.0, rel_tol=1e-5), "unit mean square (up to the 1e-5 eps)"


def test_attention_over_one_position_returns_its_value_vector():
    q, k, v = values([0.1, -0.2, 0.3, 0.4]), values([0.5, 0.6, -0.7, 0.8]), values([1.0, 2.0, 3.0, 4.0])
    keys, vals = [], []
    assert data(attention(q, k, v, keys, vals, n_head=2)) == [1.0, 2.0, 3.0, 4.0]
    assert keys == [k] and vals == [v], "the new key and value are appended to the cache"


def test_attention_over_two_positions_hand_values():
    # one head of dim 2: logits q.k_t / sqrt(2); weights softmax; output sum_t w_t v_t
    q = values([1.0, 1.0])
    keys, vals = [values([1.0, 0.0])], [values([1.0, 0.0])]
    out = data(attention(q, values([0.0, 0.0]), values([0.0, 1.0]), keys, vals, n_head=1))
    w0 = 1 / (1 + math.exp(-1 / math.sqrt(2)))
    assert_close(out, [w0, 1 - w0], "two-position attention")


def test_attention_heads_use_their_own_slices():
    # head 0 sees dims 0-1, head 1 dims 2-3; make the heads disagree about which position wins
    q = values([10.0, 0.0, -10.0, 0.0])
    keys, vals = [values([1.0, 0.0, 1.0, 0.0])], [values([1.0, 1.0, 1.0, 1.0])]
    out = data(attention(q, values([0.0] * 4), values([0.0] * 4), keys, vals, n_head=2))
    assert out[0] > 0.99 and out[2] < 0.01, f"head 0 attends to position 0, head 1 to position 1; got {out}"


def _scalar(fn, n_in):
    """A scalar function of n_in floats: a fixed weighted sum of fn's outputs."""

    def on_values(xs):
        out = fn(xs)
        return sum(o * (0.3 + 0.1 * i) for i, o in enumerate(out))

    def on_floats(xs):
        return on_values(values(xs)).data

    return on_values, on_floats


BLOCKS = {
    "linear": (lambda xs: linear(xs[:3], [xs[3:6], xs[6:9]]), 9),
    "softmax": (softmax, 5),
    "rmsnorm": (rmsnorm, 5),
    "attention": (lambda xs: attention(xs[0:4], xs[4:8], xs[8:12], [xs[12:16]], [xs[16:20]], n_head=2), 20),
}


@pytest.mark.parametrize("name", BLOCKS)
def test_block_gradients_match_central_differences(name):
    fn, n_in = BLOCKS[name]
    xs = [math.sin(1.7 * i + 0.3) for i in range(n_in)]
    on_values, on_floats = _scalar(fn, n_in)
    leaves = values(xs)
    on_values(leaves).backward()
    expected = numeric_grad(on_floats, xs)
    for i, (leaf, e) in enumerate(zip(leaves, expected)):
        assert math.isclose(leaf.grad, e, rel_tol=GRAD_RTOL, abs_tol=GRAD_ATOL), (
            f"{name}: d/dx[{i}] got {leaf.grad}, central difference {e}"
        )
