"""The reference sampler, driven by a fake model whose logits the test chooses."""
from __future__ import annotations

import math
import random
from collections import Counter
from types import SimpleNamespace

from microgpt.sampling import sample
from microgpt.value import Value

VOCAB, BOS = 5, 4


class FakeModel:
    """Returns fixed logits at every position; records the positions it was asked for."""

    def __init__(self, logits, block_size=16):
        self.logits, self.calls = logits, []
        self.config = SimpleNamespace(block_size=block_size, vocab_size=len(logits))

    def new_cache(self):
        return object()

    def __call__(self, token_id, pos_id, cache):
        self.calls.append((token_id, pos_id))
        return [Value(x) for x in self.logits]


def test_draws_are_exactly_rng_choices_with_softmax_weights():
    logits, t = [0.1, 0.5, -0.3, 0.2, -1.0], 0.5
    got = sample(FakeModel(logits), BOS, random.Random(3), temperature=t)
    exps = [math.exp(x / t - max(logits) / t) for x in logits]
    rng, expected = random.Random(3), []
    while len(expected) < 16:
        tok = rng.choices(range(VOCAB), weights=[e / sum(exps) for e in exps])[0]
        if tok == BOS:
            break
        expected.append(tok)
    assert got == expected


def test_stops_at_bos_and_feeds_back_each_token():
    model = FakeModel([0.0, 0.0, 0.0, 0.0, 50.0])
    assert sample(model, BOS, random.Random(0)) == []
    assert model.calls == [(BOS, 0)]


def test_stops_after_block_size_tokens():
    model = FakeModel([50.0, 0.0, 0.0, 0.0, -50.0], block_size=7)
    assert sample(model, BOS, random.Random(0)) == [0] * 7
    assert [pos for _, pos in model.calls] == list(range(7))


def first_token(logits, seed, temperature):
    out = sample(FakeModel(logits, block_size=1), BOS, random.Random(seed), temperature)
    return out[0] if out else BOS


def test_low_temperature_picks_the_argmax():
    logits = [0.0, 1.0, 0.5, 0.2, -2.0]
    assert sample(FakeModel(logits, block_size=10), BOS, random.Random(1), temperature=1e-3) == [1] * 10


def test_temperature_one_reproduces_the_distribution():
    logits, n = [0.0, 1.0, 0.5, 0.2, -2.0], 2000
    counts = Counter(first_token(logits, seed, 1.0) for seed in range(n))
    z = sum(math.exp(x) for x in logits)
    expected = [n * math.exp(x) / z for x in logits]
    chi2 = sum((counts[k] - e) ** 2 / e for k, e in enumerate(expected))
    assert chi2 < 18.47, f"chi-square {chi2:.1f} over 4 degrees of freedom (p=0.001 critical value 18.47): {counts}"
