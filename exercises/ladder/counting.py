# Generated from solutions/ladder/counting.py by `python -m grader exercises`: instructors edit there, not here.
"""Rung 0: the bigram model trained by counting (train0.py), a 27x27 table of how often
token j follows token i."""
from __future__ import annotations

import math


class Bigram:
    def __init__(self, vocab_size: int):
        self.vocab_size = vocab_size
        # state_dict[i][j]: how many times token j followed token i in the names seen so far
        self.state_dict = [[0] * vocab_size for _ in range(vocab_size)]

    def probs(self, token_id: int) -> list[float]:
        """p(next = j | token_id) = (count[token_id][j] + 1) / (sum(row) + vocab_size).

        Add-one (Laplace) smoothing: a pair never seen still gets a small probability, so
        the loss stays finite. Example: an all-zero row of 27 gives 1/27 each."""
        raise NotImplementedError("Task smoothed_probs: return (count[i][j] + 1) / (sum(row) + vocab_size) for each j")

    def update(self, tokens: list[int]) -> None:
        """Add one to count[a][b] for each consecutive pair (a, b) of tokens."""
        raise NotImplementedError("Task count_pairs: add one to count[a][b] for each consecutive pair (a, b)")

    def token_losses(self, tokens: list[int]) -> list[float]:
        """-log p(tokens[i+1] | tokens[i]) for each position i: the surprise of each next token."""
        raise NotImplementedError("Task count_loss: return -log p(tokens[i+1] | tokens[i]) for each position i")
