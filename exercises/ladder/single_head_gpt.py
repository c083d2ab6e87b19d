# Generated from solutions/ladder/single_head_gpt.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 3: the GPT with one layer and one attention head (train3.py): token and position
embeddings, rmsnorm, an attention block and an MLP block with residuals, a separate lm_head.

It is microgpt's GPT (whose token_losses, weights and cache it inherits) with train3's
parameter names and initialisation order, and its forward written for one head."""
from __future__ import annotations

import random

from microgpt.config import GPTConfig
from microgpt.model import GPT, matrix
from microgpt.nn import linear, rmsnorm
from microgpt.value import Value

from .attention_head import attention_head


def init_state_dict(config: GPTConfig, rng: random.Random) -> dict:
    """train3's initialisation: lm_head is drawn last (from rung 4 on it comes third)."""
    c, std = config, config.init_std
    return {
        "wte": matrix(c.vocab_size, c.n_embd, rng, std),
        "wpe": matrix(c.block_size, c.n_embd, rng, std),
        "attn_wq": matrix(c.n_embd, c.n_embd, rng, std),
        "attn_wk": matrix(c.n_embd, c.n_embd, rng, std),
        "attn_wv": matrix(c.n_embd, c.n_embd, rng, std),
        "attn_wo": matrix(c.n_embd, c.n_embd, rng, std),
        "mlp_fc1": matrix(4 * c.n_embd, c.n_embd, rng, std),
        "mlp_fc2": matrix(c.n_embd, 4 * c.n_embd, rng, std),
        "lm_head": matrix(c.vocab_size, c.n_embd, rng, std),
    }


class SingleHeadGPT(GPT):
    @classmethod
    def init(cls, config: GPTConfig, rng: random.Random) -> SingleHeadGPT:
        return cls(config, init_state_dict(config, rng))

    def __call__(self, token_id: int, pos_id: int, cache) -> list[Value]:
        """Logits (vocab_size,) for the token after token_id at position pos_id."""
        sd = self.state_dict
        x = [t + p for t, p in zip(sd["wte"][token_id], sd["wpe"][pos_id])]
        x = rmsnorm(x)
        x_residual = x
        x = rmsnorm(x)
        q = linear(x, sd["attn_wq"])
        k = linear(x, sd["attn_wk"])
        v = linear(x, sd["attn_wv"])
        x = attention_head(q, k, v, cache.keys[0], cache.values[0])
        x = linear(x, sd["attn_wo"])
        x = [a + b for a, b in zip(x, x_residual)]
        x_residual = x
        x = rmsnorm(x)
        x = linear(x, sd["mlp_fc1"])
        x = [xi.relu() for xi in x]
        x = linear(x, sd["mlp_fc2"])
        x = [a + b for a, b in zip(x, x_residual)]
        return linear(x, sd["lm_head"])
