"""Train the reference on several seeds and print the table behind the pass threshold.

    PYTHONPATH=solutions python solutions/seed_table.py --seeds 0-9 [--rung N] [--workers 2] [--json table.json]

--rung 0-4 trains that rung of the ladder (solutions/ladder) instead of microgpt (rung 5).

Each row: seed, held-out loss, mean of the last 100 training losses, seconds (wall clock, and
CPU time of the worker: the one that holds on a shared machine).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from microgpt.config import TrainConfig
from microgpt.train import run


def seed_row(seed: int, steps: int, rung: int = 5) -> dict:
    cpu = time.process_time()
    if rung == 5:
        result, _, _ = run(tc=replace(TrainConfig(), seed=seed, num_steps=steps, num_samples=0))
    else:
        from ladder.rungs import rung as get_rung
        from ladder.train import run as run_rung

        result, _, _ = run_rung(rung, tc=get_rung(rung).train_config(seed=seed, num_steps=steps, num_samples=0))
    return {"seed": seed, "val_loss": result.val_loss, "train_loss_last100": result.train_loss_last100,
            "seconds": result.seconds, "cpu_seconds": time.process_time() - cpu}


def parse_seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-9", help="a seed or a range, e.g. 0-9")
    p.add_argument("--steps", type=int, default=TrainConfig().num_steps)
    p.add_argument("--rung", type=int, default=5, help="0-4: a rung of the ladder; 5 (default): microgpt")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", help="also write the rows here")
    args = p.parse_args()
    seeds = parse_seeds(args.seeds)
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(seed_row, seeds, [args.steps] * len(seeds), [args.rung] * len(seeds)))
    print(f"rung {args.rung}, {platform.python_implementation()} {platform.python_version()}, {args.steps} steps")
    print("| seed | held-out loss | last-100 train loss | seconds | CPU seconds |\n|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['seed']} | {r['val_loss']:.4f} | {r['train_loss_last100']:.4f} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} |")
    vals = [r["val_loss"] for r in rows]
    print(f"held-out loss: mean {statistics.mean(vals):.4f}, sd {statistics.stdev(vals) if len(vals) > 1 else 0:.4f}, max {max(vals):.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
