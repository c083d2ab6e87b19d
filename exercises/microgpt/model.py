# Generated from solutions/microgpt/model.py by `python -m grader exercises`: instructors edit there, not here.
"""The GPT: embeddings, pre-norm attention and MLP blocks, and the language-model head.

The model runs one token at a time; a KVCache carries each layer's keys and values from
one position to the next, so the same code trains and samples.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from .attention import attention
from .config import GPTConfig
from .nn import linear, rmsnorm, softmax
from .value import Value

Matrix = list  # list[list[Value]], (nout, nin)


def matrix(nout: int, nin: int, rng: random.Random, std: float) -> Matrix:
    """(nout, nin) weights ~ N(0, std), drawn row by row."""
    return [[Value(rng.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]


def init_state_dict(config: GPTConfig, rng: random.Random) -> dict[str, Matrix]:
    """microgpt's initialisation; the order of the draws fixes every weight."""
    c, std = config, config.init_std
    state_dict = {
        "wte": matrix(c.vocab_size, c.n_embd, rng, std),
        "wpe": matrix(c.block_size, c.n_embd, rng, std),
        "lm_head": matrix(c.vocab_size, c.n_embd, rng, std),
    }
    for i in range(c.n_layer):
        state_dict[f"layer{i}.attn_wq"] = matrix(c.n_embd, c.n_embd, rng, std)
        state_dict[f"layer{i}.attn_wk"] = matrix(c.n_embd, c.n_embd, rng, std)
        state_dict[f"layer{i}.attn_wv"] = matrix(c.n_embd, c.n_embd, rng, std)
        state_dict[f"layer{i}.attn_wo"] = matrix(c.n_embd, c.n_embd, rng, std)
        state_dict[f"layer{i}.mlp_fc1"] = matrix(4 * c.n_embd, c.n_embd, rng, std)
        state_dict[f"layer{i}.mlp_fc2"] = matrix(c.n_embd, 4 * c.n_embd, rng, std)
    return state_dict


@dataclass
class KVCache:
    keys: list = field(default_factory=list)  # (n_layer, positions so far, n_embd)
    values: list = field(default_factory=list)


class GPT:
    def __init__(self, config: GPTConfig, state_dict: dict[str, Matrix]):
        self.config = config
        self.state_dict = state_dict
        self.params = [p for mat in state_dict.values() for row in mat for p in row]

    @classmethod
    def init(cls, config: GPTConfig, rng: random.Random) -> GPT:
        return cls(config, init_state_dict(config, rng))

    @classmethod
    def from_weights(cls, config: GPTConfig, weights: dict[str, list[list[float]]]) -> GPT:
        return cls(config, {k: [[Value(w) for w in row] for row in mat] for k, mat in weights.items()})

    def weights(self) -> dict[str, list[list[float]]]:
        return {k: [[p.data for p in row] for row in mat] for k, mat in self.state_dict.items()}

    def new_cache(self) -> KVCache:
        n = self.config.n_layer
        return KVCache([[] for _ in range(n)], [[] for _ in range(n)])

    def __call__(self, token_id: int, pos_id: int, cache: KVCache) -> list[Value]:
        """Logits (vocab_size,) for the token after token_id at position pos_id."""
        sd, c = self.state_dict, self.config
        x = [t + p for t, p in zip(sd["wte"][token_id], sd["wpe"][pos_id])]
        x = rmsnorm(x)
        for li in range(c.n_layer):
            x_residual = x
            x = rmsnorm(x)
            q = self.linear(x, f"layer{li}.attn_wq")
            k = self.linear(x, f"layer{li}.attn_wk")
            v = self.linear(x, f"layer{li}.attn_wv")
            x = attention(q, k, v, cache.keys[li], cache.values[li], c.n_head)
            x = self.linear(x, f"layer{li}.attn_wo")
            x = [a + b for a, b in zip(x, x_residual)]
            x_residual = x
            x = rmsnorm(x)
            x = self.linear(x, f"layer{li}.mlp_fc1")
            x = [xi.relu() for xi in x]
            x = self.linear(x, f"layer{li}.mlp_fc2")
            x = [a + b for a, b in zip(x, x_residual)]
        return self.linear(x, "lm_head")

    def linear(self, x: list[Value], name: str) -> list[Value]:
        """The linear layer of weight matrix `name`: (nin,) -> (nout,). A method of its own so
        that the held-out evaluation can run it on plain floats (evaluate.ScalarGPT)."""
        return linear(x, self.state_dict[name])

    def token_losses(self, tokens: list[int]) -> list[Value]:
        """-log p(next token) at each of the first min(block_size, len(tokens)-1) positions."""
        n = min(self.config.block_size, len(tokens) - 1)
        cache, losses = self.new_cache(), []
        for pos_id in range(n):
            probs = softmax(self(tokens[pos_id], pos_id, cache))
            losses.append(-probs[tokens[pos_id + 1]].log())
        return losses

