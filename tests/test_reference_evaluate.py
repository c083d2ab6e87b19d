"""Is the plain-float held-out evaluation the Value forward pass, number for number?"""
from __future__ import annotations

import math
import random

from conftest import ROOT
from microgpt import data
from microgpt.config import GPTConfig
from microgpt.evaluate import mean_token_loss
from microgpt.model import GPT

# The float forward does the model's operations in its order; only the last softmax is taken
# as a log-sum-exp, which may differ in the last bit per token.
FLOAT_ATOL = 1e-12


def value_mean_token_loss(model, docs_tokens):
    """The held-out loss as the Value forward pass computes it (what evaluate.py did before)."""
    total, count = 0.0, 0
    for tokens in docs_tokens:
        losses = model.token_losses(tokens)
        total += sum(loss.data for loss in losses)
        count += len(losses)
    return total / count


def test_float_evaluation_equals_the_value_forward():
    """On 1- and 2-layer models, names shorter and longer than block_size: the same loss?"""
    rng = random.Random(3)
    docs = data.shuffled(data.load_docs(ROOT / "data" / "names.txt"), rng)
    tok = data.Tokenizer.from_docs(docs)
    val = [tok.encode(d) for d in docs[:12]] + [tok.encode("abcdefghijklmnopqrstuvwxyz")]
    for n_layer in (1, 2):
        model = GPT.init(GPTConfig(vocab_size=tok.vocab_size, n_layer=n_layer), rng)
        assert math.isclose(mean_token_loss(model, val), value_mean_token_loss(model, val), rel_tol=0, abs_tol=FLOAT_ATOL)


def test_non_finite_weights_give_nan():
    """A weight that is NaN makes the loss NaN, never an exception."""
    tok = data.Tokenizer.from_docs(["ab", "ba"])
    model = GPT.init(GPTConfig(vocab_size=tok.vocab_size), random.Random(0))
    model.state_dict["lm_head"][0][0].data = math.nan
    assert math.isnan(mean_token_loss(model, [tok.encode("ab")]))
