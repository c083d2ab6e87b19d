"""End to end: the student's whole package trains on data/names.txt in a child, which returns
the weights; the grader computes the held-out loss itself and scores it against the
reference's pass threshold (full marks at or under it, linear down to no learning)."""
from __future__ import annotations

import json
import math
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import heldout
from .checks import ProtocolError, parse_result
from .reference import DATA, reference
from .results import ERROR, FAILED, PARTIAL, PASSED, CheckResult
from ..tasks import TASKS, TRAINING_ROOTS, requires

NO_LEARNING = math.log(27)  # the loss of a uniform guess over 26 letters + BOS
PACKAGE_MODULES = requires(*TRAINING_ROOTS)  # what the child trains with: the student's task files, the kit's rest
TRAINING_TASKS = tuple(t.id for t in TASKS if t.module in PACKAGE_MODULES)  # every task but sampling


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


def _weights(doc: dict, config) -> dict:
    """The weights as nested lists of floats of the reference's shapes; ProtocolError if not."""
    weights = doc.get("weights")
    if type(weights) is not dict:
        raise ProtocolError("no weights in the result")
    ref = reference()
    want = {k: (len(m), len(m[0])) for k, m in ref.model.init_state_dict(config, random.Random(0)).items()}
    if set(weights) != set(want):
        raise ProtocolError(f"the weights have entries {sorted(weights)[:5]}..., expected {sorted(want)[:5]}...")
    out = {}
    for k, (rows, cols) in want.items():
        mat = weights[k]
        if type(mat) is not list or len(mat) != rows or any(type(r) is not list or len(r) != cols for r in mat):
            raise ProtocolError(f"weights {k!r} do not have shape ({rows}, {cols})")
        conv = []
        for r in mat:
            row = []
            for w in r:
                if type(w) in (int, float):
                    row.append(float(w))
                elif w in ("NaN", "Infinity", "-Infinity"):
                    row.append(float(w.lower().replace("infinity", "inf")))
                else:
                    raise ProtocolError(f"weights {k!r} hold a {type(w).__name__}")
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


def evaluate(raw: bytes, points: float, pass_loss: float, val: HeldOut, steps: int, pypy: Optional[str] = None) -> CheckResult:
    """Score a child's e2e result; never raises on what a child sent."""
    ref = reference()
    config = ref.config.GPTConfig(vocab_size=len(val.uchars) + 1)
    try:
        doc = parse_result(raw)
        if "error" in doc:
            return CheckResult("e2e", 0.0, points, ERROR, f"training crashed:\n{str(doc['error']).strip()}")
        if doc.get("uchars") != val.uchars:
            raise ProtocolError("the vocabulary does not match data/names.txt")
        weights = _weights(doc, config)
        stopped = doc.get("stopped") if type(doc.get("stopped")) is str else ""
        done = doc.get("steps_done") if type(doc.get("steps_done")) is int else 0
    except ProtocolError as e:
        return CheckResult("e2e", 0.0, points, ERROR, f"the training result could not be accepted: {e}")
    loss = held_out_loss(weights, config, val, pypy)
    score, message = score_loss(loss, points, pass_loss)
    message = f"trained {done} of {steps} steps" + (f" ({stopped})" if stopped else "") + f"; {message}"
    status = PASSED if score == points else (PARTIAL if score > 0 else FAILED)
    return CheckResult("e2e", score, points, status, message)
