"""The reference Adam: hand-derived updates, bias correction, lr decay, zeroed grads."""
from __future__ import annotations

import math

from microgpt.adam import Adam
from microgpt.value import Value

RTOL = 1e-12


def test_first_step_moves_each_parameter_by_lr_against_its_gradient():
    # step 0: m_hat = g and v_hat = g^2 exactly, so the move is lr * g / (|g| + eps)
    params = [Value(1.0), Value(-2.0), Value(0.5)]
    for p, g in zip(params, [0.3, -4.0, 1e-3]):
        p.grad = g
    Adam(params).step(0, 1000)
    for p, start, g in zip(params, [1.0, -2.0, 0.5], [0.3, -4.0, 1e-3]):
        expected = start - 0.01 * g / (abs(g) + 1e-8)
        assert math.isclose(p.data, expected, rel_tol=RTOL), f"got {p.data}, expected {expected}"
        assert p.grad == 0, "grads are zeroed after the update"


def test_two_steps_with_state_and_lr_decay_hand_derived():
    p = Value(1.0)
    opt = Adam([p], learning_rate=0.1, beta1=0.85, beta2=0.99, eps=1e-8)
    p.grad = 2.0
    opt.step(0, 4)  # lr_0 = 0.1
    p1 = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8)
    p.grad = -1.0
    opt.step(1, 4)  # lr_1 = 0.1 * (1 - 1/4)
    m = 0.85 * (0.15 * 2.0) + 0.15 * -1.0
    v = 0.99 * (0.01 * 4.0) + 0.01 * 1.0
    p2 = p1 - 0.075 * (m / (1 - 0.85**2)) / ((v / (1 - 0.99**2)) ** 0.5 + 1e-8)
    assert math.isclose(p.data, p2, rel_tol=RTOL), f"after two steps: got {p.data}, expected {p2}"
    assert math.isclose(opt.m[0], m, rel_tol=RTOL) and math.isclose(opt.v[0], v, rel_tol=RTOL)


def test_a_parameter_with_no_gradient_does_not_move():
    p = Value(0.7)
    Adam([p]).step(0, 10)
    assert p.data == 0.7
