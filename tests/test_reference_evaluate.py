"""Is the plain-float held-out evaluation the Value forward pass, number for number?"""
from __future__ import annotations

import math
import random

from conftest import ROOT
from microgpt import data
from microgpt.config import GPTConfig
from microgpt.evaluate import ScalarGPT, mean_token_loss
from microgpt.model import GPT


def test_float_evaluation_equals_the_value_forward():
    """On 1- and 2-layer models of two widths (n_embd 16 and 12, so rmsnorm divides by a power
    of two and by another number), names shorter and longer than block_size: every token's
    loss is the Value forward pass's, to the last bit, and so is the mean."""
    rng = random.Random(3)
    docs = data.shuffled(data.load_docs(ROOT / "data" / "names.txt"), rng)
    tok = data.Tokenizer.from_docs(docs)
    val = [tok.encode(d) for d in docs[:12]] + [tok.encode("abcdefghijklmnopqrstuvwxyz")]
    for n_layer, n_embd, n_head in ((1, 16, 4), (2, 16, 4), (1, 12, 3)):
        c = GPTConfig(vocab_size=tok.vocab_size, n_layer=n_layer, n_embd=n_embd, n_head=n_head)
        model = GPT.init(c, rng)
        floats = ScalarGPT(model.weights(), c.n_layer, c.n_head, c.block_size)
        value_losses = [[loss.data for loss in model.token_losses(t)] for t in val]
        assert [[loss.data for loss in floats.token_losses(t)] for t in val] == value_losses
        count = sum(len(losses) for losses in value_losses)
        assert mean_token_loss(model, val) == sum(sum(losses) for losses in value_losses) / count


def test_non_finite_weights_give_nan():
    """A weight that is NaN makes the loss NaN, never an exception."""
    tok = data.Tokenizer.from_docs(["ab", "ba"])
    model = GPT.init(GPTConfig(vocab_size=tok.vocab_size), random.Random(0))
    model.state_dict["lm_head"][0][0].data = math.nan
    assert math.isnan(mean_token_loss(model, [tok.encode("ab")]))
