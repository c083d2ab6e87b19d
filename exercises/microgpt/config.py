# Generated from solutions/microgpt/config.py by `python -m grader exercises`: instructors edit there, not here.
"""The model and training hyperparameters, with microgpt's defaults, in one place."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 27  # 26 letters + BOS for the names data; set from the tokenizer
    n_layer: int = 1
    n_embd: int = 16
    block_size: int = 16  # longest context, so also the longest sampled name
    n_head: int = 4
    init_std: float = 0.08

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


@dataclass(frozen=True)
class TrainConfig:
    num_steps: int = 1000
    learning_rate: float = 0.01  # decays linearly to 0 over num_steps
    beta1: float = 0.85
    beta2: float = 0.99
    eps_adam: float = 1e-8
    seed: int = 42
    temperature: float = 0.5
    num_samples: int = 20
    num_val: int = 1000  # the last names of the shuffled list, never trained on
