# Generated from solutions/ladder/mlp.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 1: the bigram as a small MLP on plain floats (train1.py):
token_id -> wte row -> mlp_fc1 -> ReLU -> mlp_fc2 -> logits."""
from __future__ import annotations

import math
import random

from microgpt.config import GPTConfig
from microgpt.nn import linear

from .float_nn import softmax

Weights = dict  # name -> (nout, nin) list of lists of floats


def init_weights(config: GPTConfig, rng: random.Random) -> Weights:
    """wte (vocab_size, n_embd), mlp_fc1 (4*n_embd, n_embd), mlp_fc2 (vocab_size, 4*n_embd),
    ~ N(0, init_std), drawn in this order, row by row (rung 2 wraps the same draws in Value)."""
    c = config

    def matrix(nout, nin):
        return [[rng.gauss(0, c.init_std) for _ in range(nin)] for _ in range(nout)]

    return {
        "wte": matrix(c.vocab_size, c.n_embd),
        "mlp_fc1": matrix(4 * c.n_embd, c.n_embd),
        "mlp_fc2": matrix(c.vocab_size, 4 * c.n_embd),
    }


class MLP:
    def __init__(self, config: GPTConfig, state_dict: Weights):
        self.config = config
        self.state_dict = state_dict

    @classmethod
    def init(cls, config: GPTConfig, rng: random.Random) -> MLP:
        return cls(config, init_weights(config, rng))

    def __call__(self, token_id: int) -> list[float]:
        """Logits (vocab_size,) for the token after token_id."""
        sd = self.state_dict
        x = sd["wte"][token_id]
        x = linear(x, sd["mlp_fc1"])
        x = [max(0, xi) for xi in x]  # relu
        return linear(x, sd["mlp_fc2"])

    def token_losses(self, tokens: list[int]) -> list[float]:
        """-log p(next token) at each position."""
        losses = []
        for pos_id in range(len(tokens) - 1):
            probs = softmax(self(tokens[pos_id]))
            losses.append(-math.log(probs[tokens[pos_id + 1]]))
        return losses
