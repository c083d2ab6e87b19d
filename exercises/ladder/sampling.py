# Generated from solutions/ladder/sampling.py by `python -m grader exercises`: instructors edit there, not here.
"""Drawing a name from plain-float probabilities (rungs 0 and 1; from rung 2 on,
microgpt.sampling samples from the model's Values)."""
from __future__ import annotations

import random
from typing import Callable


def sample(next_probs: Callable[[int], list[float]], bos: int, rng: random.Random, max_len: int = 16) -> list[int]:
    """Token ids of one new name (without the BOS tokens).

    Start from bos; at each step draw next = rng.choices(range(len(probs)), weights=probs)[0]
    with probs = next_probs(current token). Stop when next is bos, or after max_len tokens."""
    raise NotImplementedError("Task draw_name: from bos, draw rng.choices(range(len(probs)), weights=probs)[0] until bos or max_len tokens")
