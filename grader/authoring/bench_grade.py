"""Benchmark the grader: grade N copies of the reference, then grade them again from the cache.

    python -m grader bench [-n 10] [--workers 2] [--steps 1000] [--json bench.json]

Prints submissions per hour, the seconds spent in each stage (summed over workers, so they
can exceed the wall time) and the time of the cached re-run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


from grader.authoring import samples
from grader.core.engine import grade


def bench(n: int, workers: int, steps: int, seed: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="mgrade-bench-"))
    try:
        subs, reference = work / "subs", samples.sample_files(samples.by_name("reference"))
        for i in range(n):
            samples.write(reference, subs / f"student{i:03d}")
        t0 = time.monotonic()
        run = grade(submissions=subs, out_dir=work / "out", seed=seed, workers=workers, steps=steps)
        first = time.monotonic() - t0
        t0 = time.monotonic()
        again = grade(submissions=subs, out_dir=work / "out", workers=workers, steps=steps)
        rerun = time.monotonic() - t0
        return {
            "cached": sum(s.cached for s in again.students),
            "n": n, "workers": workers, "steps": steps, "cpus": os.cpu_count(),
            "seconds": round(first, 1), "submissions_per_hour": round(n / first * 3600, 1),
            "stage_seconds": run.stage_seconds, "cached_rerun_seconds": round(rerun, 2),
            "totals": sorted({s.total for s in run.students}), "isolation": run.isolation["name"],
            "training_interpreter": run.interpreters.get("pypy") or run.interpreters.get("cpython"),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10, help="copies of the reference to grade (default 10)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: cores)")
    p.add_argument("--steps", type=int, default=1000, help="training steps of the e2e run (default 1000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    r = bench(args.n, args.workers, args.steps, args.seed)
    print(f"{r['n']} submissions, {r['workers']} workers on {r['cpus']} cores, {r['steps']} steps: {r['seconds']} s")
    print(f"submissions per hour: {r['submissions_per_hour']}")
    print("seconds per stage (summed over workers): " + ", ".join(f"{k} {v:.1f}" for k, v in r["stage_seconds"].items()))
    print(f"cached re-run: {r['cached_rerun_seconds']} s ({r['cached']} of {r['n']} from the cache)")
    print(f"scores: {r['totals']}; isolation: {r['isolation']}; training: {r['training_interpreter']}")
    if args.json:
        args.json.write_text(json.dumps(r, indent=1))
    return 0

