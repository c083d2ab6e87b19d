# Generated from solutions/microgpt/sampling.py by `python -m grader exercises`: instructors edit there, not here.
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
    raise NotImplementedError("Task sampling: softmax(logits / temperature), draw with rng.choices, stop at BOS or block_size")
