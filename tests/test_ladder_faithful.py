"""Is each rung of the ladder its published revision, float for float? Compared with losses
and samples that Karpathy's train0.py ... train4.py themselves wrote on data/names.txt
(tests/fixtures/README.md says how)."""
from __future__ import annotations

import json
import platform
import random

import pytest

from conftest import ROOT
from ladder.backprop import analytic_gradient, max_difference, numerical_gradient
from ladder.rungs import rung
from ladder.train import run
from microgpt.data import Tokenizer, load_docs, shuffled

FIXTURES = ROOT / "tests" / "fixtures"
# As for microgpt (test_reference_faithful.py): CPython runs the same float operations in the
# same order, so equality; PyPy's pow/exp may differ in the last bit.
FAITHFUL_RTOL = 1e-9
RUNGS = (0, 1, 2, 3, 4)
DEFAULT_RUN_RUNGS = RUNGS  # the rungs whose default run (seed 42, 1,000 steps) is a fixture
# Default-length runs that take more than ~20 s under CPython.
SLOW_RUNGS = (2, 3, 4)


def oracle(name):
    return json.loads((FIXTURES / "ladder" / name).read_text())


def max_rel_error(got, expected):
    assert len(got) == len(expected)
    return max(abs(g - e) / abs(e) for g, e in zip(got, expected))


def assert_faithful(number, seed, steps):
    expected = oracle(f"train{number}_seed{seed}_{steps}steps.json")
    # num_val=0: train on the whole shuffled list, exactly as the revision does
    result, _, _ = run(number, tc=rung(number).train_config(seed=seed, num_steps=steps, num_val=0))
    assert max_rel_error(result.losses, expected["losses"]) <= FAITHFUL_RTOL
    if platform.python_implementation() == "CPython":
        assert result.losses == expected["losses"], "CPython runs the same float operations in the same order"
    assert result.samples == expected["samples"]


@pytest.mark.parametrize("number", RUNGS, ids=[f"rung{n}" for n in RUNGS])
def test_30_steps_match_the_revision_bit_for_bit(number):
    assert_faithful(number, seed=7, steps=30)


@pytest.mark.parametrize(
    "number",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_RUNGS else n for n in DEFAULT_RUN_RUNGS],
    ids=[f"rung{n}" for n in DEFAULT_RUN_RUNGS],
)
def test_the_default_run_matches_the_revision(number):
    assert_faithful(number, seed=42, steps=1000)


def test_rung1_gradient_check_matches_train1():
    """train1.py checks its hand-written gradient against a numerical one before training, on
    the first shuffled name: the same losses and the same largest difference, bit for bit."""
    expected = oracle("train1_seed7_30steps.json")["gradient_check"]
    rng = random.Random(7)
    docs = shuffled(load_docs(ROOT / "data" / "names.txt"), rng)
    tokenizer = Tokenizer.from_docs(docs)
    r = rung(1)
    model = r.new_model(r.config(tokenizer.vocab_size), rng)
    tokens = tokenizer.encode(docs[0])
    assert docs[0] == expected["doc"]
    loss_n, grad_n = numerical_gradient(model, tokens)
    loss_a, grad_a = analytic_gradient(model, tokens)
    assert (loss_n, loss_a) == (expected["loss_n"], expected["loss_a"])
    assert max_difference(grad_n, grad_a) == pytest.approx(expected["max_diff"], rel=FAITHFUL_RTOL)
    assert max_difference(grad_n, grad_a) < 1e-6, "the two gradients agree"


def test_rung2_autograd_gives_rung1s_numbers():
    """Autograd equals the hand-written gradients: the same trajectory to the last bits of
    rounding (a - b is a + (-b), a / b is a * b**-1 in Value), the same samples. So it was for
    Karpathy's train1/train2 too."""
    r1 = oracle("train1_seed7_30steps.json")
    r2 = oracle("train2_seed7_30steps.json")
    assert max_rel_error(r2["losses"], r1["losses"]) <= 1e-12
    assert r2["samples"] == r1["samples"]


def test_rung5_through_the_ladder_is_microgpt():
    """The ladder's driver with microgpt's model and Adam is microgpt, bit for bit."""
    expected = json.loads((FIXTURES / "microgpt_seed7_30steps.json").read_text())
    result, _, _ = run(5, tc=rung(5).train_config(seed=7, num_steps=30, num_val=0))
    assert max_rel_error(result.losses, expected["losses"]) <= FAITHFUL_RTOL
    assert result.samples == expected["samples"]


def test_rung4_splits_rung3s_attention_into_heads_with_the_same_parameter_count():
    sizes = {}
    for number in (3, 4):
        r = rung(number)
        model = r.new_model(r.config(27), random.Random(0))
        sizes[number] = (r.config(27).n_head, r.num_params(model))
    assert sizes == {3: (1, 4192), 4: (4, 4192)}


def test_every_rung_reports_a_held_out_loss_and_rung5s_is_microgpts():
    """The held-out loss is each rung's own forward pass over the held-out names; for rung 5
    it is microgpt's figure exactly."""
    from dataclasses import replace

    from microgpt.config import TrainConfig
    from microgpt.train import run as run_microgpt

    tc = dict(seed=3, num_steps=5, num_val=100, num_samples=0)
    losses = {n: run(n, tc=rung(n).train_config(**tc))[0].val_loss for n in (0, 1, 2, 3, 4, 5)}
    assert all(2.0 < loss < 3.5 for loss in losses.values()), losses
    assert losses[5] == run_microgpt(tc=replace(TrainConfig(), **tc))[0].val_loss
