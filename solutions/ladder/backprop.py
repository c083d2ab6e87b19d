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
    # BEGIN SOLUTION
    dlogits = [p / n for p in probs]
    dlogits[target_id] -= 1.0 / n
    return dlogits
    # END SOLUTION


def linear_backward(x: list[float], w: list[list[float]], dout: list[float], dw: list[list[float]]) -> list[float]:
    """For out = linear(x, w): add dout[i] * x[j] into dw[i][j] and return
    dx[j] = sum_i w[i][j] * dout[i], both accumulated over i = 0, 1, ... in order."""
    # BEGIN SOLUTION
    dx = [0.0] * len(x)
    for i in range(len(dout)):
        for j in range(len(x)):
            dw[i][j] += dout[i] * x[j]
            dx[j] += w[i][j] * dout[i]
    return dx
    # END SOLUTION


def relu_backward(h_pre: list[float], dh: list[float]) -> list[float]:
    """For h = max(0, h_pre): dh_pre[j] = dh[j] if h_pre[j] > 0 else 0."""
    # BEGIN SOLUTION
    return [dh[j] * (1.0 if h_pre[j] > 0 else 0.0) for j in range(len(h_pre))]
    # END SOLUTION


def analytic_gradient(model: MLP, tokens: list[int]) -> tuple[float, Weights]:
    """(loss, grad): the mean loss over the name's positions and its gradient, shaped like
    model.state_dict. Per position: the forward pass keeping x, h_pre, h and probs, then the
    backward pass from the loss down to the wte row."""
    # BEGIN SOLUTION
    sd = model.state_dict
    grad = {k: [[0.0] * len(row) for row in mat] for k, mat in sd.items()}
    n = len(tokens) - 1
    losses = []
    for pos_id in range(n):
        token_id, target_id = tokens[pos_id], tokens[pos_id + 1]
        x = list(sd["wte"][token_id])
        h_pre = linear(x, sd["mlp_fc1"])
        h = [max(0, v) for v in h_pre]
        probs = softmax(linear(h, sd["mlp_fc2"]))
        losses.append(-math.log(probs[target_id]))
        dlogits = softmax_cross_entropy_backward(probs, target_id, n)
        dh = linear_backward(h, sd["mlp_fc2"], dlogits, grad["mlp_fc2"])
        dh_pre = relu_backward(h_pre, dh)
        dx = linear_backward(x, sd["mlp_fc1"], dh_pre, grad["mlp_fc1"])
        for j in range(len(x)):
            grad["wte"][token_id][j] += dx[j]
    return (1 / n) * sum(losses), grad
    # END SOLUTION


def mean_loss(model: MLP, tokens: list[int]) -> float:
    losses = model.token_losses(tokens)
    return (1 / len(losses)) * sum(losses)


def numerical_gradient(model: MLP, tokens: list[int], eps: float = 1e-5) -> tuple[float, Weights]:
    """(loss, grad) by forward differences: nudge each weight w by eps, measure the mean
    loss L again, grad = (L(w + eps) - L(w)) / eps, and put w back exactly."""
    # BEGIN SOLUTION
    loss = mean_loss(model, tokens)
    grad = {}
    for k, mat in model.state_dict.items():
        grad[k] = []
        for row in mat:
            grad_row = []
            for j in range(len(row)):
                old = row[j]
                row[j] = old + eps
                loss_plus = mean_loss(model, tokens)
                row[j] = old
                grad_row.append((loss_plus - loss) / eps)
            grad[k].append(grad_row)
    return loss, grad
    # END SOLUTION


def max_difference(a: Weights, b: Weights) -> float:
    """The largest |a - b| over every weight: how far the two gradients disagree."""
    return max(abs(x - y) for k in a for ra, rb in zip(a[k], b[k]) for x, y in zip(ra, rb))
