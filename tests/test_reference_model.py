"""The reference GPT: parameter count, initialisation order, and a hand-derived loss."""
from __future__ import annotations

import math
import random

from microgpt.config import GPTConfig
from microgpt.model import GPT

SHAPES = [
    ("wte", 27, 16), ("wpe", 16, 16), ("lm_head", 27, 16),
    ("layer0.attn_wq", 16, 16), ("layer0.attn_wk", 16, 16), ("layer0.attn_wv", 16, 16),
    ("layer0.attn_wo", 16, 16), ("layer0.mlp_fc1", 64, 16), ("layer0.mlp_fc2", 16, 64),
]


def test_parameter_count_and_shapes():
    model = GPT.init(GPTConfig(), random.Random(0))
    assert len(model.params) == 4192
    assert [(k, len(m), len(m[0])) for k, m in model.state_dict.items()] == SHAPES


def test_weights_are_drawn_row_by_row_in_microgpts_matrix_order():
    model = GPT.init(GPTConfig(), random.Random(42))
    rng = random.Random(42)
    expected = [rng.gauss(0, 0.08) for _ in range(4192)]
    assert [p.data for p in model.params] == expected


def test_zero_weights_predict_uniformly_so_the_loss_is_ln_vocab_size():
    """Hand-derived: x = 0 stays 0 through rmsnorm, attention and the MLP, so every logit
    is 0 and p(target) = 1/27 at every position."""
    config = GPTConfig()
    zeros = {k: [[0.0] * cols for _ in range(rows)] for k, rows, cols in SHAPES}
    losses = GPT.from_weights(config, zeros).token_losses([26, 0, 1, 2, 26])
    assert len(losses) == 4
    for loss in losses:
        assert math.isclose(loss.data, math.log(27), rel_tol=1e-15)


def test_token_losses_stop_at_block_size():
    model = GPT.init(GPTConfig(), random.Random(0))
    assert len(model.token_losses([26] + [0] * 20 + [26])) == 16


def test_weights_round_trip():
    model = GPT.init(GPTConfig(), random.Random(1))
    again = GPT.from_weights(model.config, model.weights())
    assert [p.data for p in again.params] == [p.data for p in model.params]
