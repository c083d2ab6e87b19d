"""Proof of training: the grader replays a submission's training run with the reference's own
training step, interval by interval, from the checkpoints the child returned.

The run starts from weights the grader knows (the seed fixes the shuffle and the init, and
Adam's moments start at 0). Interval i restarts from the child's checkpoint i (so float noise
cannot grow past one interval), carries the grader's own Adam moments (the child's are never
needed, nor trusted), runs the reference's steps on the same names and compares the result
with checkpoint i + 1. Every interval is replayed, so weights installed in any of them are
caught; the largest difference of each interval comes back, the caller decides.

Trusted code: run in the grader's process or as `pypy3 -I replay.py < request.json` (3-4x
faster), which imports the reference package from the folder named in the request.
"""
from __future__ import annotations

import gc
import json
import math
import random
import sys


def replay(mg, names_path: str, seed: int, steps: int, checkpoints: list, stop_above: float = math.inf) -> list:
    """mg: the reference modules (config, data, model, adam). checkpoints: [(step, weights)],
    steps increasing, the last one the run's end. Returns one [start, end, max |diff|, entry]
    per interval, from step 0 (the grader's own init) to each checkpoint in turn, up to the
    first whose difference is above `stop_above`."""
    rng = random.Random(seed)
    docs = mg.data.shuffled(mg.data.load_docs(names_path), rng)
    tokenizer = mg.data.Tokenizer.from_docs(docs)
    model = mg.model.GPT.init(mg.config.GPTConfig(vocab_size=tokenizer.vocab_size), rng)
    tc = mg.config.TrainConfig()
    train_docs = [tokenizer.encode(d) for d in mg.data.split(docs, tc.num_val)[0]]
    optimizer = mg.adam.Adam(model.params, tc.learning_rate, tc.beta1, tc.beta2, tc.eps_adam)
    report, start = [], 0
    for end, weights in checkpoints:
        for step in range(start, end):
            losses = model.token_losses(train_docs[step % len(train_docs)])
            loss = (1 / len(losses)) * sum(losses)
            loss.backward()
            optimizer.step(step, steps)
        worst, where = 0.0, ""
        for name, mat in model.state_dict.items():
            for row, want_row in zip(mat, weights[name]):
                for p, w in zip(row, want_row):
                    d = abs(p.data - w)
                    if not d <= worst:  # a nan difference counts as the worst
                        worst, where = (d if math.isfinite(d) else math.inf), name
                    p.data = w  # the next interval starts from the child's checkpoint
        report.append([start, end, worst, where])
        gc.collect()  # once an interval: PyPy's heap otherwise grows past 2 GB over a run
        if not worst <= stop_above:
            break
        start = end
    return report


def _reference(folder: str):
    """The reference package in `folder` (the parent of microgpt/), imported in this fresh process."""
    import importlib
    import types

    sys.path.insert(0, folder)
    return types.SimpleNamespace(**{m: importlib.import_module("microgpt." + m) for m in ("config", "data", "model", "adam")})


def main() -> None:
    """`pypy3 -I replay.py < {"reference", "names", "seed", "steps", "checkpoints", "stop_above"}`:
    prints the report as JSON."""
    doc = json.load(sys.stdin)
    report = replay(_reference(doc["reference"]), doc["names"], doc["seed"], doc["steps"], doc["checkpoints"],
                    doc.get("stop_above", math.inf))
    print(json.dumps([[a, b, d if math.isfinite(d) else None, w] for a, b, d, w in report]))


if __name__ == "__main__":
    main()
