# Generated from solutions/ladder/backprop.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 1: the gradient of the loss with respect to every weight of the MLP, two ways:
the chain rule written by hand (analytic) and perturb-and-measure (numerical)."""
from __future__ import annotations

import math

from microgpt.nn import linear

from .float_nn import softmax
from .mlp import MLP, Weights


def softmax_cross_entropy_backward(probs: list[float], target_id: int, n: int) -> list[float]:
    """d(loss)/d(logits) for loss = (1/n) * sum over n positions of -log softmax(logits)[target]:
    (probs - one_hot(target)) / n."""
    raise NotImplementedError("Task softmax_ce_backward: return (probs - one_hot(target)) / n")


def linear_backward(x: list[float], w: list[list[float]], dout: list[float], dw: list[list[float]]) -> list[float]:
    """For out = linear(x, w): add dout[i] * x[j] into dw[i][j] and return
    dx[j] = sum_i w[i][j] * dout[i], both accumulated over i = 0, 1, ... in order."""
    raise NotImplementedError("Task linear_backward: add dout[i] * x[j] into dw[i][j]; return dx[j] = sum_i w[i][j] * dout[i]")


def relu_backward(h_pre: list[float], dh: list[float]) -> list[float]:
    """For h = max(0, h_pre): dh_pre[j] = dh[j] if h_pre[j] > 0 else 0."""
    raise NotImplementedError("Task relu_backward: return dh[j] where h_pre[j] > 0, else 0")


def analytic_gradient(model: MLP, tokens: list[int]) -> tuple[float, Weights]:
    """(loss, grad): the mean loss over the name's positions and its gradient, shaped like
    model.state_dict. Per position: the forward pass keeping x, h_pre, h and probs, then the
    backward pass from the loss down to the wte row."""
    raise NotImplementedError("Task hand_gradient: forward each position keeping x, h_pre, h, probs; backward from the loss to the wte row")


def mean_loss(model: MLP, tokens: list[int]) -> float:
    losses = model.token_losses(tokens)
    return (1 / len(losses)) * sum(losses)


def numerical_gradient(model: MLP, tokens: list[int], eps: float = 1e-5) -> tuple[float, Weights]:
    """(loss, grad) by forward differences: nudge each weight w by eps, measure the mean
    loss L again, grad = (L(w + eps) - L(w)) / eps, and put w back exactly."""
    raise NotImplementedError("Task numerical_gradient: grad = (L(w + eps) - L(w)) / eps for every weight, each put back exactly")


def max_difference(a: Weights, b: Weights) -> float:
    """The largest |a - b| over every weight: how far the two gradients disagree."""
    return max(abs(x - y) for k in a for ra, rb in zip(a[k], b[k]) for x, y in zip(ra, rb))
