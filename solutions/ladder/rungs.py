"""The rungs: for each, the published revision it reproduces, its one new idea, and what it
is made of (model, training step, sampling, held-out loss). Rung 5 is microgpt itself."""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Callable

from microgpt import sampling
from microgpt.adam import Adam
from microgpt.config import GPTConfig, TrainConfig
from microgpt.evaluate import VAL_LOSS_THRESHOLD
from microgpt.graph_memory import graph_gc
from microgpt.model import GPT
from microgpt.train import train_step

from . import sampling as float_sampling
from .autograd_mlp import MLP
from .backprop import analytic_gradient
from .counting import Bigram
from .float_nn import softmax
from .mlp import MLP as FloatMLP
from .sgd import SGD, decayed_lr, sgd_update
from .single_head_gpt import SingleHeadGPT

Step = Callable[[list, int, int], float]  # (tokens, step, num_steps) -> that name's mean loss


@dataclass(frozen=True)
class Rung:
    number: int
    revision: str  # the gist revision it reproduces
    idea: str
    learning_rate: float  # SGD's (rung 5: Adam's); rung 0 counts and has none
    n_head: int
    new_model: Callable  # (GPTConfig, random.Random) -> model; draws its weights from the rng
    new_step: Callable  # (model, TrainConfig) -> Step
    sample: Callable  # (model, bos, rng, temperature) -> token ids
    plain_floats: bool  # its losses are floats, not Values
    # The held-out loss a correct rung reaches after 1,000 steps on any seed: the worst of seeds
    # 0-9 plus 3 standard deviations, rounded up to 0.05 (the README's table; rung 5's is microgpt's).
    pass_mark: float

    def config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(vocab_size=vocab_size, n_head=self.n_head)

    def train_config(self, **changes) -> TrainConfig:
        return replace(TrainConfig(), learning_rate=self.learning_rate, **changes)

    def num_params(self, model) -> int:
        if self.number == 0:
            return model.vocab_size**2  # the counts
        if self.plain_floats:
            return sum(len(row) for mat in model.state_dict.values() for row in mat)
        return len(model.params)

    def held_out_loss(self, model, docs_tokens: list[list[int]]) -> float:
        """Mean per-token loss over the held-out names, with the model's own forward pass;
        no backward (the graph of each name is dropped)."""
        total, count = 0.0, 0
        with graph_gc() as collect:
            for tokens in docs_tokens:
                losses = model.token_losses(tokens)
                total += sum(losses) if self.plain_floats else sum(loss.data for loss in losses)
                count += len(losses)
                collect()
        return total / count


def mean(losses):
    return (1 / len(losses)) * sum(losses)


def counting_step(model: Bigram, tc: TrainConfig) -> Step:
    def one_name(tokens, step, num_steps):
        loss = mean(model.token_losses(tokens))  # before this name is counted
        model.update(tokens)
        return loss

    return one_name


def hand_written_sgd_step(model: FloatMLP, tc: TrainConfig) -> Step:
    def one_name(tokens, step, num_steps):
        loss, grad = analytic_gradient(model, tokens)
        sgd_update(model.state_dict, grad, decayed_lr(tc.learning_rate, step, num_steps))
        return loss

    return one_name


def autograd_step(optimizer: Callable) -> Callable:
    def new_step(model, tc: TrainConfig) -> Step:
        opt = optimizer(model, tc)
        return lambda tokens, step, num_steps: train_step(model, opt, tokens, step, num_steps)

    return new_step


def sample_counts(model: Bigram, bos: int, rng: random.Random, temperature: float) -> list[int]:
    """train0 samples the smoothed counts as they are: no temperature."""
    return float_sampling.sample(model.probs, bos, rng, 16)


def sample_float_mlp(model: FloatMLP, bos: int, rng: random.Random, temperature: float) -> list[int]:
    return float_sampling.sample(
        lambda token_id: softmax([logit / temperature for logit in model(token_id)]), bos, rng, model.config.block_size
    )


def sgd(model, tc):
    return SGD(model.params, tc.learning_rate)


def adam(model, tc):
    return Adam(model.params, tc.learning_rate, tc.beta1, tc.beta2, tc.eps_adam)


RUNGS = (
    Rung(0, "train0.py", "a bigram by counting: a 27x27 table, smoothing, the loss as surprise, sampling",
         0.0, 1, lambda c, rng: Bigram(c.vocab_size), counting_step, sample_counts, True, 2.55),
    Rung(1, "train1.py", "the bigram as an MLP (wte, mlp_fc1, mlp_fc2), SGD with gradients written by hand",
         1.0, 1, FloatMLP.init, hand_written_sgd_step, sample_float_mlp, True, 2.60),
    Rung(2, "train2.py", "autograd: Value finds rung 1's gradients by itself",
         1.0, 1, MLP.init, autograd_step(sgd), sampling.sample, False, 2.60),
    Rung(3, "train3.py", "attention (one head), position embeddings, residuals, rmsnorm",
         0.1, 1, SingleHeadGPT.init, autograd_step(sgd), sampling.sample, False, 2.50),
    Rung(4, "train4.py", "multi-head attention, same parameter count",
         0.1, 4, GPT.init, autograd_step(sgd), sampling.sample, False, 2.50),
    Rung(5, "train5.py (microgpt.py)", "Adam",
         TrainConfig().learning_rate, 4, GPT.init, autograd_step(adam), sampling.sample, False, VAL_LOSS_THRESHOLD),
)


def rung(number: int) -> Rung:
    if not 0 <= number < len(RUNGS):
        raise ValueError(f"no rung {number}: the rungs are 0-{len(RUNGS) - 1}")
    return RUNGS[number]

