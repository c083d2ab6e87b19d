"""End to end: the student's whole package trains on data/names.txt in a child, which returns
its weights every `checkpoint_every` steps; the grader replays every interval with the
reference's training step (replay.py) and credits the held-out loss, computed by the grader
itself from the last checkpoint, only when each interval reproduces within REPLAY_TOL (full
marks at or under the reference's pass threshold, linear down to no learning)."""
from __future__ import annotations

import json
import math
import random
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from . import heldout, replay
from .checks import ProtocolError, parse_result
from .reference import DATA, REFERENCE_DIR, reference
from .results import ERROR, FAILED, PARTIAL, PASSED, CheckResult
from ..tasks import TRAINING_ROOTS, requires

NO_LEARNING = math.log(27)  # the loss of a uniform guess over 26 letters + BOS
PACKAGE_MODULES = requires(*TRAINING_ROOTS)  # what the child trains with: the student's task files, the kit's rest
INTERVALS = 20  # checkpoints per run, each interval replayed
# The largest difference allowed between a checkpoint and the reference's replay of its
# interval, per weight. Correct solutions written differently from the reference (sums in
# another order, sqrt for ** 0.5, division by the root), under CPython and PyPy, differ by at
# most 5e-16 after a 50-step interval (measured: README, "Why 1e-9"); weights installed from
# elsewhere differ by ~0.1. Nudging every weight by REPLAY_TOL in each of the 20 intervals
# moves the held-out loss by less than 2e-7 (its gradient's L1 norm at trained weights: 7.3).
REPLAY_TOL = 1e-9
MAX_ERROR_CHARS = 2000


