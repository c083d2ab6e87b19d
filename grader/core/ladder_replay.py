"""A ladder rung's training, checked by the grader: the held-out loss of the child's last
weights, and the replay of every interval between its checkpoints, both on the reference's
rung (solutions/ladder/rungs.py), never the student's code.

The run starts from weights the grader knows (the seed fixes the shuffle and the init). Each
interval restarts from the child's checkpoint (SGD and counting keep no other state), runs the
reference's step on the same names and compares the result with the next checkpoint, as
replay.py does for microgpt.

Trusted code: run in the grader's process or as `pypy3 -I ladder_replay.py < request.json`
(faster), which imports the reference packages from the folder named in it.
"""
from __future__ import annotations

import gc
import json
import math
import random
import sys


def _install(model, weights: dict) -> None:
    """The checkpoint's numbers into the model: counts, plain floats or Values' data."""
    state = model.state_dict
    if type(state) is list:
        for row, new in zip(state, weights["counts"]):
            row[:] = new
        return
    for name, mat in state.items():
        for row, new in zip(mat, weights[name]):
            for j, w in enumerate(new):
                if hasattr(row[j], "data"):
                    row[j].data = w
                else:
                    row[j] = w


def _difference(model, weights: dict) -> tuple:
    """(largest |difference|, where) between the model's numbers and a checkpoint's."""
    state = model.state_dict
    mats = {"counts": state} if type(state) is list else state
    worst, where = 0.0, ""
    for name, mat in mats.items():
        for row, want in zip(mat, weights[name]):
            for p, w in zip(row, want):
                d = abs(getattr(p, "data", p) - w)
                if not d <= worst:  # a nan difference counts as the worst
                    worst, where = (d if math.isfinite(d) else math.inf), name
    return worst, where


def _start(mg, lad, rung: int, names_path: str, seed: int, steps: int) -> tuple:
    """(the rung, its training config, its model at init, the training and the held-out names
    as token ids), as ladder/train.py builds them from the seed."""
    r = lad.rungs.rung(rung)
    tc = r.train_config(num_steps=steps, seed=seed)
    rng = random.Random(seed)
    docs = mg.data.shuffled(mg.data.load_docs(names_path), rng)
    tokenizer = mg.data.Tokenizer.from_docs(docs)
    model = r.new_model(r.config(tokenizer.vocab_size), rng)
    train, val = mg.data.split(docs, tc.num_val)
    return r, tc, model, [tokenizer.encode(d) for d in train], [tokenizer.encode(d) for d in val]


def held_out_loss(mg, lad, rung: int, names_path: str, seed: int, weights: dict) -> float:
    """The rung's held-out loss with these weights installed, by the reference's forward pass."""
    r, _, model, _, val = _start(mg, lad, rung, names_path, seed, 1)
    _install(model, weights)
    return r.held_out_loss(model, val)


def replay(mg, lad, rung: int, names_path: str, seed: int, steps: int, checkpoints: list, stop_above: float) -> list:
    """[[start, end, max |diff|, entry]] per interval, up to the first above stop_above."""
    r, tc, model, train_docs, _ = _start(mg, lad, rung, names_path, seed, steps)
    one_name = r.new_step(model, tc)
    report, start = [], 0
    for end, weights in checkpoints:
        for step in range(start, end):
            one_name(train_docs[step % len(train_docs)], step, steps)
        worst, where = _difference(model, weights)
        _install(model, weights)  # the next interval starts from the child's checkpoint
        report.append([start, end, worst, where])
        gc.collect()
        if not worst <= stop_above:
            break
        start = end
    return report


def main() -> None:
    """`pypy3 -I ladder_replay.py < {"reference", "names", "rung", "seed", ...}`: with "weights",
    prints held_out_loss (null for nan); with "steps", "checkpoints" and "stop_above", replay's
    report (inf as null)."""
    import importlib

    doc = json.load(sys.stdin)
    sys.path.insert(0, doc["reference"])
    mg = importlib.import_module("microgpt")
    importlib.import_module("microgpt.data")
    lad = importlib.import_module("ladder")
    importlib.import_module("ladder.rungs")
    finite = (lambda x: x if math.isfinite(x) else None)
    if "weights" in doc:
        print(json.dumps(finite(held_out_loss(mg, lad, doc["rung"], doc["names"], doc["seed"], doc["weights"]))))
        return
    report = replay(mg, lad, doc["rung"], doc["names"], doc["seed"], doc["steps"], doc["checkpoints"], doc["stop_above"])
    print(json.dumps([[a, b, finite(d), w] for a, b, d, w in report]))


if __name__ == "__main__":
    main()
