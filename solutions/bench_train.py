"""Benchmark the reference's training: wall seconds, steps per second and peak memory,
under CPython and (when pypy3 is on the PATH) PyPy, each in its own process, one after the
other in the same run so that their ratio is fair.

With --microgpt-py PATH it also times the whole student command, `python -m microgpt.train`
(1,000 steps, held-out evaluation, 20 samples), against Karpathy's microgpt.py running its own
1,000 steps on the same names (copied to input.txt in a scratch folder, so it downloads
nothing), in the same run under the same interpreter, and prints the ratio (the kit's target:
at most 0.40 under CPython). microgpt.py is not part of the kit: get it from
https://gist.github.com/karpathy/8627fe009c40f57531cb18360106ce95 (tests/fixtures/README.md).

    python solutions/bench_train.py [--steps 1000] [--interpreters python3 pypy3]
    python solutions/bench_train.py --microgpt-py ~/microgpt.py [--interpreters python3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent
NAMES = SOLUTIONS.parent / "data" / "names.txt"
RATIO_TARGET = 0.40

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


def wall(cmd: list, cwd: Path, env: dict) -> float:
    """Seconds `cmd` takes, start to exit (output discarded; a failure raises)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def command_ratio(interpreter: str, microgpt_py: Path) -> tuple[float, float]:
    """(seconds of `python -m microgpt.train --quiet`, seconds of microgpt.py), one after the other."""
    env = {"PYTHONPATH": str(SOLUTIONS), "PATH": "/usr/bin:/bin"}
    kit = wall([interpreter, "-m", "microgpt.train", "--quiet"], SOLUTIONS.parent, env)
    with tempfile.TemporaryDirectory(prefix="microgpt-py-") as tmp:
        shutil.copyfile(NAMES, Path(tmp) / "input.txt")
        shutil.copyfile(microgpt_py, Path(tmp) / "microgpt.py")
        original = wall([interpreter, "microgpt.py"], Path(tmp), {"PATH": "/usr/bin:/bin"})
    return kit, original


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--interpreters", nargs="+", default=[sys.executable, "pypy3"])
    p.add_argument("--microgpt-py", type=Path, help="Karpathy's microgpt.py: time the whole training command against it")
    args = p.parse_args()
    if args.microgpt_py is not None:
        if not args.microgpt_py.is_file():
            sys.exit(f"--microgpt-py: {args.microgpt_py} is not a file; the ratio needs Karpathy's microgpt.py")
        for interp in args.interpreters:
            path = shutil.which(interp)
            if path is None:
                print(f"{interp}: not installed, skipped")
                continue
            kit, original = command_ratio(path, args.microgpt_py)
            print(f"{interp}: python -m microgpt.train {kit:.1f} s (1,000 steps, held-out loss, 20 samples); "
                  f"microgpt.py {original:.1f} s (1,000 steps, 20 samples); ratio {kit / original:.2f} "
                  f"(target <= {RATIO_TARGET})")
        return
    print("no --microgpt-py given: the training-command / microgpt.py ratio is skipped (see the docstring)")
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
