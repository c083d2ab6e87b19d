"""End to end for a ladder rung (0-4): the student's files train the rung in a child, which
returns its weights (rung 0: its counts) every `checkpoint_every` steps; the grader computes
the held-out loss of the last ones itself and credits it only when every interval replays on
the reference's rung within e2e.REPLAY_TOL (grader/core/ladder_replay.py). Scored as microgpt's
e2e: full marks at or under the rung's pass mark, linear down to no learning."""
from __future__ import annotations

import json
import math
import random
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Optional

from . import ladder_replay
from .checks import ProtocolError, parse_result
from .e2e import MAX_ERROR_CHARS, REPLAY_TOL, checkpoint_steps, matrices, score_loss
from .ladder_judge import reference_packages
from .reference import DATA, REFERENCE_DIR
from .results import ERROR, FAILED, PARTIAL, PASSED, CheckResult


@lru_cache(maxsize=None)
def rung_facts(rung: int) -> tuple:
    """(pass mark, {entry: (rows, cols)} of the rung's weights), from the reference's rung."""
    with reference_packages() as (lad, mg, _):
        r = lad.rungs.rung(rung)
        tokenizer = mg.data.Tokenizer.from_docs(mg.data.load_docs(DATA))
        model = r.new_model(r.config(tokenizer.vocab_size), random.Random(0))
        state = model.state_dict
        mats = {"counts": state} if type(state) is list else state
        return r.pass_mark, {k: (len(m), len(m[0])) for k, m in mats.items()}


def max_result_bytes(rung: int, steps: int, every: int) -> int:
    n = len(checkpoint_steps(steps, every)) + 1
    return n * sum(r * c for r, c in rung_facts(rung)[1].values()) * 26 + 2**17


def _checkpoints(doc: dict, shapes: dict, steps: int, every: int) -> list:
    done = doc.get("steps_done")
    if type(done) is not int or not 1 <= done <= steps:
        raise ProtocolError("the number of steps done is missing or out of range")
    raw, want = doc.get("checkpoints"), checkpoint_steps(done, every)
    if type(raw) is not list or len(raw) != len(want):
        raise ProtocolError(f"expected {len(want)} checkpoints (every {every} steps and the last step)")
    out = []
    for item, step in zip(raw, want):
        if type(item) is not list or len(item) != 2 or type(item[0]) is not int or item[0] != step:
            raise ProtocolError(f"the checkpoint after step {step} is missing")
        out.append((step, matrices(item[1], shapes)))
    return out


def checked(rung: int, seed: int, steps: int, checkpoints: list, replay: bool, pypy: Optional[str] = None) -> dict:
    """ladder_replay.check on the reference, by pypy3 when given, else in this process."""
    if pypy:
        doc = {"reference": str(REFERENCE_DIR.parent), "names": str(DATA), "rung": rung, "seed": seed, "steps": steps,
               "checkpoints": [[s, w] for s, w in checkpoints], "stop_above": REPLAY_TOL, "replay": replay}
        try:
            out = subprocess.run([pypy, "-I", str(Path(ladder_replay.__file__))], input=json.dumps(doc, allow_nan=True),
                                 capture_output=True, text=True, timeout=1800)
            if out.returncode == 0:
                got = json.loads(out.stdout)
                nan = (lambda x: math.nan if x is None else x)
                return {"loss": nan(got["loss"]), "report": [[a, b, math.inf if d is None else d, w] for a, b, d, w in got["report"]]}
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            pass
    with reference_packages() as (lad, mg, _):
        return ladder_replay.check(mg, lad, rung, str(DATA), seed, steps, checkpoints, REPLAY_TOL, replay)


def evaluate(raw: bytes, points: float, pass_loss: float, uchars: str, *, rung: int, seed: int, steps: int, every: int,
             pypy: Optional[str] = None) -> CheckResult:
    """Score a child's ladder e2e result; never raises on what a child sent."""
    _, shapes = rung_facts(rung)
    try:
        doc = parse_result(raw)
        if "error" in doc:
            error = doc["error"] if type(doc["error"]) is str else "(no description)"
            return CheckResult("e2e", 0.0, points, ERROR, f"training crashed:\n{error.strip()[-MAX_ERROR_CHARS:]}")
        if doc.get("uchars") != uchars:
            raise ProtocolError("the vocabulary does not match data/names.txt")
        checkpoints = _checkpoints(doc, shapes, steps, every)
        stopped = doc.get("stopped") if type(doc.get("stopped")) is str else ""
    except (ProtocolError, ValueError, RecursionError) as e:
        return CheckResult("e2e", 0.0, points, ERROR, f"the training result could not be accepted: {str(e)[:200]}")
    loss = checked(rung, seed, steps, checkpoints, replay=False, pypy=pypy)["loss"]
    score, message = score_loss(loss, points, pass_loss)
    message = f"rung {rung}: trained {checkpoints[-1][0]} of {steps} steps" + (f" ({stopped[:200]})" if stopped else "") + f"; {message}"
    flag = ""
    if score > 0:  # a run that earns nothing needs no proof
        report = checked(rung, seed, steps, checkpoints, replay=True, pypy=pypy)["report"]
        bad = next((r for r in report if not r[2] <= REPLAY_TOL), None)
        if bad is not None or len(report) != len(checkpoints):
            start, end, diff, where = bad or report[-1]
            flag = "weights not from training" if start > 0 else "training not reproduced"
            score = 0.0
            message += (f"\nnot credited: the weights after step {end} are not what the reference's rung {rung} step gives from "
                        f"your weights after step {start} (largest difference {diff:.3g} in {where}; tolerance {REPLAY_TOL:g})")
        else:
            message += f"\nproven: all {len(checkpoints)} intervals of training replay within {REPLAY_TOL:g}"
    status = PASSED if score == points else (PARTIAL if score > 0 else FAILED)
    return CheckResult("e2e", score, points, status, message, flag=flag)
