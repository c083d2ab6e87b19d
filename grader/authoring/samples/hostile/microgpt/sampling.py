"""Drawing new names from the model, one character at a time."""
from __future__ import annotations

import random

from .model import GPT
from .nn import softmax


def sample(model: GPT, bos: int, rng: random.Random, temperature: float = 0.5) -> list[int]:
    """Token ids of one new name (without the BOS tokens).

    Start from BOS at position 0 with a fresh cache. At each position:
    probs = softmax([logit / temperature for logit in logits]), then
    next = rng.choices(range(vocab_size), weights=[p.data for p in probs])[0].
    Stop when next is BOS, or after block_size tokens."""
    # BEGIN SOLUTION
    cache, token_id, out = model.new_cache(), bos, []
    for pos_id in range(model.config.block_size):
        logits = model(token_id, pos_id, cache)
        probs = softmax([logit / temperature for logit in logits])
        token_id = rng.choices(range(model.config.vocab_size), weights=[p.data for p in probs])[0]
        if token_id == bos:
            break
        out.append(token_id)
    return out
    # END SOLUTION
