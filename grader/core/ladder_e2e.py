"""End to end for a ladder rung (0-4): the student's files train the rung in a child, which
returns its weights (rung 0: its counts) every `checkpoint_every` steps; the grader computes
the held-out loss of the last ones itself and credits it only when every interval replays on
the reference's rung within e2e.REPLAY_TOL (grader/core/ladder_replay.py). Scored by microgpt's
e2e.scored_run: full marks at or under the rung's pass mark, linear down to no learning."""
from __future__ import annotations

import json
import math
import random
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from . import ladder_replay
from .e2e import REPLAY_TOL, checkpoint_steps, scored_run
from .ladder_judge import reference_packages
from .reference import DATA, REFERENCE_DIR
from .results import CheckResult


@lru_cache(maxsize=None)
def rung_facts(rung: int) -> tuple:
    """(pass mark, {entry: (rows, cols)} of the rung's weights), from the reference's rung."""
    with reference_packages() as (lad, mg):
        r = lad.rungs.rung(rung)
        tokenizer = mg.data.Tokenizer.from_docs(mg.data.load_docs(DATA))
        model = r.new_model(r.config(tokenizer.vocab_size), random.Random(0))
        state = model.state_dict
        mats = {"counts": state} if type(state) is list else state
        return r.pass_mark, {k: (len(m), len(m[0])) for k, m in mats.items()}


def max_result_bytes(rung: int, steps: int, every: int) -> int:
    n = len(checkpoint_steps(steps, every)) + 1
    return n * sum(r * c for r, c in rung_facts(rung)[1].values()) * 26 + 2**17


def _by_reference(doc: dict, in_process: Callable, pypy: Optional[str]):
    """ladder_replay's answer to `doc`, by pypy3 when given (its JSON's nulls read by
    in_process's caller as nan or inf), else in_process(ladder, microgpt) here."""
    if pypy:
        doc = {"reference": str(REFERENCE_DIR.parent), "names": str(DATA), **doc}
        try:
            out = subprocess.run([pypy, "-I", str(Path(ladder_replay.__file__))], input=json.dumps(doc, allow_nan=True),
                                 capture_output=True, text=True, timeout=1800)
            if out.returncode == 0:
                return json.loads(out.stdout)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
    with reference_packages() as (lad, mg):
        return in_process(lad, mg)


def held_out_loss(rung: int, seed: int, weights: dict, pypy: Optional[str] = None) -> float:
    loss = _by_reference({"rung": rung, "seed": seed, "weights": weights},
                         lambda lad, mg: ladder_replay.held_out_loss(mg, lad, rung, str(DATA), seed, weights), pypy)
    return math.nan if loss is None else loss


def replay_report(rung: int, seed: int, steps: int, checkpoints: list, pypy: Optional[str] = None) -> list:
    report = _by_reference(
        {"rung": rung, "seed": seed, "steps": steps, "checkpoints": [[s, w] for s, w in checkpoints], "stop_above": REPLAY_TOL},
        lambda lad, mg: ladder_replay.replay(mg, lad, rung, str(DATA), seed, steps, checkpoints, REPLAY_TOL), pypy)
    return [[a, b, math.inf if d is None else d, w] for a, b, d, w in report]


def evaluate(raw: bytes, points: float, pass_loss: float, uchars: str, *, rung: int, seed: int, steps: int, every: int,
             pypy: Optional[str] = None) -> CheckResult:
    """Score a child's ladder e2e result; never raises on what a child sent."""
    return scored_run(raw, points, pass_loss, uchars, rung_facts(rung)[1], steps, every,
                      loss_of=lambda weights: held_out_loss(rung, seed, weights, pypy),
                      replay_of=lambda checkpoints: replay_report(rung, seed, steps, checkpoints, pypy), label=f"rung {rung}: ")
