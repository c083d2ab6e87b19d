# Generated from solutions/ladder/autograd_mlp.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 2: rung 1's MLP on microgpt's Value (train2.py), so that loss.backward() finds
the gradients that rung 1 wrote by hand. Same weights, same forward, same numbers."""
from __future__ import annotations

import random

from microgpt.config import GPTConfig
from microgpt.nn import linear, softmax
from microgpt.value import Value

from .mlp import init_weights


class MLP:
    """The interface of microgpt's GPT (config, params, new_cache, __call__, token_losses),
    so that microgpt's train_step and sample drive it unchanged; a bigram has no cache."""

    def __init__(self, config: GPTConfig, state_dict: dict):
        self.config = config
        self.state_dict = state_dict
        self.params = [p for mat in state_dict.values() for row in mat for p in row]

    @classmethod
    def init(cls, config: GPTConfig, rng: random.Random) -> MLP:
        weights = init_weights(config, rng)  # rung 1's draws, in rung 1's order
        return cls(config, {k: [[Value(w) for w in row] for row in mat] for k, mat in weights.items()})

    def new_cache(self) -> None:
        return None

    def __call__(self, token_id: int, pos_id: int = 0, cache: None = None) -> list[Value]:
        """Logits (vocab_size,) for the token after token_id (the position plays no part)."""
        sd = self.state_dict
        x = sd["wte"][token_id]
        x = linear(x, sd["mlp_fc1"])
        x = [xi.relu() for xi in x]
        return linear(x, sd["mlp_fc2"])

    def token_losses(self, tokens: list[int]) -> list[Value]:
        """-log p(next token) at each position."""
        losses = []
        for pos_id in range(len(tokens) - 1):
            probs = softmax(self(tokens[pos_id]))
            losses.append(-probs[tokens[pos_id + 1]].log())
        return losses
