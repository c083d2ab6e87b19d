"""Benchmark the reference's training: wall seconds, steps per second and peak memory,
under CPython and (when pypy3 is on the PATH) PyPy, each in its own process, one after the
other in the same run so that their ratio is fair.

    python solutions/bench_train.py [--steps 1000] [--interpreters python3 pypy3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent

# Runs in the child: train only (no held-out evaluation, no sampling), then report.
CHILD = """
import json, random, resource, sys, time, platform
from dataclasses import replace
from microgpt.config import GPTConfig, TrainConfig
from microgpt.data import Tokenizer, load_docs, shuffled, split
from microgpt.model import GPT
from microgpt.train import DEFAULT_DATA, train
tc = replace(TrainConfig(), num_steps=int(sys.argv[1]))
rng = random.Random(tc.seed)
docs = shuffled(load_docs(DEFAULT_DATA), rng)
tok = Tokenizer.from_docs(docs)
model = GPT.init(GPTConfig(vocab_size=tok.vocab_size), rng)
train_docs, _ = split(docs, tc.num_val)
t0 = time.perf_counter()
losses = train(model, [tok.encode(d) for d in train_docs], tc)
seconds = time.perf_counter() - t0
print(json.dumps({"interpreter": platform.python_implementation() + " " + platform.python_version(),
                  "seconds": seconds, "last_loss": losses[-1],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench(interpreter: str, steps: int) -> dict:
    proc = subprocess.run(
        [interpreter, "-c", CHILD, str(steps)], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(SOLUTIONS), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(proc.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--interpreters", nargs="+", default=[sys.executable, "pypy3"])
    args = p.parse_args()
    rows = []
    for interp in args.interpreters:
        path = shutil.which(interp)
        if path is None:
            print(f"{interp}: not installed, skipped")
            continue
        rows.append(bench(path, args.steps))
        r = rows[-1]
        print(
            f"{r['interpreter']:>16}: {args.steps} steps in {r['seconds']:6.1f} s, "
            f"{args.steps / r['seconds']:6.2f} steps/s, peak {r['peak_mib']:.0f} MiB, last loss {r['last_loss']:.6f}"
        )
    if len(rows) > 1:
        print(f"speed-up of {rows[1]['interpreter']} over {rows[0]['interpreter']}: {rows[0]['seconds'] / rows[1]['seconds']:.2f}x")


if __name__ == "__main__":
    main()