def checkpoint_every(steps: int) -> int:
    return max(1, -(-steps // INTERVALS))


def checkpoint_steps(done: int, every: int) -> list:
    """The steps after which a run that did `done` steps returns its weights."""
    return list(range(every, done + 1, every)) + ([done] if done % every else [])


@lru_cache(maxsize=None)
def _n_params() -> int:
    config = reference().config.GPTConfig(vocab_size=len(held_out_uchars()) + 1)
    return sum(rows * cols for rows, cols in model_shapes(config).values())


def held_out_uchars() -> str:
    ref = reference()
    return "".join(ref.data.Tokenizer.from_docs(ref.data.load_docs(DATA)).uchars)


def max_result_bytes(steps: int) -> int:
    """The most an honest e2e result can take: every checkpoint's floats at 26 bytes each."""
    n = len(checkpoint_steps(steps, checkpoint_every(steps))) + 1
    return n * _n_params() * 26 + 2**17


def threshold() -> float:
    return reference().evaluate.VAL_LOSS_THRESHOLD


def score_loss(loss: float, points: float, pass_loss: float) -> tuple[float, str]:
    """Full points at or under pass_loss, none at or above ln(27) or for nan/inf, linear between."""
    if not math.isfinite(loss):
        return 0.0, f"the held-out loss is {loss}: training produced NaN or infinite weights"
    if loss <= pass_loss:
        return points, f"held-out loss {loss:.4f} is at or under the pass mark {pass_loss:.2f}"
    if loss >= NO_LEARNING:
        return 0.0, f"held-out loss {loss:.4f} is no better than guessing uniformly (ln 27 = {NO_LEARNING:.4f}): the model did not learn"
    frac = (NO_LEARNING - loss) / (NO_LEARNING - pass_loss)
    return round(points * frac, 2), (
        f"held-out loss {loss:.4f} is above the pass mark {pass_loss:.2f} (full marks) and under "
        f"ln 27 = {NO_LEARNING:.4f} (no learning): partial credit {frac:.0%}"
    )


@dataclass(frozen=True)
class HeldOut:
    uchars: str
    docs_tokens: list


def held_out(seed: int) -> HeldOut:
    """The names the child never trains on: the last of the shuffled list, as train.py splits."""
    ref = reference()
    docs = ref.data.shuffled(ref.data.load_docs(DATA), random.Random(seed))
    tok = ref.data.Tokenizer.from_docs(docs)
    _, val = ref.data.split(docs, ref.config.TrainConfig().num_val)
    return HeldOut("".join(tok.uchars), [tok.encode(d) for d in val])


def model_shapes(config) -> dict:
    """{entry: (rows, cols)} of the reference model's weights."""
    return {k: (len(m), len(m[0])) for k, m in reference().model.init_state_dict(config, random.Random(0)).items()}


def matrices(weights, shapes: dict) -> dict:
    """weights ({entry: matrix}) as nested lists of floats of the given shapes, any non-finite
    number (sent as "NaN", "Infinity") a nan; ProtocolError if not that."""
    if type(weights) is not dict:
        raise ProtocolError("no weights in the result")
    if set(weights) != set(shapes):
        raise ProtocolError(f"the weights have entries {sorted(weights)[:5]}..., expected {sorted(shapes)[:5]}...")
    out = {}
    for k, (rows, cols) in shapes.items():
        mat = weights[k]
        if type(mat) is not list or len(mat) != rows or any(type(r) is not list or len(r) != cols for r in mat):
            raise ProtocolError(f"weights {k!r} do not have shape ({rows}, {cols})")
        conv = []
        for r in mat:
            row = []
            for w in r:
                if type(w) in (int, float):
                    row.append(float(w))
                elif type(w) is str and w in ("NaN", "Infinity", "-Infinity"):
                    row.append(float(w.lower().replace("infinity", "inf")))
                else:
                    raise ProtocolError(f"weights {k!r} hold a {type(w).__name__}")
                if row[-1] != row[-1] or row[-1] in (math.inf, -math.inf):
                    row[-1] = math.nan  # any non-finite weight: the loss is nan
            conv.append(row)
        out[k] = conv
    return out


def held_out_loss(weights: dict, config, val: HeldOut, pypy: Optional[str] = None) -> float:
    """heldout.mean_token_loss, run by pypy3 when given (3x faster; trusted code on weights
    already checked to be plain floats), else in this process."""
    if pypy:
        doc = {"weights": weights, "n_layer": config.n_layer, "n_head": config.n_head,
               "block_size": config.block_size, "docs_tokens": val.docs_tokens}
        try:
            out = subprocess.run([pypy, "-I", str(Path(heldout.__file__)), ], input=json.dumps(doc), capture_output=True,
                                 text=True, timeout=600)
            if out.returncode == 0:
                loss = json.loads(out.stdout)
                return math.nan if loss is None else float(loss)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
    return heldout.mean_token_loss(weights, config.n_layer, config.n_head, config.block_size, val.docs_tokens)


def _checkpoints(doc: dict, shapes: dict, steps: int, every: int) -> list:
    """[(step, weights)] exactly at checkpoint_steps(steps_done); ProtocolError if not."""
    done = doc.get("steps_done")
    if type(done) is not int or not 1 <= done <= steps:
        raise ProtocolError("the number of steps done is missing or out of range")
    raw = doc.get("checkpoints")
    want = checkpoint_steps(done, every)
    if type(raw) is not list or len(raw) != len(want):
        raise ProtocolError(f"expected {len(want)} checkpoints (every {every} steps and the last step)")
    out = []
    for item, step in zip(raw, want):
        if type(item) is not list or len(item) != 2 or item[0] != step or type(item[0]) is not int:
            raise ProtocolError(f"the checkpoint after step {step} is missing")
        out.append((step, matrices(item[1], shapes)))
    return out


def replay_report(checkpoints: list, seed: int, steps: int, pypy: Optional[str] = None) -> list:
    """replay.replay on the reference, by pypy3 when given, else in this process; it stops at
    the first interval that does not reproduce."""
    if pypy:
        doc = {"reference": str(REFERENCE_DIR.parent), "names": str(DATA), "seed": seed, "steps": steps,
               "checkpoints": [[s, w] for s, w in checkpoints], "stop_above": REPLAY_TOL}
        try:
            out = subprocess.run([pypy, "-I", str(Path(replay.__file__))], input=json.dumps(doc, allow_nan=True),
                                 capture_output=True, text=True, timeout=1800)
            if out.returncode == 0:
                return [[a, b, math.inf if d is None else d, w] for a, b, d, w in json.loads(out.stdout)]
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
    return replay.replay(reference(), str(DATA), seed, steps, checkpoints, REPLAY_TOL)


def check_replay(report: list) -> tuple[str, str]:
    """('', '') if every interval reproduces within REPLAY_TOL, else (flag, message)."""
    bad = next((r for r in report if not r[2] <= REPLAY_TOL), None)
    if bad is None:
        return "", ""
    start, end, diff, where = bad
    message = (
        f"not credited: the weights after step {end} are not what the reference's training step gives from "
        f"your weights after step {start} (largest difference {diff:.3g} in {where}; tolerance {REPLAY_TOL:g}). "
        "The held-out loss counts only for training the grader can replay."
    )
    if start > 0:
        return "weights not from training", message + (
            f"\nflagged: steps 1 to {start} replay within the tolerance, so the weights were changed between steps "
            f"{start} and {end} by something other than training (for example, weights installed from a file)")
    return "training not reproduced", message + (
        "\nyour training differs from the reference's from its first steps: a training piece that does not pass "
        "every check, or state shared across calls")


def evaluate(raw: bytes, points: float, pass_loss: float, val: HeldOut, steps: int, pypy: Optional[str] = None,
             *, seed: int, every: int, stage_seconds: Optional[dict] = None) -> CheckResult:
    """Score a child's microgpt e2e result; never raises on what a child sent."""
    config = reference().config.GPTConfig(vocab_size=len(val.uchars) + 1)
    return scored_run(raw, points, pass_loss, val.uchars, model_shapes(config), steps, every,
                      loss_of=lambda weights: held_out_loss(weights, config, val, pypy),
                      replay_of=lambda checkpoints: replay_report(checkpoints, seed, steps, pypy), stage_seconds=stage_seconds)


def scored_run(raw: bytes, points: float, pass_loss: float, uchars: str, shapes: dict, steps: int, every: int, *,
               loss_of: Callable, replay_of: Callable, stage_seconds: Optional[dict] = None, label: str = "") -> CheckResult:
    """Score a child's training result (microgpt's or a ladder rung's): its checkpoints of the
    given shapes, the held-out loss the grader computes of the last (loss_of(weights)), credited
    only when every interval replays (replay_of(checkpoints): the report). Never raises on what
    a child sent."""
    try:
        doc = parse_result(raw)
        if "error" in doc:
            error = doc["error"] if type(doc["error"]) is str else "(no description)"
            return CheckResult("e2e", 0.0, points, ERROR, f"training crashed:\n{error.strip()[-MAX_ERROR_CHARS:]}")
        if doc.get("uchars") != uchars:
            raise ProtocolError("the vocabulary does not match data/names.txt")
        checkpoints = _checkpoints(doc, shapes, steps, every)
        stopped = doc.get("stopped") if type(doc.get("stopped")) is str else ""
        done = checkpoints[-1][0]
    except (ProtocolError, ValueError, RecursionError) as e:  # ValueError: an int past Python's digit limit
        return CheckResult("e2e", 0.0, points, ERROR, f"the training result could not be accepted: {str(e)[:200]}")
    score, message = score_loss(loss_of(checkpoints[-1][1]), points, pass_loss)
    message = f"{label}trained {done} of {steps} steps" + (f" ({stopped[:200]})" if stopped else "") + f"; {message}"
    flag = ""
    if score > 0:  # a run that earns nothing needs no proof
        t0 = time.monotonic()
        flag, why = check_replay(replay_of(checkpoints))
        if stage_seconds is not None:
            stage_seconds["replay"] = stage_seconds.get("replay", 0.0) + time.monotonic() - t0
        if flag:
            score, message = 0.0, f"{message}\n{why}"
        else:
            message += f"\nproven: all {len(checkpoints)} intervals of training replay within {REPLAY_TOL:g}"
    status = PASSED if score == points else (PARTIAL if score > 0 else FAILED)
    return CheckResult("e2e", score, points, status, message, flag=flag)
